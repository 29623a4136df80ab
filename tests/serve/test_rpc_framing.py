"""The JSON-RPC line framing: whole lines out of bytes cut anywhere, and a bound on a line's size."""

from __future__ import annotations

import pytest

from llmkit.serve._rpc_framing import TOO_LONG, LineFramer, frame

MESSAGES = [
    b'{"jsonrpc":"2.0","id":1,"method":"get","params":{"run":"r"}}',
    '{"jsonrpc":"2.0","id":2,"method":"run","params":{"input":"Größe? 你好 🌊"}}'.encode(),
    b'{"jsonrpc":"2.0","method":"cancel","params":{"run":"a\\nb"}}',
]
STREAM = b"".join(m + b"\n" for m in MESSAGES)


def feed_in_pieces(framer: LineFramer, data: bytes, size: int) -> list[bytes]:
    lines: list[bytes] = []
    for start in range(0, len(data), size):
        lines.extend(framer.feed(data[start : start + size]))
    return lines + framer.end()


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, len(STREAM)])
def test_every_line_comes_out_once_whatever_the_chunks(size: int) -> None:
    assert feed_in_pieces(LineFramer(), STREAM, size) == MESSAGES


def test_a_utf8_character_cut_between_two_chunks_waits_for_its_rest() -> None:
    framer = LineFramer()
    data = MESSAGES[1] + b"\n"
    cut = data.index("🌊".encode()) + 2  # inside the four bytes of the emoji
    assert framer.feed(data[:cut]) == []
    assert framer.feed(data[cut:]) == [MESSAGES[1]]


def test_blank_lines_and_carriage_returns_are_dropped() -> None:
    framer = LineFramer()
    assert framer.feed(b"\n\r\n  \n" + MESSAGES[0] + b"\r\n\n") == [MESSAGES[0]]


def test_the_last_line_without_a_line_break_comes_out_at_the_end() -> None:
    framer = LineFramer()
    assert framer.feed(MESSAGES[0]) == []
    assert framer.end() == [MESSAGES[0]]
    assert framer.end() == []


def test_a_line_over_the_limit_comes_out_as_one_marker_and_the_next_line_is_read() -> None:
    framer = LineFramer(max_line=32)
    long_line = b'{"x":"' + b"a" * 100 + b'"}'
    lines = feed_in_pieces(framer, long_line + b"\n" + MESSAGES[0][:20] + b"\n", 10)
    assert lines == [TOO_LONG, MESSAGES[0][:20]]


def test_memory_stays_bounded_while_a_long_line_is_dropped() -> None:
    framer = LineFramer(max_line=100)
    for _ in range(1000):
        assert framer.feed(b"z" * 1000) == []
        assert framer.buffered <= 100
    assert framer.feed(b"\n") == [TOO_LONG]


def test_a_message_is_framed_as_utf8_and_one_line_break() -> None:
    assert frame('{"a":"é"}') == '{"a":"é"}\n'.encode()

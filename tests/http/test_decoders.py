"""SSE and NDJSON decoding, incremental over arbitrary chunk boundaries."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmkit.errors import InvalidResponseError
from llmkit.http import NDJSONDecoder, SSEDecoder, SSEEvent

STREAM = (
    b": keep-alive comment\r\n"
    b"event: message_start\r\n"
    b'data: {"a": 1}\r\n'
    b"\r\n"
    b"data: line one\n"
    b"data: line two\n"
    b"id: 7\n"
    b"retry: 1500\n"
    b"\n"
    b"data:no-space\r"
    b"\r"
    b"data: caf\xc3\xa9 \xe2\x80\xa8 sep\n\n"
    b"data: [DONE]\n\n"
)
EXPECTED = [
    SSEEvent('{"a": 1}', "message_start"),
    SSEEvent("line one\nline two", None, "7", 1500),
    SSEEvent("no-space", None, "7"),
    SSEEvent("caf\u00e9 \u2028 sep", None, "7"),
    SSEEvent("[DONE]", None, "7"),
]


def feed_in_pieces(decoder: SSEDecoder, data: bytes, size: int) -> list[SSEEvent]:
    events: list[SSEEvent] = []
    for i in range(0, len(data), size):
        events.extend(decoder.feed(data[i : i + size]))
    return events + decoder.close()


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, len(STREAM)])
def test_sse_events_are_the_same_for_every_chunking(size: int) -> None:
    assert feed_in_pieces(SSEDecoder(), STREAM, size) == EXPECTED


def test_sse_crlf_split_across_chunks_is_one_line_break() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\n") == []
    assert decoder.feed(b"\r\n") == [SSEEvent("a")]


def test_sse_event_without_data_is_not_dispatched() -> None:
    assert SSEDecoder().feed(b"event: ping\n\n") == []


def test_sse_partial_event_is_reported_and_flushed_at_close() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"x": 1}') == []
    assert decoder.has_partial_event
    assert decoder.close() == [SSEEvent('{"x": 1}')]
    assert not SSEDecoder().has_partial_event


def test_ndjson_values_across_chunks() -> None:
    decoder = NDJSONDecoder()
    assert decoder.feed(b'{"a": 1}\n{"b"') == [{"a": 1}]
    assert decoder.has_partial_line
    assert decoder.feed(b": 2}\n\n") == [{"b": 2}]
    assert decoder.feed(b'{"c": 3}') == []
    assert decoder.close() == [{"c": 3}]


def test_ndjson_broken_line_raises_invalid_response() -> None:
    with pytest.raises(InvalidResponseError, match="not valid JSON"):
        NDJSONDecoder().feed(b"{broken\n")


def _reference_sse(data: bytes) -> list[SSEEvent]:
    """The SSE rules read line by line over the whole body, for comparison."""
    text = data.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
    events: list[SSEEvent] = []
    lines: list[str] = []
    event: str | None = None
    last_id: str | None = None
    retry: int | None = None
    for line in [*text.split("\n"), ""] if text.endswith("\n") else [*text.split("\n"), "", ""]:
        if not line:
            if lines:
                events.append(SSEEvent("\n".join(lines), event, last_id, retry))
            lines, event, retry = [], None, None
            continue
        if line.startswith(":"):
            continue
        name, sep, value = line.partition(":")
        value = value[1:] if sep and value.startswith(" ") else value
        if name == "data":
            lines.append(value)
        elif name == "event":
            event = value
        elif name == "id" and "\0" not in value:
            last_id = value
        elif name == "retry" and value.isdigit():
            retry = int(value)
    return events


_SSE_LINES = st.sampled_from(
    [
        'data: {"x": 1}',
        "data:tight",
        "data",
        "data: ",
        "event: delta",
        "id: 9",
        "retry: 250",
        ": comment",
        "",
        "",
        "junk line",
        "data: caf\u00e9",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(_SSE_LINES, max_size=30),
    endings=st.sampled_from(["\n", "\r\n", "\r"]),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=8),
)
def test_sse_decoding_matches_the_rules_read_line_by_line(
    lines: list[str], endings: str, cuts: list[int]
) -> None:
    data = "".join(line + endings for line in lines).encode()
    pieces, start = [], 0
    for cut in sorted({c for c in cuts if 0 < c < len(data)}):
        pieces.append(data[start:cut])
        start = cut
    pieces.append(data[start:])
    decoder = SSEDecoder()
    events = [event for piece in pieces for event in decoder.feed(piece)] + decoder.close()
    assert events == _reference_sse(data)

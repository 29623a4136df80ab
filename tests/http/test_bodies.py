"""JSON bodies: orjson where it agrees with the standard library, the standard library elsewhere."""

from __future__ import annotations

import dataclasses
import datetime
import json
import math

import pytest

from llmkit._json import body_bytes, dumps_body, loads_body, loads_text
from llmkit.errors import InvalidResponseError, UsageError
from llmkit.http import Endpoint, RetryPolicy

from .conftest import RawServer, answer

BIG = 2**70


class Name(str):
    """A str subclass (the standard library writes it as a string)."""


@dataclasses.dataclass
class Point:
    x: int


@pytest.mark.parametrize(
    "value",
    [
        {"model": "m", "messages": [{"role": "user", "content": "héllo ✓ 日本"}]},
        {"big": BIG, "negative": -BIG, "max": 2**64 - 1},
        {"floats": [0.1, 1e-05, 1e16, -0.0, 123456.789]},
        {1: "int key", 2.5: "float key", None: "none key", False: "bool key"},
        {"name": Name("sub"), "tuple": (1, 2)},
        {"content": None, "ok": True},
        {"deep": [[[[[[[[["x"]]]]]]]]]},
    ],
)
def test_body_bytes_are_the_standard_library_s_json_value(value: object) -> None:
    assert json.loads(body_bytes(value)) == json.loads(dumps_body(value))


@pytest.mark.parametrize(
    "value",
    [
        {"temperature": math.nan},
        {"top_p": math.inf},
        {"nested": [{"x": -math.inf}]},
        {"null": None, "nan": math.nan},
    ],
)
def test_nan_and_infinity_are_refused_as_before(value: object) -> None:
    with pytest.raises(ValueError, match="JSON compliant"):
        body_bytes(value)


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ({"text": "lone \ud800 surrogate"}, UnicodeEncodeError),
        ({"when": datetime.date(2026, 1, 1)}, TypeError),
        ({"point": Point(1)}, TypeError),
        ({"set": {1, 2}}, TypeError),
        ({"bytes": b"raw"}, TypeError),
    ],
)
def test_what_json_cannot_carry_is_refused_as_before(value: object, error: type) -> None:
    with pytest.raises(error):
        dumps_body(value).encode()
    with pytest.raises(error):
        body_bytes(value)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"id": 123456789012345678901234567890, "n": 18446744073709551615}',
        b'{"id": "req_12345678901234567890", "n": 1}',
        '{"\u00e9": 123456789012345678901, "d": 1234567890123456789.5}'.encode(),
        b'{"a": NaN, "b": Infinity, "c": -Infinity}',
        b'\xef\xbb\xbf{"bom": 1}',
        '{"utf16": 1}'.encode("utf-16"),
        b'{"lone": "\\ud800"}',
        b'{"a": 1, "a": 2}',
        b"[" * 500 + b"]" * 500,
        b' \r\n{"spaced": true}\r\n',
    ],
)
def test_loads_body_reads_what_json_loads_reads(raw: bytes) -> None:
    expected = json.loads(raw)
    got = loads_body(raw)
    assert repr(got) == repr(expected)  # NaN != NaN, so compare the spelled values


@pytest.mark.parametrize("raw", [b'{"a": "\xff"}', b'{"a": 1', b"", b"nope"])
def test_loads_body_refuses_what_json_loads_refuses(raw: bytes) -> None:
    with pytest.raises(ValueError) as expected:
        json.loads(raw)
    with pytest.raises(ValueError) as got:
        loads_body(raw)
    assert type(got.value) is type(expected.value) and str(got.value) == str(expected.value)


@pytest.mark.parametrize(
    "text",
    [
        '{"id": 123456789012345678901234567890, "n": 18446744073709551615}',
        '{"id": "chatcmpl_12345678901234567890", "choices": []}',
        '{"é✓": [1234567890123456789, -9223372036854775809, 123456789012345678]}',
        '{"wide": "'
        + "".join(chr(0xFF10 + d % 10) for d in range(1, 21))
        + '", "n": 18446744073709551616}',  # full-width digits
        '{"a": NaN, "b": Infinity, "c": -Infinity, "d": 1e400}',
        '{"lone": "\\ud800", "raw": "\ud800"}',
        '{"a": 1, "a": 2}',
        '{"text": "héllo ✓ 日本", "zero": -0.0, "tiny": 1.5e-7}',
        "[" * 500 + "]" * 500,
        ' \r\n{"spaced": true}\r\n',
    ],
)
def test_loads_text_reads_what_json_loads_reads(text: str) -> None:
    expected = json.loads(text)
    got = loads_text(text)
    assert repr(got) == repr(expected)  # NaN != NaN, so compare the spelled values


@pytest.mark.parametrize("text", ['\ufeff{"bom": 1}', '{"a": 1', "", "nope", '{"a": "\x00"}'])
def test_loads_text_refuses_what_json_loads_refuses(text: str) -> None:
    with pytest.raises(ValueError) as expected:
        json.loads(text)
    with pytest.raises(ValueError) as got:
        loads_text(text)
    assert type(got.value) is type(expected.value) and str(got.value) == str(expected.value)


def endpoint(url: str) -> Endpoint:
    return Endpoint(provider="test", base_url=url, retry=RetryPolicy(max_retries=0))


@pytest.mark.anyio
async def test_a_request_body_goes_out_exactly(transport: str, raw_server: RawServer) -> None:
    raw_server.script(answer(b"{}"))
    body = {"seed": BIG, "text": "日本 ✓", "t": 0.7}
    await endpoint(raw_server.url).post_json("/x", body)
    assert json.loads(raw_server.requests[0].body) == body


@pytest.mark.anyio
async def test_a_nan_in_a_request_body_is_a_usage_error(
    transport: str, raw_server: RawServer
) -> None:
    raw_server.script(answer(b"{}"))
    with pytest.raises(UsageError, match="NaN or infinity"):
        await endpoint(raw_server.url).post_json("/x", {"temperature": math.nan})
    with pytest.raises(UsageError, match="cannot be sent as JSON"):
        await endpoint(raw_server.url).post_json("/x", {"text": "\udc80"})
    assert raw_server.requests == []


@pytest.mark.anyio
async def test_an_answer_with_a_big_integer_is_read_exactly(
    transport: str, raw_server: RawServer
) -> None:
    raw_server.script(answer(b'{"id": 123456789012345678901234567890}'))
    reply = await endpoint(raw_server.url).post_json("/x", {})
    assert reply.data == {"id": 123456789012345678901234567890}


@pytest.mark.anyio
async def test_an_answer_that_is_not_utf8_is_an_invalid_response(
    transport: str, raw_server: RawServer
) -> None:
    raw_server.script(answer(b'{"a": "\xff\xfe"}'))
    with pytest.raises(InvalidResponseError, match="not JSON"):
        await endpoint(raw_server.url).post_json("/x", {})

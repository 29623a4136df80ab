"""The fake server's Anthropic protocol over raw HTTP: answers, stream framing, faults, cache."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from llmkit.errors import OverloadedError, RateLimitError
from llmkit.testing import FakeProviderServer, Fault, ScriptExhaustedError, tool_call
from llmkit.testing._fake.anthropic.answers import signature_for
from llmkit.types import (
    ImagePart,
    Message,
    ReasoningPart,
    Request,
    Response,
    TextPart,
    ToolCall,
    ToolResult,
    Usage,
)

KEY = "sk-ant-server-0123456789"
HEADERS = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
BODY: dict[str, Any] = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 100,
    "messages": [{"role": "user", "content": "hi"}],
}
TOOL = {"name": "add", "input_schema": {"type": "object", "properties": {}}}


@pytest.fixture
def server(llmkit_fake_server: FakeProviderServer) -> FakeProviderServer:
    return llmkit_fake_server


@pytest.fixture
def client(server: FakeProviderServer) -> Iterator[httpx2.Client]:
    with httpx2.Client(base_url=server.anthropic_base_url, headers=HEADERS, timeout=10) as c:
        yield c


def events(r: httpx2.Response) -> list[tuple[str, dict[str, Any]]]:
    """The (event name, data) pairs of an SSE body; each name must match its data's type."""
    assert r.headers["content-type"].startswith("text/event-stream")
    out = []
    for chunk in r.text.split("\n\n"):
        if not chunk:
            continue
        name_line, data_line = chunk.split("\n")
        name = name_line.removeprefix("event: ")
        data = json.loads(data_line.removeprefix("data: "))
        assert data["type"] == name
        out.append((name, data))
    return out


def stream(client: httpx2.Client, **extra: Any) -> list[tuple[str, dict[str, Any]]]:
    r = client.post("/v1/messages", json={**BODY, "stream": True, **extra})
    assert r.status_code == 200, r.text
    return events(r)


# ------------------------------------------------------------------- answers


def test_a_text_answer(server: FakeProviderServer, client: httpx2.Client) -> None:
    server.script(["Hello!"])
    r = client.post("/v1/messages", json=BODY)
    assert r.status_code == 200
    answer = r.json()
    assert answer["id"].startswith("msg_") and r.headers["request-id"].startswith("req_")
    assert {k: v for k, v in answer.items() if k not in ("id", "usage")} == {
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [{"type": "text", "text": "Hello!"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
    }
    assert set(answer["usage"]) >= {
        "input_tokens",
        "output_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
    }
    assert answer["usage"]["output_tokens"] > 0
    (recorded,) = server.requests
    assert recorded.status == 200 and recorded.json == BODY
    assert KEY not in repr(recorded)


def test_stream_events_come_in_the_documented_order(
    server: FakeProviderServer, client: httpx2.Client
) -> None:
    server.script(["Hello there"])
    got = stream(client)
    assert [name for name, _ in got] == [
        "message_start",
        "content_block_start",
        "ping",
        "content_block_delta",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    start = got[0][1]["message"]
    assert start["content"] == [] and start["stop_reason"] is None
    assert got[1][1] == {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "text", "text": ""},
    }
    assert (
        "".join(d["delta"]["text"] for n, d in got if n == "content_block_delta") == "Hello there"
    )
    delta = got[-2][1]
    assert delta["delta"] == {"stop_reason": "end_turn", "stop_sequence": None}
    assert delta["usage"]["output_tokens"] > 0


def test_streamed_tool_calls_start_with_an_empty_input_piece(
    server: FakeProviderServer, client: httpx2.Client
) -> None:
    server.script([[tool_call("add", a=1, b=2), tool_call("add", a=3, b=4)]])
    got = stream(client, tools=[TOOL])
    starts = [d for n, d in got if n == "content_block_start"]
    assert [s["content_block"] for s in starts] == [
        {"type": "tool_use", "id": "call_1", "name": "add", "input": {}},
        {"type": "tool_use", "id": "call_2", "name": "add", "input": {}},
    ]
    for index, expected in ((0, {"a": 1, "b": 2}), (1, {"a": 3, "b": 4})):
        pieces = [
            d["delta"]["partial_json"]
            for n, d in got
            if n == "content_block_delta" and d["index"] == index
        ]
        assert pieces[0] == "" and json.loads("".join(pieces)) == expected
    assert got[-2][1]["delta"]["stop_reason"] == "tool_use"


def test_broken_tool_arguments_stream_as_scripted(
    server: FakeProviderServer, client: httpx2.Client
) -> None:
    server.script([[ToolCall("", "add", {}, raw_arguments='{"a": 1, "b":')]])
    got = stream(client, tools=[TOOL])
    pieces = [d["delta"].get("partial_json", "") for n, d in got if n == "content_block_delta"]
    assert "".join(pieces) == '{"a": 1, "b":'


def test_reasoning_parts_become_thinking_blocks_with_a_signature(
    server: FakeProviderServer, client: httpx2.Client
) -> None:
    message = Message(
        "assistant",
        [
            ReasoningPart("Think first."),
            ReasoningPart("", "encrypted", redacted=True),
            TextPart("Done."),
        ],
    )
    server.script([Response(message), Response(message)])
    content = client.post("/v1/messages", json=BODY).json()["content"]
    assert content == [
        {
            "type": "thinking",
            "thinking": "Think first.",
            "signature": signature_for("Think first."),
        },
        {"type": "redacted_thinking", "data": "encrypted"},
        {"type": "text", "text": "Done."},
    ]
    got = stream(client)
    assert [n for n, _ in got][:3] == ["message_start", "content_block_start", "ping"]
    assert got[1][1]["content_block"] == {"type": "thinking", "thinking": "", "signature": ""}
    deltas = [d["delta"] for n, d in got if n == "content_block_delta" and d["index"] == 0]
    assert "".join(d.get("thinking", "") for d in deltas) == "Think first."
    assert deltas[-1] == {"type": "signature_delta", "signature": signature_for("Think first.")}
    redacted = [d for n, d in got if n == "content_block_start" and d["index"] == 1]
    assert redacted[0]["content_block"] == {"type": "redacted_thinking", "data": "encrypted"}


def test_an_empty_answer_still_pings(server: FakeProviderServer, client: httpx2.Client) -> None:
    server.script([""])
    assert [n for n, _ in stream(client)] == [
        "message_start",
        "ping",
        "message_delta",
        "message_stop",
    ]


def test_a_response_with_usage_and_stop_reason_is_sent_as_is(
    server: FakeProviderServer, client: httpx2.Client
) -> None:
    response = Response(
        Message.assistant("cut"),
        Usage(100, 5, cache_read_tokens=60, cache_write_tokens=30, requests=1),
        "length",
        raw_finish_reason="max_tokens",
        provider_data={"anthropic": {"stop_sequence": None}},
    )
    server.script([response])
    answer = client.post("/v1/messages", json=BODY).json()
    assert answer["stop_reason"] == "max_tokens"
    usage = answer["usage"]
    assert (usage["input_tokens"], usage["cache_read_input_tokens"]) == (10, 60)
    assert (usage["cache_creation_input_tokens"], usage["output_tokens"]) == (30, 5)


# -------------------------------------------------------------- errors & faults


def test_status_faults_use_anthropic_error_bodies(
    server: FakeProviderServer, client: httpx2.Client
) -> None:
    server.script(
        [Fault.status(429, retry_after=2), Fault.status(529), Fault.status(400, "messages: no")]
    )
    r = client.post("/v1/messages", json=BODY)
    assert r.status_code == 429
    assert r.json()["error"]["type"] == "rate_limit_error"
    assert r.json()["request_id"] == r.headers["request-id"]
    assert (r.headers["retry-after"], r.headers["x-should-retry"]) == ("2", "true")
    r = client.post("/v1/messages", json=BODY)
    assert r.status_code == 529
    assert r.json()["error"] == {"type": "overloaded_error", "message": "Overloaded"}
    r = client.post("/v1/messages", json=BODY)
    assert r.json()["error"] == {"type": "invalid_request_error", "message": "messages: no"}
    assert r.headers["x-should-retry"] == "false"


def test_context_length_and_exception_turns(
    server: FakeProviderServer, client: httpx2.Client
) -> None:
    server.script(
        [
            Fault.context_length(),
            RateLimitError("Slow down.", retry_after=1),
            OverloadedError,
            ValueError("boom"),
        ]
    )
    r = client.post("/v1/messages", json=BODY)
    assert r.json()["error"]["message"].startswith("prompt is too long")
    r = client.post("/v1/messages", json=BODY)
    assert (r.status_code, r.json()["error"]) == (
        429,
        {"type": "rate_limit_error", "message": "Slow down."},
    )
    assert r.headers["retry-after"] == "1"
    r = client.post("/v1/messages", json=BODY)
    assert (r.status_code, r.json()["error"]["type"]) == (503, "overloaded_error")
    r = client.post("/v1/messages", json=BODY)
    assert (r.status_code, r.json()["error"]["type"]) == (500, "api_error")


def test_an_error_finish_streams_an_error_event(
    server: FakeProviderServer, client: httpx2.Client
) -> None:
    custom = {"anthropic": {"error": {"type": "api_error", "message": "Internal server error"}}}
    server.script(
        [
            Response(Message.assistant("Half"), finish_reason="error"),
            Response(Message.assistant("Half"), finish_reason="error", provider_data=custom),
            Response(Message.assistant("Half"), finish_reason="error"),
        ]
    )
    got = stream(client)
    assert [n for n, _ in got][-2:] == ["content_block_stop", "error"]
    assert got[-1][1]["error"] == {"type": "overloaded_error", "message": "Overloaded"}
    assert stream(client)[-1][1]["error"]["type"] == "api_error"
    r = client.post("/v1/messages", json=BODY)
    assert (r.status_code, r.json()["error"]["type"]) == (529, "overloaded_error")


def test_drop_html_malformed_and_slow(server: FakeProviderServer, client: httpx2.Client) -> None:
    server.script(
        [
            Fault.drop(after_events=3, turn="one two three four"),
            Fault.drop(),
            Fault.html(502),
            Fault.malformed_json(),
            Fault.malformed_json(),
            Fault.slow(0.05, then="late"),
        ]
    )
    with pytest.raises(httpx2.RemoteProtocolError):
        client.post("/v1/messages", json={**BODY, "stream": True})
    with pytest.raises(httpx2.RemoteProtocolError):
        client.post("/v1/messages", json=BODY)
    r = client.post("/v1/messages", json=BODY)
    assert r.status_code == 502 and r.headers["content-type"].startswith("text/html")
    r = client.post("/v1/messages", json=BODY)
    with pytest.raises(ValueError):
        r.json()
    r = client.post("/v1/messages", json={**BODY, "stream": True})
    chunks = r.text.split("\n\n")
    assert chunks[0].startswith("event: message_start")
    with pytest.raises(ValueError):
        json.loads(chunks[1].split("data: ", 1)[1])
    assert client.post("/v1/messages", json=BODY).json()["content"][0]["text"] == "late"
    assert [r.status for r in server.requests] == [None, None, 502, 200, 200, 200]


def test_problems_in_the_script_answer_500_and_are_kept(
    server: FakeProviderServer, client: httpx2.Client
) -> None:
    server.script(["only one"])
    client.post("/v1/messages", json=BODY)
    r = client.post("/v1/messages", json=BODY)
    assert r.status_code == 500 and r.json()["error"]["type"] == "api_error"
    assert "ran out" in r.json()["error"]["message"]
    (error,) = server.errors
    assert isinstance(error, ScriptExhaustedError)


# ---------------------------------------------------------------- prompt cache


def test_cache_markers_write_then_read(server: FakeProviderServer, client: httpx2.Client) -> None:
    server.script(lambda request: "ok")
    marked = {
        **BODY,
        "system": [
            {"type": "text", "text": "Rules. " * 50, "cache_control": {"type": "ephemeral"}}
        ],
    }
    first = client.post("/v1/messages", json=marked).json()["usage"]
    second = client.post("/v1/messages", json=marked).json()["usage"]
    assert first["cache_creation_input_tokens"] > 0 and first["cache_read_input_tokens"] == 0
    assert second["cache_read_input_tokens"] == first["cache_creation_input_tokens"]
    assert second["cache_creation_input_tokens"] == 0
    plain = client.post("/v1/messages", json=BODY).json()["usage"]
    assert plain["cache_read_input_tokens"] == plain["cache_creation_input_tokens"] == 0
    # A longer conversation reads the cached prefix and writes only what is new.
    longer = {
        **marked,
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "hello"},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "more", "cache_control": {"type": "ephemeral"}}
                ],
            },
        ],
    }
    grown = client.post("/v1/messages", json=longer).json()["usage"]
    assert grown["cache_read_input_tokens"] == first["cache_creation_input_tokens"]
    assert grown["cache_creation_input_tokens"] > 0
    server.reset()
    server.script(["after reset"])
    fresh = client.post("/v1/messages", json=marked).json()["usage"]
    assert fresh["cache_read_input_tokens"] == 0 and fresh["cache_creation_input_tokens"] > 0


# ------------------------------------------------------------ decoded requests


def test_a_script_function_sees_the_decoded_request(
    server: FakeProviderServer, client: httpx2.Client
) -> None:
    seen: list[Request] = []

    def answer(request: Request) -> str:
        seen.append(request)
        return "ok"

    server.script(answer)
    body = {
        **BODY,
        "system": "Be brief.",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "look"},
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": "iVBO"},
                    },
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "hm", "signature": "sig"},
                    {"type": "tool_use", "id": "toolu_1", "name": "add", "input": {"a": 1}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_1",
                        "content": "2",
                        "is_error": True,
                    },
                    {"type": "text", "text": "so?"},
                ],
            },
        ],
        "tools": [TOOL],
        "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "max_tokens": 4000,
        "output_config": {"format": {"type": "json_schema", "schema": {"type": "object"}}},
        "stop_sequences": ["END"],
        "metadata": {"user_id": "u1"},
    }
    r = client.post("/v1/messages", json=body)
    assert r.status_code == 200, r.text
    (request,) = seen
    assert [m.role for m in request.messages] == ["system", "user", "assistant", "tool", "user"]
    image = request.messages[1].parts[1]
    assert isinstance(image, ImagePart) and image.url == "data:image/png;base64,iVBO"
    thought = request.messages[2].parts[0]
    assert thought == ReasoningPart("hm", "sig", False, {"anthropic": {"type": "thinking"}})
    assert request.messages[2].tool_calls[0].arguments == {"a": 1}
    assert request.messages[3].parts == [ToolResult("toolu_1", "2", True, "add")]
    assert request.messages[4].text == "so?"
    assert request.tool_choice == "required" and request.parallel_tool_calls is False
    assert request.reasoning is not None and request.reasoning.budget_tokens == 1024
    assert request.output_schema is not None and request.output_schema.schema == {"type": "object"}
    assert (request.max_tokens, request.stop) == (4000, ["END"])
    assert request.extra == {"metadata": {"user_id": "u1"}}

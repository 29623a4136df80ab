"""SSE framing of streamed chat completions, checked on the raw bytes."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest

from llmkit.testing import FakeProviderServer, tool_call
from llmkit.types import ToolCall

BODY: dict[str, Any] = {
    "model": "gpt-4.1-mini",
    "messages": [{"role": "user", "content": "hi"}],
    "stream": True,
}
TEXT = "The quick brown fox jumps over the lazy dog."


def raw_stream(client: httpx2.Client, body: dict[str, Any]) -> tuple[httpx2.Response, bytes]:
    with client.stream("POST", "/chat/completions", json=body) as r:
        return r, b"".join(r.iter_raw())


def frames(raw: bytes) -> list[Any]:
    """Split raw SSE bytes into events; each must be exactly one ``data:`` line."""
    assert raw.endswith(b"\n\n")
    out: list[Any] = []
    for event in raw[:-2].split(b"\n\n"):
        assert event.startswith(b"data: "), event
        assert b"\n" not in event
        data = event[len(b"data: ") :]
        out.append(data.decode() if data == b"[DONE]" else json.loads(data))
    return out


def choice_deltas(chunks: list[Any]) -> list[dict[str, Any]]:
    return [c["choices"][0]["delta"] for c in chunks if isinstance(c, dict) and c["choices"]]


def test_text_stream_framing(client: httpx2.Client, server: FakeProviderServer) -> None:
    server.script([TEXT])
    r, raw = raw_stream(client, BODY)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert r.headers["transfer-encoding"] == "chunked"
    assert r.headers["x-request-id"].startswith("req_")
    events = frames(raw)
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert len({c["id"] for c in chunks}) == 1
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert all(c["model"] == "gpt-4.1-mini" for c in chunks)
    assert all("usage" not in c for c in chunks)
    deltas = choice_deltas(chunks)
    assert deltas[0] == {"role": "assistant", "content": "", "refusal": None}
    pieces = [d["content"] for d in deltas[1:-1]]
    assert len(pieces) > 5  # small chunks, so stream consumers are exercised
    assert "".join(pieces) == TEXT
    assert deltas[-1] == {}
    finishes = [c["choices"][0]["finish_reason"] for c in chunks]
    assert finishes == [None] * (len(chunks) - 1) + ["stop"]
    assert server.requests[0].status == 200


def test_include_usage_adds_null_usage_and_a_final_usage_chunk(
    client: httpx2.Client, server: FakeProviderServer
) -> None:
    server.script(["Hi there."])
    _, raw = raw_stream(client, {**BODY, "stream_options": {"include_usage": True}})
    events = frames(raw)
    assert events[-1] == "[DONE]"
    *chunks, usage_chunk = events[:-1]
    assert all(c["usage"] is None for c in chunks)
    assert usage_chunk["choices"] == []
    assert usage_chunk["usage"]["prompt_tokens"] == 1
    assert usage_chunk["usage"]["completion_tokens"] == 3
    assert usage_chunk["usage"]["total_tokens"] == 4
    assert usage_chunk["id"] == chunks[0]["id"]


def test_tool_call_stream(client: httpx2.Client, server: FakeProviderServer) -> None:
    long_text = "x" * 40
    server.script([[tool_call("search", query=long_text), tool_call("add", a=1, b=2)]])
    _, raw = raw_stream(client, BODY)
    chunks = frames(raw)[:-1]
    deltas = choice_deltas(chunks)
    assert deltas[0] == {"role": "assistant", "content": "", "refusal": None}
    calls = [d["tool_calls"][0] for d in deltas if "tool_calls" in d]
    openings = [c for c in calls if "id" in c]
    assert openings == [
        {
            "index": 0,
            "id": "call_1",
            "type": "function",
            "function": {"name": "search", "arguments": ""},
        },
        {
            "index": 1,
            "id": "call_2",
            "type": "function",
            "function": {"name": "add", "arguments": ""},
        },
    ]
    for index, expected in [(0, {"query": long_text}), (1, {"a": 1, "b": 2})]:
        pieces = [
            c["function"]["arguments"] for c in calls if c["index"] == index and "id" not in c
        ]
        assert all(set(c) == {"index", "function"} for c in calls if "id" not in c)
        assert json.loads("".join(pieces)) == expected
    assert len([c for c in calls if c["index"] == 0 and "id" not in c]) > 1
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_raw_arguments_stream_exactly(client: httpx2.Client, server: FakeProviderServer) -> None:
    server.script([ToolCall("", "add", raw_arguments='{"a": 1, "b"')])
    chunks = frames(raw_stream(client, BODY)[1])[:-1]
    pieces = [
        d["tool_calls"][0]["function"]["arguments"]
        for d in choice_deltas(chunks)
        if "tool_calls" in d
    ]
    assert "".join(pieces) == '{"a": 1, "b"'


def test_n_choices_stream(client: httpx2.Client, server: FakeProviderServer) -> None:
    server.script(["ab"])
    chunks = frames(raw_stream(client, {**BODY, "n": 2})[1])[:-1]
    for index in (0, 1):
        mine = [c["choices"][0] for c in chunks if c["choices"][0]["index"] == index]
        assert "".join(c["delta"].get("content", "") for c in mine) == "ab"
        assert mine[-1]["finish_reason"] == "stop"


@pytest.mark.anyio
async def test_async_client_reads_events_as_they_arrive(
    aclient: httpx2.AsyncClient, server: FakeProviderServer
) -> None:
    server.script([TEXT])
    text = []
    async with aclient.stream("POST", "/chat/completions", json=BODY) as r:
        async for line in r.aiter_lines():
            if line.startswith("data: {"):
                delta = json.loads(line[6:])["choices"][0]["delta"]
                text.append(delta.get("content") or "")
    assert "".join(text) == TEXT


def test_chunk_size_option() -> None:
    with FakeProviderServer(["abcdefgh"], chunk_size=2) as server:
        client = httpx2.Client(
            base_url=server.openai_base_url, headers={"authorization": "Bearer k"}
        )
        chunks = frames(raw_stream(client, BODY)[1])[:-1]
        assert [d.get("content") for d in choice_deltas(chunks)[1:-1]] == ["ab", "cd", "ef", "gh"]

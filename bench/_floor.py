"""The floor: hand-written loops on a raw HTTP client doing the same exchanges as llmkit.

Each runner builds the same JSON bodies llmkit sends, ``json.loads`` every
answer, and for streams splits the SSE lines and ``json.loads`` every chunk.
Nothing is cached between runs except what a hand-written program would keep
(the client, the tool definition). The same code runs on ``httpx2`` (the
floor the ratios are taken against) and on ``httpx`` 0.28 (a second
reference), whose APIs agree on everything used here.
"""

from __future__ import annotations

import json
from importlib import import_module
from typing import Any

from bench._workload import (
    AGENT_PROMPT,
    API_KEY,
    INSTRUCTIONS,
    MODEL,
    OUTPUT_DESCRIPTION,
    OUTPUT_NAME,
    OUTPUT_SCHEMA,
    PROMPT,
    TOOL_DESCRIPTION,
    TOOL_NAME,
    TOOL_PARAMETERS,
    get_weather,
    output_model,
)

__all__ = [
    "FloorAgent",
    "FloorAgentOutput",
    "FloorAgentStream",
    "FloorGenerate",
    "FloorStream",
    "FloorWorkflow",
    "split_sse",
]

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_loads = json.loads

TOOL = {
    "type": "function",
    "function": {"name": TOOL_NAME, "parameters": TOOL_PARAMETERS, "description": TOOL_DESCRIPTION},
}
RESPONSE_FORMAT = {
    "type": "json_schema",
    "json_schema": {
        "name": OUTPUT_NAME,
        "description": OUTPUT_DESCRIPTION,
        "schema": OUTPUT_SCHEMA,
        "strict": True,
    },
}


class HTTPStatusFailure(Exception):
    """The server answered with an error status (the floor does not retry)."""


def split_sse(buffer: bytes, chunk: bytes) -> tuple[list[bytes], bytes]:
    """The payloads of the complete ``data:`` lines in ``buffer + chunk``, and the unfinished rest."""
    lines = (buffer + chunk).split(b"\n")
    rest = lines.pop()
    return [line[6:] for line in lines if line.startswith(b"data: ")], rest


class _Floor:
    """One raw client, pooled and timed out exactly as llmkit's shared client is."""

    def __init__(
        self,
        base_url: str,
        *,
        lib: str = "httpx2",
        max_connections: int | None = 100,
        max_keepalive_connections: int | None = 100,
        default_limits: bool = False,
    ) -> None:
        http = import_module(lib)
        timeout = http.Timeout(connect=10.0, read=600.0, write=60.0, pool=None)
        if default_limits:
            # The client's own default pool (httpx2 and httpx: 100 connections, 20 kept alive).
            self.client = http.AsyncClient(timeout=timeout)
        else:
            limits = http.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_keepalive_connections,
                keepalive_expiry=30.0,
            )
            self.client = http.AsyncClient(limits=limits, timeout=timeout)
        self.url = base_url + "/v1/chat/completions"
        self.headers = {
            "accept": "application/json",
            "content-type": "application/json",
            "authorization": f"Bearer {API_KEY}",
        }
        self.stream_headers = {**self.headers, "accept": "text/event-stream"}

    async def post(self, body: dict[str, Any]) -> Any:
        response = await self.client.post(
            self.url, content=_dumps(body).encode(), headers=self.headers
        )
        if response.status_code != 200:
            raise HTTPStatusFailure(f"HTTP {response.status_code}: {response.content[:200]!r}")
        return _loads(response.content)

    async def stream(self, body: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        """POST a streamed request; return the text and the tool calls assembled from the chunks."""
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
        text: list[str] = []
        calls: dict[int, dict[str, Any]] = {}
        request = self.client.build_request(
            "POST", self.url, content=_dumps(body).encode(), headers=self.stream_headers
        )
        response = await self.client.send(request, stream=True)
        try:
            if response.status_code != 200:
                await response.aread()
                raise HTTPStatusFailure(f"HTTP {response.status_code}: {response.content[:200]!r}")
            buffer = b""
            async for chunk in response.aiter_bytes():
                payloads, buffer = split_sse(buffer, chunk)
                for payload in payloads:
                    if payload == b"[DONE]":
                        continue
                    choices = _loads(payload)["choices"]
                    if not choices:
                        continue
                    delta = choices[0]["delta"]
                    content = delta.get("content")
                    if content:
                        text.append(content)
                    for piece in delta.get("tool_calls") or ():
                        call = calls.get(piece["index"])
                        if call is None:
                            call = calls[piece["index"]] = {"id": "", "name": "", "arguments": []}
                        if piece.get("id"):
                            call["id"] = piece["id"]
                        function = piece.get("function") or {}
                        if function.get("name"):
                            call["name"] = function["name"]
                        if function.get("arguments"):
                            call["arguments"].append(function["arguments"])
        finally:
            await response.aclose()
        wire_calls = [
            {
                "id": c["id"],
                "type": "function",
                "function": {"name": c["name"], "arguments": "".join(c["arguments"])},
            }
            for _, c in sorted(calls.items())
        ]
        return "".join(text), wire_calls

    async def aclose(self) -> None:
        await self.client.aclose()


def _opening() -> list[dict[str, Any]]:
    return [{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": AGENT_PROMPT}]


def _run_tools(messages: list[dict[str, Any]], calls: list[dict[str, Any]]) -> None:
    # "" beside tool calls: what llmkit sends to any address but OpenAI's own (the fake's).
    messages.append({"role": "assistant", "content": "", "tool_calls": calls})
    for call in calls:
        function = call["function"]
        if function["name"] != TOOL_NAME:
            raise RuntimeError(f"the model called an unknown tool {function['name']!r}")
        result = get_weather(**_loads(function["arguments"]))
        messages.append({"role": "tool", "tool_call_id": call["id"], "content": _dumps(result)})


class FloorGenerate(_Floor):
    """One non-streamed chat call."""

    async def run(self) -> None:
        body = {
            "model": MODEL,
            "messages": [
                {"role": "system", "content": INSTRUCTIONS},
                {"role": "user", "content": PROMPT},
            ],
        }
        data = await self.post(body)
        if not data["choices"][0]["message"]["content"]:
            raise RuntimeError("no text in the answer")


class FloorStream(_Floor):
    """One streamed chat call."""

    async def run(self) -> None:
        body = {
            "model": MODEL,
            "messages": [
                {"role": "system", "content": INSTRUCTIONS},
                {"role": "user", "content": PROMPT},
            ],
        }
        text, _ = await self.stream(body)
        if not text:
            raise RuntimeError("no text in the answer")


class FloorAgent(_Floor):
    """The agent loop by hand: a call that asks for the tool, the tool, the call that answers."""

    async def run(self) -> None:
        messages = _opening()
        data = await self.post({"model": MODEL, "messages": messages, "tools": [TOOL]})
        _run_tools(messages, data["choices"][0]["message"]["tool_calls"])
        data = await self.post({"model": MODEL, "messages": messages, "tools": [TOOL]})
        if not data["choices"][0]["message"]["content"]:
            raise RuntimeError("no text in the final answer")


class FloorAgentStream(_Floor):
    """The agent loop by hand with both calls streamed."""

    async def run(self) -> None:
        messages = _opening()
        _, calls = await self.stream({"model": MODEL, "messages": messages, "tools": [TOOL]})
        _run_tools(messages, calls)
        text, _ = await self.stream({"model": MODEL, "messages": messages, "tools": [TOOL]})
        if not text:
            raise RuntimeError("no text in the final answer")


class FloorAgentOutput(_Floor):
    """The agent loop by hand with a JSON-schema answer, validated into a pydantic model."""

    def __init__(self, base_url: str, **options: Any) -> None:
        super().__init__(base_url, **options)
        self.output_type = output_model()

    async def run(self) -> None:
        messages = _opening()
        body = {
            "model": MODEL,
            "messages": messages,
            "tools": [TOOL],
            "response_format": RESPONSE_FORMAT,
        }
        data = await self.post(body)
        _run_tools(messages, data["choices"][0]["message"]["tool_calls"])
        data = await self.post({**body, "messages": messages})
        self.output_type.model_validate_json(data["choices"][0]["message"]["content"])


class FloorWorkflow(_Floor):
    """Three chat calls in sequence, each step given the previous step's answer."""

    async def run(self) -> None:
        text = PROMPT
        for step in ("Draft", "Critique", "Rewrite"):
            body = {
                "model": MODEL,
                "messages": [
                    {"role": "system", "content": f"{step}. {INSTRUCTIONS}"},
                    {"role": "user", "content": text},
                ],
            }
            text = (await self.post(body))["choices"][0]["message"]["content"]

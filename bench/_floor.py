"""The floor: hand-written loops on a raw HTTP client doing the same exchanges as llmkit.

Each runner builds the same JSON bodies llmkit sends, parses every answer,
and for streams splits the SSE lines and parses every chunk. Nothing is
cached between runs except what a hand-written program would keep (the
client, the tool definition). The same loops run on three clients
(:mod:`bench._wire`): ``httpx2`` with the standard library's ``json`` (the
floor the first ratios are taken against), ``aiohttp`` with ``orjson`` (the
cheapest loop known here, the second floor) and ``httpx`` 0.28 (a reference).
The floors of the cases that make no model call are plain Python, with no client.
"""

from __future__ import annotations

from typing import Any

from bench._wire import HTTPStatusFailure, make_wire
from bench._workload import (
    AGENT_PROMPT,
    API_KEY,
    INSTRUCTIONS,
    ITEMS,
    MODEL,
    OUTPUT_DESCRIPTION,
    OUTPUT_NAME,
    OUTPUT_SCHEMA,
    PROMPT,
    TOOL_DESCRIPTION,
    TOOL_NAME,
    TOOL_PARAMETERS,
    branch_functions,
    double,
    get_weather,
    output_model,
)

__all__ = [
    "FloorAgent",
    "FloorAgentOutput",
    "FloorAgentStream",
    "FloorGenerate",
    "FloorMap1000",
    "FloorParallel100",
    "FloorStream",
    "FloorWorkflow",
    "HTTPStatusFailure",
    "StreamedAnswer",
    "split_sse",
]

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


def split_sse(buffer: bytes, chunk: bytes) -> tuple[list[bytes], bytes]:
    """The payloads of the complete ``data:`` lines in ``buffer + chunk``, and the unfinished rest."""
    lines = (buffer + chunk).split(b"\n")
    rest = lines.pop()
    return [line[6:] for line in lines if line.startswith(b"data: ")], rest


class StreamedAnswer:
    """The text and tool calls of one streamed chat answer, assembled from its raw chunks."""

    __slots__ = ("buffer", "calls", "loads", "text")

    def __init__(self, loads: Any) -> None:
        self.loads = loads
        self.buffer = b""
        self.text: list[str] = []
        self.calls: dict[int, dict[str, Any]] = {}

    def feed(self, chunk: bytes) -> None:
        """Split ``chunk`` into SSE payloads and fold each parsed one into the answer."""
        payloads, self.buffer = split_sse(self.buffer, chunk)
        for payload in payloads:
            if payload == b"[DONE]":
                continue
            choices = self.loads(payload)["choices"]
            if not choices:
                continue
            delta = choices[0]["delta"]
            content = delta.get("content")
            if content:
                self.text.append(content)
            for piece in delta.get("tool_calls") or ():
                call = self.calls.get(piece["index"])
                if call is None:
                    call = self.calls[piece["index"]] = {"id": "", "name": "", "arguments": []}
                if piece.get("id"):
                    call["id"] = piece["id"]
                function = piece.get("function") or {}
                if function.get("name"):
                    call["name"] = function["name"]
                if function.get("arguments"):
                    call["arguments"].append(function["arguments"])

    def result(self) -> tuple[str, list[dict[str, Any]]]:
        """The text, and the tool calls as the assistant message carries them."""
        wire_calls = [
            {
                "id": c["id"],
                "type": "function",
                "function": {"name": c["name"], "arguments": "".join(c["arguments"])},
            }
            for _, c in sorted(self.calls.items())
        ]
        return "".join(self.text), wire_calls


class _Floor:
    """One raw client (``lib``: httpx2, httpx or aiohttp), pooled and timed out as llmkit's is."""

    LOOP_BOUND = True
    """The client belongs to the event loop it was built in (a new loop needs a new runner)."""

    def __init__(self, base_url: str, *, lib: str = "httpx2", **options: Any) -> None:
        wire = make_wire(base_url + "/v1/chat/completions", API_KEY, lib=lib, **options)
        self.post = wire.post
        self.aclose = wire.aclose
        self._send_stream = wire.stream
        self.loads = wire.loads
        self.dumps_text = wire.dumps_text

    async def stream(self, body: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        """POST a streamed request; return the text and the tool calls assembled from the chunks."""
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
        answer = StreamedAnswer(self.loads)
        await self._send_stream(body, answer)
        return answer.result()

    def run_tools(self, messages: list[dict[str, Any]], calls: list[dict[str, Any]]) -> None:
        """Append the assistant's tool calls and the result of each to ``messages``."""
        # "" beside tool calls: what llmkit sends to any address but OpenAI's own (the fake's).
        messages.append({"role": "assistant", "content": "", "tool_calls": calls})
        for call in calls:
            function = call["function"]
            if function["name"] != TOOL_NAME:
                raise RuntimeError(f"the model called an unknown tool {function['name']!r}")
            result = get_weather(**self.loads(function["arguments"]))
            messages.append(
                {"role": "tool", "tool_call_id": call["id"], "content": self.dumps_text(result)}
            )


def _opening() -> list[dict[str, Any]]:
    return [{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": AGENT_PROMPT}]


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
        self.run_tools(messages, data["choices"][0]["message"]["tool_calls"])
        data = await self.post({"model": MODEL, "messages": messages, "tools": [TOOL]})
        if not data["choices"][0]["message"]["content"]:
            raise RuntimeError("no text in the final answer")


class FloorAgentStream(_Floor):
    """The agent loop by hand with both calls streamed."""

    async def run(self) -> None:
        messages = _opening()
        _, calls = await self.stream({"model": MODEL, "messages": messages, "tools": [TOOL]})
        self.run_tools(messages, calls)
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
        self.run_tools(messages, data["choices"][0]["message"]["tool_calls"])
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


class _Local:
    """A floor that needs no server: plain Python doing what a workflow's steps do."""

    LOOP_BOUND = False

    def __init__(self, base_url: str) -> None:
        pass

    async def aclose(self) -> None:
        pass


class FloorParallel100(_Local):
    """The parallel case by hand: every function called on the state, the list stored."""

    def __init__(self, base_url: str) -> None:
        self.functions = branch_functions()

    async def run(self) -> None:
        state: dict[str, Any] = {}
        state["out"] = [f(state) for f in self.functions]


class FloorMap1000(_Local):
    """The map case by hand: the body called on every item, the list stored."""

    def __init__(self, base_url: str) -> None:
        self.items = list(range(ITEMS))

    async def run(self) -> None:
        state: dict[str, Any] = {"items": self.items}
        state["out"] = [double(x) for x in state["items"]]

"""The fake server's Ollama answers, as pure functions.

Encodes a :class:`~llmkit.types.Response` as the single JSON answer or the
NDJSON lines Ollama streams: content in pieces, ``thinking`` before it, each
tool call whole in a line of its own after an empty-content line, and a last
line with ``done: true``, ``done_reason`` and the token counts. Answers the
other routes (``/api/embed``, ``/api/tags``, ``/api/show``) too.

Two settings of a :class:`~llmkit.types.Response` turn's ``provider_data["ollama"]``
script what a fault cannot: ``"error": "…"`` streams the content and then
that ``{"error": …}`` line instead of the last line, which is how Ollama
reports a failure part-way (not streaming, it is a 500 with that error);
``"done": False`` ends the stream cleanly without its last line.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from llmkit._json import dumps
from llmkit.testing._fake.ollama.limits import full_name
from llmkit.testing._fake.ollama.request import PROTOCOL
from llmkit.testing._vectors import text_vector
from llmkit.types import JSONDict, Response, ToolCall

__all__ = [
    "chat_body",
    "embed_body",
    "load_body",
    "midstream_error",
    "now",
    "show_body",
    "stream_lines",
    "tags_body",
]

_NANOS_PER_TOKEN = 20_000_000


def now() -> str:
    """The time as Ollama writes ``created_at`` (RFC 3339, UTC)."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _done_reason(response: Response) -> str:
    if response.raw_finish_reason:
        return response.raw_finish_reason
    return "length" if response.finish_reason == "length" else "stop"


def _metrics(response: Response) -> JSONDict:
    usage = response.usage
    prompt = usage.input_tokens * _NANOS_PER_TOKEN // 8
    evaluated = usage.output_tokens * _NANOS_PER_TOKEN
    return {
        "done_reason": _done_reason(response),
        "total_duration": prompt + evaluated + 1_000_000,
        "load_duration": 1_000_000,
        "prompt_eval_count": usage.input_tokens,
        "prompt_eval_duration": prompt,
        "eval_count": usage.output_tokens,
        "eval_duration": evaluated,
    }


def _wire_call(index: int, call: ToolCall) -> JSONDict:
    arguments: Any = call.arguments
    if call.raw_arguments is not None:
        try:
            arguments = json.loads(call.raw_arguments)
        except ValueError:
            arguments = {}
    wire: JSONDict = {"function": {"index": index, "name": call.name, "arguments": arguments}}
    if call.id:
        wire = {"id": call.id, **wire}
    return wire


def chat_body(response: Response, *, model: str, created_at: str) -> JSONDict:
    """The non-streaming ``/api/chat`` answer for ``response``."""
    message: JSONDict = {"role": "assistant", "content": response.text}
    if response.reasoning:
        message["thinking"] = response.reasoning
    calls = response.tool_calls
    if calls:
        message["tool_calls"] = [_wire_call(i, c) for i, c in enumerate(calls)]
    return {
        "model": response.model or model,
        "created_at": created_at,
        "message": message,
        "done": True,
        **_metrics(response),
    }


def load_body(model: str, created_at: str) -> JSONDict:
    """The answer to a chat with no messages: the model was loaded, nothing generated."""
    return {
        "model": model,
        "created_at": created_at,
        "message": {"role": "assistant", "content": ""},
        "done_reason": "load",
        "done": True,
    }


def _hooks(response: Response) -> JSONDict:
    data = (response.provider_data or {}).get(PROTOCOL)
    return data if isinstance(data, dict) else {}


def midstream_error(response: Response) -> str | None:
    """The error a response turn asks to end its stream with, if any."""
    error = _hooks(response).get("error")
    return str(error) if error else None


def _pieces(text: str, size: int) -> list[str]:
    if size <= 0 or len(text) <= size:
        return [text] if text else []
    return [text[i : i + size] for i in range(0, len(text), size)]


def stream_lines(
    response: Response, *, model: str, created_at: str, chunk_size: int = 4
) -> list[bytes]:
    """Every NDJSON line of the streamed answer, the last (``done: true``) included."""
    name = dumps(response.model or model)
    head = f'{{"model":{name},"created_at":"{created_at}","message":'
    lines: list[bytes] = []

    def emit(message: JSONDict) -> None:
        lines.append(f'{head}{dumps({"role": "assistant", **message})},"done":false}}\n'.encode())

    for piece in _pieces(response.reasoning, chunk_size):
        emit({"content": "", "thinking": piece})
    for piece in _pieces(response.text, chunk_size):
        emit({"content": piece})
    calls = response.tool_calls
    if calls:
        # Ollama sends an empty content line before tool calls; clients must not stop there.
        emit({"content": ""})
    for i, call in enumerate(calls):
        emit({"content": "", "tool_calls": [_wire_call(i, call)]})
    error = midstream_error(response)
    if error is not None:
        lines.append(dumps({"error": error}).encode() + b"\n")
        return lines
    if _hooks(response).get("done") is False:
        return lines
    last: JSONDict = {
        "model": response.model or model,
        "created_at": created_at,
        "message": {"role": "assistant", "content": ""},
        "done": True,
        **_metrics(response),
    }
    lines.append(dumps(last).encode() + b"\n")
    return lines


# --------------------------------------------------------------------- other routes


def embed_body(body: dict[str, Any], dimensions: int) -> JSONDict:
    """The ``/api/embed`` answer: one deterministic vector per input."""
    raw = body.get("input")
    inputs = [raw] if isinstance(raw, str) and raw else list(raw or [])
    size = body.get("dimensions") or dimensions
    tokens = sum(max(1, len(text) // 4) for text in inputs)
    answer: JSONDict = {
        "model": body["model"],
        "embeddings": [text_vector(text, size) for text in inputs],
    }
    if inputs:
        answer |= {"total_duration": 2_000_000, "load_duration": 1_000_000}
        answer["prompt_eval_count"] = tokens
    return answer


def _details(model: str) -> JSONDict:
    family = model.split(":", 1)[0].rsplit("/", 1)[-1].split(".", 1)[0].rstrip("0123456789-")
    return {
        "parent_model": "",
        "format": "gguf",
        "family": family or "llama",
        "families": [family or "llama"],
        "parameter_size": "3.2B",
        "quantization_level": "Q4_K_M",
    }


def tags_body(models: list[str]) -> JSONDict:
    """The ``/api/tags`` answer listing ``models``."""
    entries = []
    for model in models:
        name = full_name(model)
        digest = hashlib.sha256(name.encode()).hexdigest()
        entries.append(
            {
                "name": name,
                "model": name,
                "modified_at": "2025-06-01T12:00:00.000000Z",
                "size": 2_019_393_189,
                "digest": digest,
                "details": _details(name),
            }
        )
    return {"models": entries}


def show_body(model: str, capabilities: frozenset[str]) -> JSONDict:
    """The ``/api/show`` answer for ``model`` with ``capabilities``."""
    shown = sorted(c for c in capabilities if c != "think_levels")
    return {
        "license": "",
        "modelfile": f"FROM {full_name(model)}\n",
        "parameters": 'stop "<|eot_id|>"',
        "template": "{{ .Prompt }}",
        "details": _details(model),
        "model_info": {"general.architecture": _details(model)["family"]},
        "capabilities": shown,
        "modified_at": "2025-06-01T12:00:00.000000Z",
    }

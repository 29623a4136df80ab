"""The fake server's side of Ollama's native wire format, as pure functions.

Decodes a (valid) ``/api/chat`` body into an llmkit :class:`~llmkit.types.Request`
for script functions, and encodes a :class:`~llmkit.types.Response` as the
single JSON answer or the NDJSON lines Ollama streams: content in pieces,
``thinking`` before it, each tool call whole in a line of its own after an
empty-content line, and a last line with ``done: true``, ``done_reason`` and
the token counts. Errors for scripted exceptions and faults are built here too.

Two settings of a :class:`~llmkit.types.Response` turn's ``provider_data["ollama"]``
script what a fault cannot: ``"error": "…"`` streams the content and then
that ``{"error": …}`` line instead of the last line, which is how Ollama
reports a failure part-way (not streaming, it is a 500 with that error);
``"done": False`` ends the stream cleanly without its last line.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from llmkit.errors import ContextLengthError, ProviderError
from llmkit.testing._fake.ollama.limits import full_name
from llmkit.testing._fake.ollama.rules import OllamaError
from llmkit.testing._fault import Fault, retry_after_seconds, status_for
from llmkit.testing._vectors import text_vector
from llmkit.types import (
    ImagePart,
    JSONDict,
    Message,
    OutputSchema,
    Part,
    Reasoning,
    ReasoningEffort,
    ReasoningPart,
    Request,
    Response,
    TextPart,
    ToolCall,
    ToolResult,
    ToolSpec,
)

__all__ = [
    "chat_body",
    "decode_request",
    "embed_body",
    "error_for_exception",
    "error_for_fault",
    "load_body",
    "midstream_error",
    "show_body",
    "stream_lines",
    "tags_body",
]

PROTOCOL = "ollama"
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_OPTIONS = {"temperature", "top_p", "num_predict", "stop", "seed"}
_DECODED = {"model", "messages", "stream", "tools", "format", "options", "think"}
_MAGIC = (
    (b"\x89PNG", "image/png"),
    (b"\xff\xd8", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"RIFF", "image/webp"),
)
_NANOS_PER_TOKEN = 20_000_000


def now() -> str:
    """The time as Ollama writes ``created_at`` (RFC 3339, UTC)."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


# ----------------------------------------------------------------------- decoding


def _image(data: str) -> ImagePart:
    raw = base64.b64decode(data)
    media_type = next((t for magic, t in _MAGIC if raw.startswith(magic)), "image/png")
    return ImagePart(data=raw, media_type=media_type)


def _content(message: dict[str, Any]) -> list[Part]:
    parts: list[Part] = []
    text = message.get("content") or ""
    if text:
        parts.append(TextPart(text))
    parts.extend(_image(i) for i in message.get("images") or () if i)
    return parts


def _assistant(message: dict[str, Any]) -> Message:
    parts: list[Part] = []
    thinking = message.get("thinking")
    if thinking:
        parts.append(ReasoningPart(thinking, provider_data={PROTOCOL: {}}))
    parts.extend(_content(message))
    for i, call in enumerate(message.get("tool_calls") or ()):
        function = (call or {}).get("function") or {}
        call_id = (call or {}).get("id") or f"call_{function.get('index') or i}"
        parts.append(ToolCall(call_id, function.get("name") or "", function.get("arguments") or {}))
    return Message("assistant", parts)


def _decode_messages(wire: list[dict[str, Any]]) -> list[Message]:
    messages: list[Message] = []
    for item in wire:
        m = item or {}  # a null message decodes to an empty one, as in Go
        role = m.get("role") or ""
        if role == "assistant":
            messages.append(_assistant(m))
        elif role == "tool":
            name = m.get("tool_name")
            content = m.get("content") or ""
            images = [_image(i) for i in m.get("images") or () if i]
            result = ToolResult(
                m.get("tool_call_id") or name or "",
                [TextPart(content), *images] if images else content,
                name=name,
            )
            # Consecutive tool messages answer one assistant turn: one llmkit message holds them.
            if messages and messages[-1].role == "tool":
                messages[-1].parts.append(result)
            else:
                messages.append(Message.tool(result))
        else:
            messages.append(Message("system" if role == "system" else "user", _content(m)))
    return messages


def _decode_tools(wire: list[dict[str, Any]] | None) -> list[ToolSpec]:
    tools: list[ToolSpec] = []
    for tool in wire or ():
        spec = (tool or {}).get("function") or {}
        parameters = spec.get("parameters") or {"type": "object", "properties": {}}
        tools.append(ToolSpec(spec.get("name") or "", spec.get("description") or "", parameters))
    return tools


def _reasoning(think: Any) -> Reasoning | None:
    if think is None:
        return None
    if think is False:
        return Reasoning("none")
    # Ollama reads ``true`` as the medium level.
    effort: ReasoningEffort = "medium"
    if think in ("low", "high"):
        effort = think
    return Reasoning(effort)


def decode_request(body: dict[str, Any]) -> Request:
    """The llmkit :class:`Request` a valid ``/api/chat`` body stands for.

    Options without a :class:`Request` field (``num_ctx`` …) are kept in
    ``extra["options"]``; other body fields (``keep_alive`` …) in ``extra``.
    """
    extra: JSONDict = {k: v for k, v in body.items() if k not in _DECODED and v is not None}
    options = body.get("options") or {}
    more = {k: v for k, v in options.items() if k not in _OPTIONS}
    limit = _whole(options.get("num_predict"))
    if isinstance(limit, int) and limit < 1:
        # -1 (no limit) and -2 (fill the context) are no Request limit: they stay in extra.
        more["num_predict"] = limit
        limit = None
    if more:
        extra["options"] = more
    schema: OutputSchema | None = None
    fmt = body.get("format")
    if isinstance(fmt, dict):
        schema = OutputSchema(fmt)
    elif fmt:
        extra["format"] = fmt
    return Request(
        messages=_decode_messages(body.get("messages") or []),
        tools=_decode_tools(body.get("tools")),
        output_schema=schema,
        temperature=options.get("temperature"),
        top_p=options.get("top_p"),
        max_tokens=limit,
        stop=options.get("stop"),
        seed=_whole(options.get("seed")),
        reasoning=_reasoning(body.get("think")),
        extra=extra,
    )


def _whole(value: Any) -> Any:
    """Ollama reads its options loosely: a number with a fraction becomes a whole number."""
    return int(value) if isinstance(value, float) and value == value else value


# ----------------------------------------------------------------------- encoding


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
    name = _dumps(response.model or model)
    head = f'{{"model":{name},"created_at":"{created_at}","message":'
    lines: list[bytes] = []

    def emit(message: JSONDict) -> None:
        lines.append(f'{head}{_dumps({"role": "assistant", **message})},"done":false}}\n'.encode())

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
        lines.append(_dumps({"error": error}).encode() + b"\n")
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
    lines.append(_dumps(last).encode() + b"\n")
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


# ------------------------------------------------------------------------- errors

_DEFAULTS = {
    400: "invalid request",
    401: "unauthorized",
    403: "forbidden",
    408: "request timed out",
    409: "conflict",
    429: "too many requests",
    500: "an error was encountered while running the model",
    502: "bad gateway",
    503: "server busy, please try again.  maximum pending requests exceeded",
}
_CONTEXT = "input length exceeds the context length"


def _message(status: int, model: str) -> str:
    if status == 404:
        return f"model '{model}' not found"
    return _DEFAULTS.get(status, f"the server answered HTTP {status}")


def _retry_headers(seconds: float | None) -> dict[str, str]:
    return {"retry-after": f"{seconds:g}"} if seconds is not None else {}


def error_for_fault(fault: Fault, model: str) -> OllamaError:
    """The Ollama error answer for a ``status`` or ``context_length`` fault."""
    if fault.kind == "context_length":
        return OllamaError(400, fault.message or _CONTEXT)
    status = fault.http_status
    return OllamaError(
        status, fault.message or _message(status, model), _retry_headers(retry_after_seconds(fault))
    )


def error_for_exception(exc: BaseException, model: str) -> OllamaError:
    """The Ollama error answer for a scripted exception (its own message wins)."""
    status = status_for(exc)
    if isinstance(exc, ContextLengthError) and not exc.provider_message:
        return OllamaError(status, _CONTEXT)
    if not isinstance(exc, ProviderError):
        return OllamaError(status, _message(status, model))
    return OllamaError(
        status,
        exc.provider_message or exc.message or _message(status, model),
        _retry_headers(exc.retry_after),
    )

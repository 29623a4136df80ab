"""The fake server's side of the OpenAI wire format, as pure functions.

Decodes a (valid) Chat Completions body into an llmkit :class:`~llmkit.types.Request`
so a script function sees what the client meant, and encodes a
:class:`~llmkit.types.Response` as the JSON answer or the SSE chunks the real
API sends. Errors for scripted exceptions and faults are built here too.
"""

from __future__ import annotations

import base64
import json
import sys
from array import array
from typing import Any

from llmkit.errors import ContentFilterError, ContextLengthError, ProviderError
from llmkit.providers._assemble import make_tool_call
from llmkit.testing._fake.openai.errors import WireError
from llmkit.testing._fault import Fault, status_for
from llmkit.testing._vectors import text_vector
from llmkit.types import (
    AudioPart,
    ContentPart,
    DocumentPart,
    ImagePart,
    Message,
    OutputSchema,
    Part,
    Reasoning,
    Request,
    Response,
    TextPart,
    ToolCall,
    ToolResult,
    ToolSpec,
    Usage,
)

__all__ = [
    "completion_body",
    "decode_request",
    "embeddings_body",
    "error_for_exception",
    "error_for_fault",
    "stream_chunks",
    "usage_body",
]

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

# Body fields the decoder maps onto Request fields; the rest lands in Request.extra.
_MAPPED = frozenset(
    (
        "model",
        "messages",
        "stream",
        "stream_options",
        "tools",
        "tool_choice",
        "temperature",
        "top_p",
        "max_tokens",
        "max_completion_tokens",
        "stop",
        "seed",
        "reasoning_effort",
        "parallel_tool_calls",
    )
)
# llmkit's "error" has no OpenAI counterpart; the stream simply stopped.
_FINISH = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "content_filter": "content_filter",
}


# ----------------------------------------------------------------------- decoding


def _text_of(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _content_part(part: dict[str, Any]) -> ContentPart:
    kind = part["type"]
    if kind == "image_url":
        image = part["image_url"]
        return ImagePart(url=image["url"], detail=image.get("detail"))
    if kind == "input_audio":
        audio = part["input_audio"]
        # Kept as a data URL: no decoding, so odd base64 cannot fail the request here.
        media_type = f"audio/{audio['format']}"
        return AudioPart(url=f"data:{media_type};base64,{audio['data']}", media_type=media_type)
    if kind == "file":
        file = part.get("file") or {}
        if file.get("file_data"):
            return DocumentPart(url=file["file_data"], name=file.get("filename"))
        file_id = str(file.get("file_id", ""))
        return DocumentPart(
            url=file_id, name=file.get("filename"), provider_data={"file_id": file_id}
        )
    return TextPart(str(part.get("text", part.get("refusal", ""))))


def _user_parts(content: object) -> list[Part]:
    if isinstance(content, str):
        return [TextPart(content)]
    return [_content_part(p) for p in content] if isinstance(content, list) else []


def _assistant(message: dict[str, Any]) -> Message:
    parts: list[Part] = []
    text = _text_of(message.get("content"))
    if text:
        parts.append(TextPart(text))
    for call in message.get("tool_calls") or ():
        kind = call.get("type", "function")
        spec = call.get(kind) or {}
        raw = spec.get("arguments", spec.get("input", ""))
        extra = {"type": kind} if kind != "function" else None
        parts.append(make_tool_call(call["id"], spec.get("name", ""), raw, extra))
    return Message("assistant", parts, message.get("name"))


def _decode_messages(wire: list[dict[str, Any]]) -> list[Message]:
    messages: list[Message] = []
    names: dict[str, str] = {}
    for m in wire:
        role = m["role"]
        if role in ("system", "developer"):
            data = {"role": "developer"} if role == "developer" else None
            messages.append(
                Message("system", [TextPart(_text_of(m["content"]))], m.get("name"), data)
            )
        elif role == "user":
            messages.append(Message("user", _user_parts(m["content"]), m.get("name")))
        elif role == "assistant":
            message = _assistant(m)
            names.update((c.id, c.name) for c in message.tool_calls)
            messages.append(message)
        else:
            call_id = m.get("tool_call_id") or m.get("name", "")
            result = ToolResult(
                call_id, _text_of(m.get("content")), name=names.get(call_id, m.get("name"))
            )
            # Consecutive tool messages answer one assistant turn: one llmkit message holds them.
            if messages and messages[-1].role == "tool":
                messages[-1].parts.append(result)
            else:
                messages.append(Message.tool(result))
    return messages


def _decode_tools(wire: list[dict[str, Any]] | None) -> list[ToolSpec]:
    tools: list[ToolSpec] = []
    for tool in wire or ():
        kind = tool["type"]
        spec = tool[kind]
        if kind == "function":
            parameters = spec.get("parameters") or {"type": "object", "properties": {}}
            tools.append(
                ToolSpec(spec["name"], spec.get("description", ""), parameters, spec.get("strict"))
            )
        else:
            tools.append(
                ToolSpec(spec["name"], spec.get("description", ""), provider_data={"type": kind})
            )
    return tools


def _decode_tool_choice(choice: object) -> str | None:
    if choice is None or isinstance(choice, str):
        return choice
    if isinstance(choice, dict):
        kind = choice.get("type")
        named = choice.get(kind) if isinstance(kind, str) else None
        if isinstance(named, dict) and isinstance(named.get("name"), str):
            return str(named["name"])
        if kind == "allowed_tools":
            return str((choice.get("allowed_tools") or {}).get("mode", "auto"))
    return None


def decode_request(body: dict[str, Any]) -> Request:
    """The llmkit :class:`Request` a valid Chat Completions body stands for.

    Parameters without a :class:`Request` field (``n``, penalties, a
    ``json_object`` response format …) are kept in ``extra``.
    """
    extra = {k: v for k, v in body.items() if k not in _MAPPED and v is not None}
    schema: OutputSchema | None = None
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        spec = fmt["json_schema"]
        schema = OutputSchema(
            spec.get("schema") or {},
            spec["name"],
            spec.get("description"),
            bool(spec.get("strict")),
        )
        del extra["response_format"]
    stop = body.get("stop")
    effort = body.get("reasoning_effort")
    return Request(
        messages=_decode_messages(body["messages"]),
        tools=_decode_tools(body.get("tools")),
        tool_choice=_decode_tool_choice(body.get("tool_choice")),
        output_schema=schema,
        temperature=body.get("temperature"),
        top_p=body.get("top_p"),
        max_tokens=body.get("max_completion_tokens", body.get("max_tokens")),
        stop=[stop] if isinstance(stop, str) else stop,
        seed=body.get("seed"),
        reasoning=Reasoning(effort) if effort is not None else None,
        parallel_tool_calls=body.get("parallel_tool_calls"),
        extra=extra,
    )


# ----------------------------------------------------------------------- encoding


def usage_body(usage: Usage) -> dict[str, Any]:
    """The wire ``usage`` object, with its details objects."""
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cache_read_tokens, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": usage.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _finish_reason(response: Response) -> str:
    return response.raw_finish_reason or _FINISH.get(response.finish_reason, "stop")


def _arguments(call: ToolCall) -> str:
    if call.raw_arguments is not None:
        return call.raw_arguments
    return _dumps(call.arguments)


def _wire_call(call: ToolCall) -> dict[str, Any]:
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": _arguments(call)},
    }


def completion_body(
    response: Response, *, model: str, completion_id: str, created: int, n: int = 1
) -> dict[str, Any]:
    """The non-streaming ``chat.completion`` object for ``response`` (``n`` equal choices)."""
    calls = response.tool_calls
    text = response.text
    message: dict[str, Any] = {
        "role": "assistant",
        "content": text if text or not calls else None,
        "refusal": None,
        "annotations": [],
    }
    if calls:
        message["tool_calls"] = [_wire_call(c) for c in calls]
    finish = _finish_reason(response)
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": response.model or model,
        "choices": [
            {"index": i, "message": message, "logprobs": None, "finish_reason": finish}
            for i in range(n)
        ],
        "usage": usage_body(response.usage),
        "service_tier": "default",
        "system_fingerprint": "fp_llmkit",
    }


def _pieces(text: str, size: int) -> list[str]:
    if size <= 0 or len(text) <= size:
        return [text] if text else []
    return [text[i : i + size] for i in range(0, len(text), size)]


def stream_chunks(
    response: Response,
    *,
    model: str,
    completion_id: str,
    created: int,
    include_usage: bool = False,
    chunk_size: int = 4,
    n: int = 1,
    complete: bool = True,
) -> list[bytes]:
    """Every SSE event of the streamed answer, ``data: [DONE]`` included, in order.

    Per choice: a first chunk with the role and empty content, the text in
    ``chunk_size`` pieces, each tool call opened with its id and name (empty
    arguments) then its argument text in pieces, and a chunk with the finish
    reason. With ``include_usage`` every chunk has ``"usage": null`` and one
    more chunk with no choices carries the usage. With ``complete=False`` the
    finish-reason chunks and the usage are left out (the stream ends early).
    """
    head = (
        f'{{"id":"{completion_id}","object":"chat.completion.chunk","created":{created},'
        f'"model":{_dumps(response.model or model)},"service_tier":"default",'
        '"system_fingerprint":"fp_llmkit","choices":'
    )
    tail = ',"usage":null}' if include_usage else "}"
    events: list[bytes] = []

    def emit(index: int, delta: dict[str, Any], finish: str | None = None) -> None:
        choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
        events.append(f"data: {head}[{_dumps(choice)}]{tail}\n\n".encode())

    finish = _finish_reason(response)
    for index in range(n):
        emit(index, {"role": "assistant", "content": "", "refusal": None})
        for piece in _pieces(response.text, chunk_size):
            emit(index, {"content": piece})
        for k, call in enumerate(response.tool_calls):
            opening = {
                "index": k,
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }
            emit(index, {"tool_calls": [opening]})
            for piece in _pieces(_arguments(call), chunk_size * 4):
                emit(index, {"tool_calls": [{"index": k, "function": {"arguments": piece}}]})
        if complete:
            emit(index, {}, finish)
    if include_usage and complete:
        usage = _dumps(usage_body(response.usage))
        events.append(f'data: {head}[],"usage":{usage}}}\n\n'.encode())
    events.append(b"data: [DONE]\n\n")
    return events


# ------------------------------------------------------------------------- errors

_DEFAULTS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Your request was malformed."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: ("invalid_request_error", None, "Your API key may not use this model or feature."),
    404: (
        "invalid_request_error",
        "model_not_found",
        "The model does not exist or you do not have access to it.",
    ),
    408: ("timeout", None, "The request timed out."),
    409: ("invalid_request_error", None, "Another request with the same key is in progress."),
    429: (
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for requests. Please try again later.",
    ),
    500: (
        "server_error",
        None,
        "The server had an error while processing your request. Sorry about that!",
    ),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
}


def _defaults(status: int) -> tuple[str, str | None, str]:
    if status in _DEFAULTS:
        return _DEFAULTS[status]
    if status >= 500:
        return ("server_error", None, f"The server answered HTTP {status}.")
    return ("invalid_request_error", None, f"The request failed with HTTP {status}.")


def _retry_headers(seconds: float | None, ms: int | None = None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if seconds is not None:
        headers["retry-after"] = f"{seconds:g}"
    if ms is not None:
        headers["retry-after-ms"] = str(ms)
    return headers


def _context_length(message: str | None = None) -> WireError:
    return WireError(
        400,
        message
        or "This model's maximum context length is 128000 tokens. However, your messages "
        "resulted in 130000 tokens. Please reduce the length of the messages.",
        "invalid_request_error",
        "messages",
        "context_length_exceeded",
    )


def error_for_exception(exc: BaseException) -> WireError:
    """The OpenAI error answer for a scripted exception (its own fields win over defaults)."""
    status = status_for(exc)
    if isinstance(exc, ContextLengthError) and exc.code is None:
        return _context_length(exc.provider_message)
    kind, code, message = _defaults(status)
    if isinstance(exc, ContentFilterError):
        code = "content_filter"
    if not isinstance(exc, ProviderError):
        return WireError(status, message, kind, None, code)
    return WireError(
        status,
        exc.provider_message or exc.message or message,
        exc.error_type or kind,
        exc.param,
        exc.code or code,
        _retry_headers(exc.retry_after),
    )


def error_for_fault(fault: Fault) -> WireError:
    """The OpenAI error answer for a ``status`` or ``context_length`` fault."""
    if fault.kind == "context_length":
        return _context_length(fault.message)
    kind, code, message = _defaults(fault.http_status)
    return WireError(
        fault.http_status,
        fault.message or message,
        fault.error_type or kind,
        None,
        fault.error_code or code,
        _retry_headers(fault.retry_after, fault.retry_after_ms),
    )


# --------------------------------------------------------------------- embeddings


def embeddings_body(body: dict[str, Any], dimensions: int) -> dict[str, Any]:
    """The ``/v1/embeddings`` answer: one deterministic vector per input, float or base64."""
    raw = body["input"]
    if isinstance(raw, str) or (raw and isinstance(raw[0], int)):
        inputs = [raw]
    else:
        inputs = list(raw)
    size = body.get("dimensions") or dimensions
    as_base64 = body.get("encoding_format") == "base64"
    data: list[dict[str, Any]] = []
    tokens = 0
    for index, item in enumerate(inputs):
        text = item if isinstance(item, str) else " ".join(map(str, item))
        tokens += len(item) if isinstance(item, list) else max(1, len(item) // 4)
        vector = text_vector(text, size)
        embedding: Any = vector
        if as_base64:
            packed = array("f", vector)
            if sys.byteorder == "big":
                packed.byteswap()  # the wire form is little-endian float32
            embedding = base64.b64encode(packed.tobytes()).decode("ascii")
        data.append({"object": "embedding", "index": index, "embedding": embedding})
    return {
        "object": "list",
        "data": data,
        "model": body["model"],
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }

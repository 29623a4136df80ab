"""The fake server's OpenAI answers, as pure functions.

Encodes a :class:`~llmkit.types.Response` as the ``chat.completion`` JSON
answer or the SSE chunks the real API sends, and answers embedding requests
with deterministic vectors.
"""

from __future__ import annotations

import base64
import sys
from array import array
from typing import Any

from llmkit._json import dumps
from llmkit.testing._vectors import text_vector
from llmkit.types import Response, ToolCall, Usage

__all__ = ["completion_body", "embeddings_body", "stream_chunks", "usage_body"]


# llmkit's "error" has no OpenAI counterpart; the stream simply stopped.
_FINISH = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "content_filter": "content_filter",
}


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
    return dumps(call.arguments)


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
        f'"model":{dumps(response.model or model)},"service_tier":"default",'
        '"system_fingerprint":"fp_llmkit","choices":'
    )
    tail = ',"usage":null}' if include_usage else "}"
    events: list[bytes] = []

    def emit(index: int, delta: dict[str, Any], finish: str | None = None) -> None:
        choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
        events.append(f"data: {head}[{dumps(choice)}]{tail}\n\n".encode())

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
        usage = dumps(usage_body(response.usage))
        events.append(f'data: {head}[],"usage":{usage}}}\n\n'.encode())
    events.append(b"data: [DONE]\n\n")
    return events


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

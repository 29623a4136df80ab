"""The fake server's Anthropic answers, as pure functions.

Encodes a :class:`~llmkit.types.Response` as the ``message`` object or the
server-sent events the real API sends: thinking (with a stand-in signature
when it has none), text and tool use blocks, stop reason and usage.
"""

from __future__ import annotations

import base64
import hashlib

from llmkit._json import dumps
from llmkit.testing._fake.anthropic.errors import AnthropicWireError
from llmkit.testing._fake.anthropic.request import PROTOCOL
from llmkit.types import JSONDict, ReasoningPart, Response, TextPart, ToolCall, Usage

__all__ = [
    "content_blocks",
    "message_body",
    "signature_for",
    "stop_reason",
    "stream_events",
    "usage_body",
]

_STOP_REASONS = frozenset(
    (
        "end_turn",
        "max_tokens",
        "stop_sequence",
        "tool_use",
        "pause_turn",
        "refusal",
        "model_context_window_exceeded",
    )
)
_STOP_FOR_FINISH = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
    "error": "end_turn",
}


def signature_for(text: str) -> str:
    """A stand-in signature for thinking the script gave none for (stable for equal text)."""
    digest = hashlib.sha256(text.encode()).digest()
    return base64.b64encode(b"llmkit-fake-signature:" + digest).decode()


def content_blocks(response: Response) -> list[JSONDict]:
    """The ``content`` blocks for ``response``: thinking, text and tool use, in order."""
    blocks: list[JSONDict] = []
    for part in response.message.parts:
        if isinstance(part, ReasoningPart):
            if part.redacted:
                blocks.append({"type": "redacted_thinking", "data": part.signature or ""})
            else:
                signature = part.signature or signature_for(part.text)
                blocks.append({"type": "thinking", "thinking": part.text, "signature": signature})
        elif isinstance(part, TextPart):
            if part.text:
                blocks.append({"type": "text", "text": part.text})
        elif isinstance(part, ToolCall):
            blocks.append(
                {"type": "tool_use", "id": part.id, "name": part.name, "input": part.arguments}
            )
    data = (response.message.provider_data or {}).get(PROTOCOL) or {}
    for extra in data.get("extra_blocks") or ():
        blocks.insert(min(extra["index"], len(blocks)), extra["block"])
    return blocks


def stop_reason(response: Response) -> str:
    """The ``stop_reason`` for ``response`` (its raw one when that is Anthropic's)."""
    raw = response.raw_finish_reason
    if raw in _STOP_REASONS:
        return str(raw)
    return _STOP_FOR_FINISH[response.finish_reason]


def usage_body(usage: Usage) -> JSONDict:
    """The wire ``usage``: Anthropic's ``input_tokens`` leaves out cached tokens."""
    read, written = usage.cache_read_tokens, usage.cache_write_tokens
    return {
        "input_tokens": max(0, usage.input_tokens - read - written),
        "cache_creation_input_tokens": written,
        "cache_read_input_tokens": read,
        "cache_creation": {"ephemeral_5m_input_tokens": written, "ephemeral_1h_input_tokens": 0},
        "output_tokens": usage.output_tokens,
        "service_tier": "standard",
    }


def _stop_sequence(response: Response) -> str | None:
    data = (response.provider_data or {}).get(PROTOCOL) or {}
    value = data.get("stop_sequence")
    return str(value) if value else None


def message_body(response: Response, *, model: str, message_id: str) -> JSONDict:
    """The non-streaming ``message`` object for ``response``."""
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": response.model or model,
        "content": content_blocks(response),
        "stop_reason": stop_reason(response),
        "stop_sequence": _stop_sequence(response),
        "usage": usage_body(response.usage),
    }


def _event(kind: str, data: JSONDict) -> bytes:
    return f"event: {kind}\ndata: {dumps(data)}\n\n".encode()


def _pieces(text: str, size: int) -> list[str]:
    if size <= 0 or len(text) <= size:
        return [text] if text else []
    return [text[i : i + size] for i in range(0, len(text), size)]


def _block_events(index: int, block: JSONDict, chunk_size: int) -> list[bytes]:
    """``content_block_start``, its deltas and ``content_block_stop`` for one block."""
    kind = block["type"]
    deltas: list[JSONDict] = []
    if kind == "text":
        start: JSONDict = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": p} for p in _pieces(block["text"], chunk_size)]
    elif kind == "thinking":
        start = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [
            {"type": "thinking_delta", "thinking": p}
            for p in _pieces(block["thinking"], chunk_size)
        ]
        deltas.append({"type": "signature_delta", "signature": block["signature"]})
    elif kind == "tool_use":
        start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
        raw = block.get("_raw")
        text = raw if isinstance(raw, str) else dumps(block["input"])
        # The first piece of a tool's input is empty, as the real API sends it.
        deltas = [
            {"type": "input_json_delta", "partial_json": p}
            for p in ["", *_pieces(text, chunk_size * 4)]
        ]
    else:
        start = block
    events = [
        _event(
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": start},
        )
    ]
    events.extend(
        _event("content_block_delta", {"type": "content_block_delta", "index": index, "delta": d})
        for d in deltas
    )
    events.append(_event("content_block_stop", {"type": "content_block_stop", "index": index}))
    return events


def stream_events(
    response: Response,
    *,
    model: str,
    message_id: str,
    chunk_size: int = 4,
    error: AnthropicWireError | None = None,
) -> list[bytes]:
    """Every server-sent event of the streamed answer, in the API's order.

    ``message_start``, then per block ``content_block_start`` (a ``ping``
    after the first), its deltas and ``content_block_stop``, then
    ``message_delta`` (stop reason, output tokens) and ``message_stop``.
    With ``error``, an ``error`` event takes the place of the last two.
    """
    usage = usage_body(response.usage)
    opening: JSONDict = {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": response.model or model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {**usage, "output_tokens": 1},
    }
    events = [_event("message_start", {"type": "message_start", "message": opening})]
    ping = _event("ping", {"type": "ping"})
    blocks = content_blocks(response)
    raws = iter(c.raw_arguments for c in response.tool_calls)
    for index, block in enumerate(blocks):
        if block["type"] == "tool_use":
            block = {**block, "_raw": next(raws, None)}
        events.extend(_block_events(index, block, chunk_size))
        if index == 0:
            events.insert(2, ping)
    if not blocks:
        events.append(ping)
    if error is not None:
        events.append(error.event())
        return events
    delta = {"stop_reason": stop_reason(response), "stop_sequence": _stop_sequence(response)}
    events.append(
        _event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": delta,
                "usage": {"output_tokens": usage["output_tokens"]},
            },
        )
    )
    events.append(_event("message_stop", {"type": "message_stop"}))
    return events

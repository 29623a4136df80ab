"""The fake server's side of the Anthropic wire format, as pure functions.

Decodes a (valid) ``/v1/messages`` body into an llmkit :class:`~llmkit.types.Request`
so a script function sees what the client meant, and encodes a
:class:`~llmkit.types.Response` as the ``message`` object or the server-sent
events the real API sends. Errors for scripted exceptions and faults are built here too.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from llmkit.providers._assemble import make_tool_call
from llmkit.testing._fake.anthropic.errors import AnthropicWireError
from llmkit.types import (
    ContentPart,
    DocumentPart,
    ImagePart,
    JSONDict,
    Message,
    OutputSchema,
    Part,
    Reasoning,
    ReasoningPart,
    Request,
    Response,
    TextPart,
    ToolCall,
    ToolResult,
    ToolSpec,
    Usage,
)

__all__ = [
    "content_blocks",
    "decode_request",
    "message_body",
    "signature_for",
    "stop_reason",
    "stream_events",
    "usage_body",
]

PROTOCOL = "anthropic"
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

# Body fields the decoder maps onto Request fields; the rest lands in Request.extra.
_MAPPED = frozenset(
    (
        "model",
        "messages",
        "system",
        "stream",
        "tools",
        "tool_choice",
        "temperature",
        "top_p",
        "max_tokens",
        "stop_sequences",
        "thinking",
        "output_config",
    )
)
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
_CHOICES = {"auto": "auto", "any": "required", "none": "none"}


def _extras(block: dict[str, Any], *skip: str) -> JSONDict | None:
    """What a block carries beyond its content (``cache_control`` …), kept under our key."""
    extra = {k: v for k, v in block.items() if k not in ("type", *skip)}
    return {PROTOCOL: extra} if extra else None


# ----------------------------------------------------------------------- decoding


def _media(kind: str, block: dict[str, Any]) -> ContentPart:
    source = block["source"]
    source_type = source["type"]
    extra = _extras(block, "source", "title")
    name = block.get("title")
    if source_type == "base64":
        media_type = source.get("media_type")
        # Kept as a data URL: no decoding, so odd base64 cannot fail the request here.
        url = f"data:{media_type};base64,{source['data']}"
        if kind == "image":
            return ImagePart(url=url, media_type=media_type, provider_data=extra)
        return DocumentPart(url=url, media_type=media_type, name=name, provider_data=extra)
    if source_type == "url":
        if kind == "image":
            return ImagePart(url=source["url"], provider_data=extra)
        return DocumentPart(url=source["url"], name=name, provider_data=extra)
    if source_type == "text":
        text = str(source.get("data", ""))
        return DocumentPart(
            data=text.encode(), media_type="text/plain", name=name, provider_data=extra
        )
    if source_type == "content":
        inner = source.get("content")
        text = inner if isinstance(inner, str) else _text_of(inner)
        return DocumentPart(
            data=text.encode(), media_type="text/plain", name=name, provider_data=extra
        )
    file_id = str(source.get("file_id", ""))
    marked: JSONDict = {PROTOCOL: {**(extra or {}).get(PROTOCOL, {}), "file_id": file_id}}
    if kind == "image":
        return ImagePart(url=file_id, media_type="image/png", provider_data=marked)
    return DocumentPart(url=file_id, name=name, provider_data=marked)


def _text_of(blocks: object) -> str:
    if isinstance(blocks, list):
        return "".join(str(b.get("text", "")) for b in blocks if isinstance(b, dict))
    return ""


def _content_part(block: dict[str, Any]) -> ContentPart | None:
    kind = block.get("type")
    if kind == "text":
        return TextPart(block["text"], _extras(block, "text"))
    if kind in ("image", "document"):
        return _media(kind, block)
    if kind == "search_result":
        return TextPart(_text_of(block.get("content")), {PROTOCOL: {"search_result": block}})
    return None


def _blocks(content: object) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def _assistant(blocks: list[dict[str, Any]]) -> Message:
    parts: list[Part] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "text":
            parts.append(TextPart(block["text"], _extras(block, "text")))
        elif kind == "thinking":
            origin = {PROTOCOL: {"type": "thinking"}}
            parts.append(ReasoningPart(block["thinking"], block["signature"], False, origin))
        elif kind == "redacted_thinking":
            origin = {PROTOCOL: {"type": "redacted_thinking"}}
            parts.append(ReasoningPart("", block["data"], True, origin))
        elif kind == "tool_use":
            raw = _dumps(block.get("input") or {})
            parts.append(
                make_tool_call(
                    block["id"], block["name"], raw, _extras(block, "id", "name", "input")
                )
            )
    return Message("assistant", parts)


def _user(blocks: list[dict[str, Any]], names: dict[str, str], out: list[Message]) -> None:
    results: list[ToolResult] = []
    content: list[Part] = []
    for block in blocks:
        if block.get("type") == "tool_result":
            raw = block.get("content")
            value: str | list[ContentPart]
            if isinstance(raw, list):
                value = [p for p in map(_content_part, _blocks(raw)) if p is not None]
            else:
                value = raw if isinstance(raw, str) else ""
            call_id = block["tool_use_id"]
            results.append(
                ToolResult(
                    call_id,
                    value,
                    bool(block.get("is_error", False)),
                    names.get(call_id),
                    _extras(block, "tool_use_id", "content", "is_error"),
                )
            )
        else:
            part = _content_part(block)
            if part is not None:
                content.append(part)
    if results:
        out.append(Message.tool(*results))
    if content:
        out.append(Message("user", content))


def _decode_messages(body: dict[str, Any]) -> list[Message]:
    messages: list[Message] = []
    system = body.get("system")
    if isinstance(system, str) and system:
        messages.append(Message.system(system))
    elif isinstance(system, list) and system:
        parts: list[Part] = [TextPart(b["text"], _extras(b, "text")) for b in _blocks(system)]
        messages.append(Message("system", parts))
    names: dict[str, str] = {}
    for wire in body["messages"]:
        role = wire["role"]
        blocks = _blocks(wire["content"])
        if role == "assistant":
            message = _assistant(blocks)
            names.update((c.id, c.name) for c in message.tool_calls)
            messages.append(message)
        elif role == "system":
            messages.append(Message("system", [TextPart(b["text"]) for b in blocks]))
        else:
            _user(blocks, names, messages)
    return messages


def _decode_tools(wire: object) -> list[ToolSpec]:
    tools: list[ToolSpec] = []
    for tool in wire if isinstance(wire, list) else ():
        kind = tool.get("type")
        if kind is not None and kind != "custom":
            # Server tools are taken as sent; the spec only needs a name to show.
            name = tool.get("name")
            shown = name if isinstance(name, str) else str(kind)
            tools.append(ToolSpec(shown, provider_data={PROTOCOL: dict(tool)}))
            continue
        extra = _extras(tool, "name", "description", "input_schema", "strict")
        tools.append(
            ToolSpec(
                tool["name"],
                tool.get("description", ""),
                tool["input_schema"],
                tool.get("strict"),
                extra,
            )
        )
    return tools


def decode_request(body: dict[str, Any]) -> Request:
    """The llmkit :class:`Request` a valid ``/v1/messages`` body stands for.

    Fields without a :class:`Request` counterpart (``metadata``, ``top_k`` …)
    are kept in ``extra``.
    """
    extra = {k: v for k, v in body.items() if k not in _MAPPED and v is not None}
    choice = body.get("tool_choice") or {}
    kind = choice.get("type")
    tool_choice = choice.get("name") if kind == "tool" else _CHOICES.get(kind or "")
    thinking = body.get("thinking") or {}
    reasoning: Reasoning | None = None
    if thinking.get("type") == "enabled":
        reasoning = Reasoning(budget_tokens=thinking["budget_tokens"])
    elif thinking.get("type") == "adaptive":
        reasoning = Reasoning()
    fmt = (body.get("output_config") or {}).get("format")
    limit = body.get("max_tokens")
    if isinstance(limit, int) and limit < 1:
        # 0 is valid on 2026-10-21 but no Request limit (1 or more): it stays in extra.
        extra["max_tokens"] = limit
        limit = None
    return Request(
        messages=_decode_messages(body),
        tools=_decode_tools(body.get("tools")),
        tool_choice=tool_choice,
        output_schema=OutputSchema(fmt["schema"]) if isinstance(fmt, dict) else None,
        temperature=body.get("temperature"),
        top_p=body.get("top_p"),
        max_tokens=limit,
        stop=body.get("stop_sequences"),
        reasoning=reasoning,
        parallel_tool_calls=False if choice.get("disable_parallel_tool_use") else None,
        extra=extra,
    )


# ----------------------------------------------------------------------- encoding


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
    return f"event: {kind}\ndata: {_dumps(data)}\n\n".encode()


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
        text = raw if isinstance(raw, str) else _dumps(block["input"])
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

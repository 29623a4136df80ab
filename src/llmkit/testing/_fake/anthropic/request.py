"""The fake server's reading of a (valid) ``/v1/messages`` body as an llmkit ``Request``.

A script function sees what the client meant: system prompt, turns, tool
calls and results, tools, tool choice, thinking and output format. What a
block carries beyond its content (``cache_control`` …) is kept in its
``provider_data["anthropic"]``; body fields without a :class:`Request` field
in ``extra``.
"""

from __future__ import annotations

from typing import Any

from llmkit._json import dumps
from llmkit.providers._assemble import make_tool_call
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
    TextPart,
    ToolResult,
    ToolSpec,
)

__all__ = ["PROTOCOL", "decode_request"]

PROTOCOL = "anthropic"
"""The key of the Anthropic entry in ``provider_data``."""

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
_CHOICES = {"auto": "auto", "any": "required", "none": "none"}


def _extras(block: dict[str, Any], *skip: str) -> JSONDict | None:
    """What a block carries beyond its content (``cache_control`` …), kept under our key."""
    extra = {k: v for k, v in block.items() if k not in ("type", *skip)}
    return {PROTOCOL: extra} if extra else None


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
            raw = dumps(block.get("input") or {})
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

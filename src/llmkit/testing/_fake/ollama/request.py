"""The fake server's reading of a (valid) ``/api/chat`` body as an llmkit ``Request``.

A script function sees what the client meant: messages (images decoded),
tool calls and results, tools, output format, options and ``think``. Options
without a :class:`Request` field stay in ``extra["options"]``, other body
fields in ``extra``.
"""

from __future__ import annotations

import base64
from typing import Any

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
    TextPart,
    ToolCall,
    ToolResult,
    ToolSpec,
)

__all__ = ["PROTOCOL", "decode_request"]

PROTOCOL = "ollama"
"""The key of the Ollama entry in ``provider_data``."""
_OPTIONS = {"temperature", "top_p", "num_predict", "stop", "seed"}
_DECODED = {"model", "messages", "stream", "tools", "format", "options", "think"}
_MAGIC = (
    (b"\x89PNG", "image/png"),
    (b"\xff\xd8", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"RIFF", "image/webp"),
)


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

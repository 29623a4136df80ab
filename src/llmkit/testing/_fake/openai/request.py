"""The fake server's reading of a (valid) Chat Completions body as an llmkit ``Request``.

A script function sees what the client meant: messages, tools, tool choice,
output schema and sampling settings. Parameters without a :class:`Request`
field are kept in ``extra``.
"""

from __future__ import annotations

from typing import Any

from llmkit.providers._assemble import make_tool_call
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
    TextPart,
    ToolResult,
    ToolSpec,
)

__all__ = ["decode_request"]

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

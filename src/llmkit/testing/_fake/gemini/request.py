"""The fake server's reading of a (valid, name-normalised) Gemini body as an llmkit :class:`Request`.

A script function sees what the client meant, whichever protocol it spoke:
system instruction, turns, tool calls and results, tools, tool config,
generation settings. OpenAPI schemas are turned back into JSON Schema so a
responder can build values from them.
"""

from __future__ import annotations

import json
from typing import Any

from llmkit.types import (
    AudioPart,
    ContentPart,
    DocumentPart,
    ImagePart,
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

__all__ = ["decode_request", "openapi_to_json_schema"]

_CONFIG_MAPPED = frozenset(
    (
        "temperature",
        "topP",
        "maxOutputTokens",
        "stopSequences",
        "seed",
        "responseMimeType",
        "responseSchema",
        "responseJsonSchema",
        "thinkingConfig",
    )
)
_EFFORTS: dict[str, ReasoningEffort] = {
    "MINIMAL": "minimal",
    "LOW": "low",
    "MEDIUM": "medium",
    "HIGH": "high",
}


def openapi_to_json_schema(schema: Any) -> Any:
    """An OpenAPI ``Schema`` (upper-case types, ``nullable``) as plain JSON Schema."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("nullable", "propertyOrdering"):
            continue
        if key == "type" and isinstance(value, str):
            out["type"] = value.lower()
        elif key == "properties" and isinstance(value, dict):
            out["properties"] = {k: openapi_to_json_schema(v) for k, v in value.items()}
        elif key == "items":
            out["items"] = openapi_to_json_schema(value)
        elif key == "anyOf" and isinstance(value, list):
            out["anyOf"] = [openapi_to_json_schema(v) for v in value]
        else:
            out[key] = value
    if schema.get("nullable") is True:
        kind = out.get("type")
        out["type"] = [kind, "null"] if isinstance(kind, str) else "null"
    return out


def _media(mime: str, url: str) -> ContentPart:
    if mime.startswith("image/"):
        return ImagePart(url=url, media_type=mime)
    if mime.startswith("audio/"):
        return AudioPart(url=url, media_type=mime)
    return DocumentPart(url=url, media_type=mime)


def _content_part(part: dict[str, Any]) -> ContentPart | None:
    if isinstance(part.get("text"), str):
        return TextPart(part["text"])
    blob = part.get("inlineData")
    if blob is not None:
        # Kept as a data URL: no decoding, so odd base64 cannot fail the request here.
        mime = blob["mimeType"]
        return _media(mime, f"data:{mime};base64,{blob['data']}")
    file = part.get("fileData")
    if file is not None:
        return _media(file.get("mimeType") or "", file["fileUri"])
    return None


def _result_text(response: Any) -> tuple[str, bool]:
    if isinstance(response, dict):
        for key, is_error in (("result", False), ("output", False), ("error", True)):
            if key in response and len(response) == 1:
                value = response[key]
                text = value if isinstance(value, str) else json.dumps(value)
                return text, is_error
    return json.dumps(response), False


def _model_turn(index: int, parts: list[dict[str, Any]]) -> Message:
    out: list[Part] = []
    for part in parts:
        call = part.get("functionCall")
        if call is not None:
            number = sum(isinstance(p, ToolCall) for p in out) + 1
            call_id = call.get("id") or f"call_{index}_{number}"
            out.append(ToolCall(call_id, call["name"], call.get("args") or {}))
        elif part.get("thought") is True:
            out.append(ReasoningPart(part.get("text", ""), provider_data={"gemini": {}}))
        else:
            content = _content_part(part)
            if content is not None:
                out.append(content)
    return Message("assistant", out)


def _decode_contents(contents: list[dict[str, Any]]) -> list[Message]:
    messages: list[Message] = []
    last_calls: list[ToolCall] = []
    for index, content in enumerate(contents):
        parts = content["parts"]
        if (content.get("role") or "user") == "model":
            message = _model_turn(index, parts)
            last_calls = message.tool_calls
            messages.append(message)
            continue
        results: list[ToolResult] = []
        others: list[Part] = []
        for part in parts:
            answer = part.get("functionResponse")
            if answer is None:
                piece = _content_part(part)
                if piece is not None:
                    others.append(piece)
                continue
            position = len(results)
            by_id = [c for c in last_calls if answer.get("id") and c.id == answer["id"]]
            call = (
                by_id[0]
                if by_id
                else (last_calls[position] if position < len(last_calls) else None)
            )
            text, is_error = _result_text(answer.get("response"))
            call_id = call.id if call is not None else answer.get("id") or f"call_{position + 1}"
            results.append(ToolResult(call_id, text, is_error, answer["name"]))
        if results:
            messages.append(Message.tool(*results))
        if others:
            messages.append(Message("user", others))
    return messages


def _decode_tools(body: dict[str, Any]) -> list[ToolSpec]:
    tools: list[ToolSpec] = []
    for tool in body.get("tools") or ():
        for declaration in tool.get("functionDeclarations") or ():
            parameters = declaration.get("parametersJsonSchema")
            if parameters is None and "parameters" in declaration:
                parameters = openapi_to_json_schema(declaration["parameters"])
            tools.append(
                ToolSpec(
                    declaration["name"],
                    declaration.get("description", ""),
                    parameters or {"type": "object", "properties": {}},
                )
            )
    return tools


def _tool_choice(body: dict[str, Any]) -> str | None:
    config = (body.get("toolConfig") or {}).get("functionCallingConfig")
    if not config:
        return None
    mode = config.get("mode")
    if mode == "ANY":
        allowed = config.get("allowedFunctionNames") or []
        return str(allowed[0]) if len(allowed) == 1 else "required"
    return {"NONE": "none"}.get(str(mode), "auto")


def _reasoning(config: dict[str, Any]) -> Reasoning | None:
    thinking = config.get("thinkingConfig")
    if not thinking:
        return None
    level = thinking.get("thinkingLevel")
    if level in _EFFORTS:
        return Reasoning(effort=_EFFORTS[level])
    budget = thinking.get("thinkingBudget")
    if isinstance(budget, int) and budget >= 0:
        return Reasoning(effort="none") if budget == 0 else Reasoning(budget_tokens=budget)
    return None


def decode_request(body: dict[str, Any]) -> Request:
    """The llmkit :class:`Request` a valid ``generateContent`` body stands for.

    Settings without a :class:`Request` field (``topK``, ``safetySettings`` …)
    are kept in ``extra``, under ``generationConfig`` for generation settings.
    """
    messages: list[Message] = []
    system = body.get("systemInstruction")
    if system:
        text = "".join(p.get("text", "") for p in system.get("parts", ()))
        messages.append(Message.system(text))
    messages.extend(_decode_contents(body["contents"]))
    config: dict[str, Any] = body.get("generationConfig") or {}
    schema: OutputSchema | None = None
    if config.get("responseMimeType") == "application/json":
        raw = config.get("responseJsonSchema")
        if raw is None and "responseSchema" in config:
            raw = openapi_to_json_schema(config["responseSchema"])
        if isinstance(raw, dict):
            schema = OutputSchema(raw)
    extra = {
        k: v
        for k, v in body.items()
        if k not in ("contents", "systemInstruction", "tools", "generationConfig")
    }
    leftover = {k: v for k, v in config.items() if k not in _CONFIG_MAPPED}
    if leftover:
        extra["generationConfig"] = leftover
    return Request(
        messages=messages,
        tools=_decode_tools(body),
        tool_choice=_tool_choice(body),
        output_schema=schema,
        temperature=config.get("temperature"),
        top_p=config.get("topP"),
        max_tokens=config.get("maxOutputTokens"),
        stop=config.get("stopSequences"),
        seed=config.get("seed"),
        reasoning=_reasoning(config),
        extra=extra,
    )

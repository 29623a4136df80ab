"""The OpenAI Chat Completions wire format, request side: pure encoding, no I/O.

``encode_request`` turns a :class:`~llmkit.types.Request` into the JSON body;
:mod:`llmkit.providers.openai.decode` reads the answers. The same functions serve
every OpenAI-compatible server (llama.cpp, vLLM, OpenRouter, Groq …); their
differences are data in :class:`~llmkit.providers._profiles.openai.OpenAIProfile`.
"""

from __future__ import annotations

import warnings
from typing import Any

from llmkit._json import dumps
from llmkit.errors import (
    UnsupportedError,
    UsageError,
)
from llmkit.providers._checks import check_tool_results, names_stray_items, sampling
from llmkit.providers._profiles.openai import OpenAIProfile, ToolCallContent
from llmkit.types import (
    AudioPart,
    DocumentPart,
    ImagePart,
    JSONDict,
    Message,
    OutputSchema,
    Part,
    ReasoningPart,
    Request,
    TextPart,
    ToolCall,
    ToolResult,
    ToolSpec,
)

__all__ = ["encode_embeddings", "encode_messages", "encode_request", "strict_schema"]

_EFFORT_FROM_BUDGET = ((1024, "low"), (8192, "medium"))
_AUDIO_FORMATS = {"audio/wav": "wav", "audio/x-wav": "wav", "audio/mpeg": "mp3", "audio/mp3": "mp3"}


# ------------------------------------------------------------------ requests


def encode_request(
    request: Request,
    model_id: str,
    profile: OpenAIProfile,
    *,
    stream: bool,
    stream_usage: bool = True,
) -> JSONDict:
    """The Chat Completions body for ``request``, in the form ``profile`` says the server takes."""
    caps = profile.capabilities
    body: JSONDict = {
        "model": model_id,
        "messages": encode_messages(request.messages, tool_call_content=profile.tool_call_content),
    }
    if request.tools:
        body["tools"] = [_encode_tool(t) for t in request.tools]
        if request.parallel_tool_calls is not None:
            body["parallel_tool_calls"] = request.parallel_tool_calls
    if request.tool_choice is not None:
        body["tool_choice"] = _encode_tool_choice(request)
    if request.output_schema is not None:
        body["response_format"] = _encode_output_schema(
            request.output_schema, profile.schema_format
        )
    temperature, top_p = sampling(request, caps.sampling, model_id)
    if temperature is not None:
        body["temperature"] = temperature
    if top_p is not None:
        body["top_p"] = top_p
    if request.max_tokens is not None:
        body[caps.token_limit_param] = request.max_tokens
    if request.stop:
        body["stop"] = request.stop
    if request.seed is not None:
        body["seed"] = request.seed
    if request.reasoning is not None:
        effort = request.reasoning.effort or _effort_from_budget(request.reasoning.budget_tokens)
        if effort is not None:
            if caps.reasoning:
                body["reasoning_effort"] = effort
            else:
                warnings.warn(
                    f"{model_id} is not a reasoning model; the reasoning setting was left out.",
                    UserWarning,
                    stacklevel=4,
                )
    if stream:
        body["stream"] = True
        if stream_usage:
            body["stream_options"] = {"include_usage": True}
    if request.extra:
        body.update(request.extra)
    return body


def _effort_from_budget(budget: int | None) -> str | None:
    if budget is None:
        return None
    for limit, effort in _EFFORT_FROM_BUDGET:
        if budget <= limit:
            return effort
    return "high"


@names_stray_items
def encode_messages(
    messages: list[Message], *, tool_call_content: ToolCallContent = "null"
) -> list[JSONDict]:
    """Chat Completions messages; a tool message becomes one wire message per result.

    ``tool_call_content`` is what an assistant turn with only tool calls sends as its
    ``content``: null (OpenAI's form) or ``""`` (what every server accepts).
    """
    check_tool_results(messages)
    out: list[JSONDict] = []
    for message in messages:
        role = message.role
        parts = message.parts
        if role == "tool":
            _encode_tool_results(message, out)
            continue
        if role == "assistant":
            out.append(_encode_assistant(message, tool_call_content))
            continue
        if len(parts) == 1 and type(parts[0]) is TextPart:
            wire: JSONDict = {"role": role, "content": parts[0].text}
        elif role == "system":
            wire = {"role": role, "content": message.text}
        else:
            wire = {"role": role, "content": [_encode_content(p) for p in parts]}
        if message.name:
            wire["name"] = message.name
        out.append(wire)
    return out


def _encode_assistant(message: Message, tool_call_content: ToolCallContent) -> JSONDict:
    texts: list[str] = []
    calls: list[JSONDict] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            texts.append(part.text)
        elif isinstance(part, ToolCall):
            raw = part.raw_arguments
            calls.append(
                {
                    "id": part.id,
                    "type": "function",
                    "function": {
                        "name": part.name,
                        "arguments": raw if raw is not None else dumps(part.arguments),
                    },
                }
            )
        elif not isinstance(part, ReasoningPart):  # Chat Completions takes no reasoning back.
            raise UsageError(
                f"An assistant message cannot hold a {part.kind!r} part for OpenAI Chat Completions."
            )
    content = "".join(texts) if texts or not calls or tool_call_content == "empty" else None
    wire: JSONDict = {"role": "assistant", "content": content}
    if calls:
        wire["tool_calls"] = calls
    if message.name:
        wire["name"] = message.name
    return wire


def _encode_tool_results(message: Message, out: list[JSONDict]) -> None:
    media: list[Part] = []
    for result in message.parts:
        if not isinstance(result, ToolResult):
            raise UsageError("A tool message may hold only ToolResult parts.")
        content: Any = result.content
        if not isinstance(content, str):
            texts = [p.text for p in content if isinstance(p, TextPart)]
            media.extend(p for p in content if not isinstance(p, TextPart))
            content = "".join(texts)
        out.append({"role": "tool", "tool_call_id": result.call_id, "content": content})
    if media:
        # Tool messages carry text only; media a tool returned follows as a user message.
        out.append(
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Media returned by the tool calls above:"},
                    *(_encode_content(p) for p in media),
                ],
            }
        )


def _encode_content(part: Part) -> JSONDict:
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text}
    if isinstance(part, ImagePart):
        url: JSONDict = {"url": part.data_url}
        if part.detail:
            url["detail"] = part.detail
        return {"type": "image_url", "image_url": url}
    if isinstance(part, DocumentPart):
        if part.data is None and not (part.url or "").startswith("data:"):
            raise UnsupportedError(
                "OpenAI Chat Completions takes documents inline only: pass "
                "DocumentPart(data=...) or DocumentPart.from_path(...) instead of a URL."
            )
        return {
            "type": "file",
            "file": {"file_data": part.data_url, "filename": part.name or "document.pdf"},
        }
    if isinstance(part, AudioPart):
        fmt = _AUDIO_FORMATS.get(part.media_type or "")
        data = part.base64_data
        if fmt is None or data is None:
            raise UnsupportedError(
                "OpenAI Chat Completions takes audio inline as WAV or MP3: pass "
                "AudioPart(data=..., media_type='audio/wav' or 'audio/mpeg')."
            )
        return {"type": "input_audio", "input_audio": {"data": data, "format": fmt}}
    raise UsageError(f"A {part.kind!r} part cannot be sent as user content.")


def _encode_tool(tool: ToolSpec) -> JSONDict:
    function: JSONDict = {"name": tool.name, "parameters": tool.parameters}
    if tool.description:
        function["description"] = tool.description
    if tool.strict:
        strict = strict_schema(tool.parameters)
        if strict is None:
            raise UsageError(
                f"Tool {tool.name!r} asks for strict=True, but its parameters schema cannot be "
                "strict: every property must be required and no object may allow extra "
                "properties. Make optional parameters required (nullable), or drop strict=True."
            )
        function["parameters"] = strict
        function["strict"] = True
    elif tool.strict is False:
        function["strict"] = False
    return {"type": "function", "function": function}


def _encode_tool_choice(request: Request) -> Any:
    choice = request.tool_choice
    if choice in ("auto", "none", "required"):
        return choice
    if not any(t.name == choice for t in request.tools):
        names = ", ".join(t.name for t in request.tools) or "none"
        raise UsageError(
            f"tool_choice={choice!r} names no tool of this request (tools: {names}). "
            "Use 'auto', 'none', 'required' or one of the tool names."
        )
    return {"type": "function", "function": {"name": choice}}


def _encode_output_schema(output: OutputSchema, schema_format: str) -> JSONDict:
    if schema_format == "json_object":
        # llama.cpp's form: the schema becomes a grammar; there is no name or strict flag.
        return {"type": "json_object", "schema": output.schema}
    schema: JSONDict = {"name": output.name}
    if output.description:
        schema["description"] = output.description
    strict = strict_schema(output.schema) if output.strict else None
    if strict is not None:
        schema["schema"] = strict
        schema["strict"] = True
    else:
        schema["schema"] = output.schema
    return {"type": "json_schema", "json_schema": schema}


def strict_schema(schema: JSONDict) -> JSONDict | None:
    """A copy of ``schema`` that satisfies OpenAI's strict mode, or None if that would change it.

    Strict mode needs every object to forbid extra properties and to require
    all of its properties. Objects that say nothing about extra properties get
    ``additionalProperties: false``; optional properties or open objects make
    the schema unfit (None), since forcing them would change its meaning.
    """
    try:
        result: JSONDict = _strictify(schema)
    except _NotStrict:
        return None
    return result


class _NotStrict(Exception):
    pass


def _strictify(node: Any) -> Any:
    if isinstance(node, list):
        return [_strictify(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {
        key: _strictify(value) if isinstance(value, dict | list) else value
        for key, value in node.items()
    }
    if node.get("type") == "object" or "properties" in node:
        extra = node.get("additionalProperties")
        if extra not in (None, False):
            raise _NotStrict
        out["additionalProperties"] = False
        props = node.get("properties", {})
        if set(props) != set(node.get("required", ())):
            raise _NotStrict
    return out


# ---------------------------------------------------------------- embeddings


def encode_embeddings(inputs: list[str], model_id: str, dimensions: int | None) -> JSONDict:
    """The embeddings body; floats are asked for explicitly (the API can default to base64)."""
    body: JSONDict = {"model": model_id, "input": inputs, "encoding_format": "float"}
    if dimensions is not None:
        body["dimensions"] = dimensions
    return body

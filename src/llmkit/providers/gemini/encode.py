"""The Gemini ``generateContent`` wire format, request side: pure encoding, no I/O.

:func:`encode_request` turns a :class:`~llmkit.types.Request` into the JSON body
of ``models/{model}:generateContent`` (and ``:streamGenerateContent``);
:func:`encode_embeddings` builds a ``:batchEmbedContents`` body. Answers are
decoded in :mod:`llmkit.providers.gemini.decode`. Per-model differences
(plain JSON Schema or the OpenAPI subset, thought signatures, thinking
controls) come from :class:`~llmkit.providers._profiles.gemini.GeminiProfile`.

Gemini-specific values live under ``provider_data["gemini"]`` of parts:
``thought_signature`` (text and tool-call parts) and ``id`` (a tool call's
own id, when the API gave one).
"""

from __future__ import annotations

import json
import warnings
from typing import Any

from llmkit.errors import UsageError
from llmkit.providers._checks import check_tool_results, names_stray_items, sampling
from llmkit.providers._profiles.gemini import GeminiProfile
from llmkit.providers.gemini.schema import to_openapi_schema
from llmkit.types import (
    AudioPart,
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
    ToolCall,
    ToolResult,
    ToolSpec,
)

__all__ = [
    "PLACEHOLDER_SIGNATURE",
    "PROTOCOL",
    "encode_contents",
    "encode_embeddings",
    "encode_request",
    "gemini_data",
]

PROTOCOL = "gemini"
"""The key of Gemini's values inside ``provider_data``."""

PLACEHOLDER_SIGNATURE = "skip_thought_signature_validator"
"""The signature Google documents for function calls that did not come from Gemini."""

_EFFORT_LEVELS = {
    "none": "minimal",
    "minimal": "minimal",
    "low": "low",
    "medium": "medium",
    "high": "high",
    "xhigh": "high",
}
_LEVEL_ORDER = ("minimal", "low", "medium", "high")
_EFFORT_BUDGETS = {"minimal": 512, "low": 1024, "medium": 8192, "high": 24576, "xhigh": 32768}
_MODES = {"auto": "AUTO", "none": "NONE", "required": "ANY"}


def gemini_data(provider_data: JSONDict | None) -> JSONDict:
    """The Gemini namespace of a part's ``provider_data`` (empty when there is none)."""
    if not provider_data:
        return {}
    value = provider_data.get(PROTOCOL)
    return value if isinstance(value, dict) else {}


# ------------------------------------------------------------------ requests


def encode_request(request: Request, model_id: str, profile: GeminiProfile) -> JSONDict:
    """The ``generateContent`` body for ``request`` (streaming uses the same body)."""
    contents, system = encode_contents(request.messages, profile)
    body: JSONDict = {"contents": contents}
    if system is not None:
        body["systemInstruction"] = system
    if request.tools:
        declarations = [_encode_tool(t, profile, model_id) for t in request.tools]
        body["tools"] = [{"functionDeclarations": declarations}]
    if request.tool_choice is not None:
        body["toolConfig"] = {"functionCallingConfig": _encode_tool_choice(request)}
    config = _generation_config(request, model_id, profile)
    if config:
        body["generationConfig"] = config
    if request.extra:
        _merge_extra(body, request.extra)
    return body


def _merge_extra(body: JSONDict, extra: JSONDict) -> None:
    # Objects merge key by key and tool lists are appended, so a caller can add topK or a
    # googleSearch tool without restating what llmkit already wrote.
    for key, value in extra.items():
        current = body.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            body[key] = {**current, **value}
        elif key == "tools" and isinstance(current, list) and isinstance(value, list):
            body[key] = current + value
        else:
            body[key] = value


def _generation_config(request: Request, model_id: str, profile: GeminiProfile) -> JSONDict:
    config: JSONDict = {}
    caps = profile.capabilities
    temperature, top_p = sampling(request, caps.sampling, model_id)
    if temperature is not None:
        config["temperature"] = temperature
    if top_p is not None:
        config["topP"] = top_p
    if request.max_tokens is not None:
        config["maxOutputTokens"] = request.max_tokens
    if request.stop:
        config["stopSequences"] = list(request.stop)
    if request.seed is not None:
        config["seed"] = request.seed
    if request.output_schema is not None:
        config["responseMimeType"] = "application/json"
        _encode_output_schema(request.output_schema, model_id, profile, config)
    if request.reasoning is not None:
        thinking = _thinking(request.reasoning, model_id, profile)
        if thinking:
            config["thinkingConfig"] = thinking
    return config


def _encode_output_schema(
    output: OutputSchema, model_id: str, profile: GeminiProfile, config: JSONDict
) -> None:
    schema = output.schema
    if output.description and "description" not in schema:
        # Gemini has no separate place for it; the schema's own description carries it.
        schema = {**schema, "description": output.description}
    if profile.json_schema:
        config["responseJsonSchema"] = schema
    else:
        config["responseSchema"] = to_openapi_schema(
            schema, model_id=model_id, where=f"the output schema {output.name!r}", stacklevel=5
        )


def _thinking(reasoning: Reasoning, model_id: str, profile: GeminiProfile) -> JSONDict | None:
    effort = reasoning.effort
    budget = reasoning.budget_tokens
    if effort is None and budget is None:
        return None
    if profile.thinking == "none":
        warnings.warn(
            f"{model_id} is not a thinking model; the reasoning setting was left out.",
            UserWarning,
            stacklevel=5,
        )
        return None
    off = effort == "none" or (effort is None and budget == 0)
    if off and profile.can_disable_thinking and profile.thinking == "budget":
        return {"thinkingBudget": 0}
    if off:
        warnings.warn(
            f"{model_id} cannot turn thinking off; it thinks as little as it can instead.",
            UserWarning,
            stacklevel=5,
        )
    if profile.thinking == "level":
        wanted = _EFFORT_LEVELS[effort] if effort is not None else _level_for_budget(budget or 0)
        config: JSONDict = {"thinkingLevel": _nearest_level(wanted, profile.thinking_levels)}
    else:
        if budget is None or (off and budget == 0):
            budget = 0 if off else _EFFORT_BUDGETS.get(effort or "", 8192)
        low, high = profile.budget_range or (0, budget)
        config = {"thinkingBudget": min(max(budget, low), high)}
    if not off:
        config["includeThoughts"] = True
    return config


def _level_for_budget(budget: int) -> str:
    if budget <= 1024:
        return "low"
    if budget <= 8192:
        return "medium"
    return "high"


def _nearest_level(wanted: str, levels: tuple[str, ...]) -> str:
    """The lowest supported level at or above ``wanted`` (or the highest there is)."""
    if not levels:
        return wanted
    rank = _LEVEL_ORDER.index(wanted)
    for level in levels:
        if _LEVEL_ORDER.index(level) >= rank:
            return level
    return levels[-1]


def _encode_tool(tool: ToolSpec, profile: GeminiProfile, model_id: str) -> JSONDict:
    declaration: JSONDict = {"name": tool.name}
    if tool.description:
        declaration["description"] = tool.description
    parameters = tool.parameters
    if profile.json_schema:
        declaration["parametersJsonSchema"] = parameters
    elif parameters.get("properties") or parameters.get("type") not in (None, "object"):
        declaration["parameters"] = to_openapi_schema(
            parameters, model_id=model_id, where=f"tool {tool.name!r}", stacklevel=5
        )
    # (An OpenAPI object with no properties is rejected: a tool without arguments sends none.)
    declaration.update(gemini_data(tool.provider_data))
    return declaration


def _encode_tool_choice(request: Request) -> JSONDict:
    choice = request.tool_choice or "auto"
    mode = _MODES.get(choice)
    if mode is not None:
        return {"mode": mode}
    if not any(t.name == choice for t in request.tools):
        names = ", ".join(t.name for t in request.tools) or "none"
        raise UsageError(
            f"tool_choice={choice!r} names no tool of this request (tools: {names}). "
            "Use 'auto', 'none', 'required' or one of the tool names."
        )
    return {"mode": "ANY", "allowedFunctionNames": [choice]}


# ------------------------------------------------------------------ contents


@names_stray_items
def encode_contents(
    messages: list[Message], profile: GeminiProfile
) -> tuple[list[JSONDict], JSONDict | None]:
    """Gemini ``contents`` and ``systemInstruction`` (None without system messages).

    System messages, wherever they stand, become the system instruction; a tool
    message becomes a user turn with one ``functionResponse`` per result, in
    the order of the calls they answer.
    """
    check_tool_results(messages)
    contents: list[JSONDict] = []
    system: list[JSONDict] = []
    calls: dict[str, ToolCall] = {}
    last_calls: list[ToolCall] = []
    for message in messages:
        role = message.role
        if role == "system":
            system.append({"text": message.text})
        elif role == "user":
            parts = [_encode_content(p) for p in message.parts]
            if parts:
                contents.append({"role": "user", "parts": parts})
        elif role == "assistant":
            parts = _encode_assistant(message.parts)
            message_calls = message.tool_calls
            if message_calls:
                last_calls = message_calls
                calls.update((c.id, c) for c in message_calls)
            if not parts:
                continue
            if contents and contents[-1]["role"] == "model":
                # Gemini wants a call turn right after a user turn: one model turn holds both.
                contents[-1]["parts"].extend(parts)
            else:
                contents.append({"role": "model", "parts": parts})
        else:
            contents.append(
                {"role": "user", "parts": _encode_results(message.parts, calls, last_calls)}
            )
    if profile.thought_signatures:
        for content in contents:
            if content["role"] == "model":
                _sign_first_call(content["parts"])
    instruction = {"parts": system} if system else None
    return contents, instruction


def _sign_first_call(parts: list[JSONDict]) -> None:
    """Give the first call of a model turn the documented placeholder when it has no signature."""
    for part in parts:
        if "functionCall" in part:
            part.setdefault("thoughtSignature", PLACEHOLDER_SIGNATURE)
            return


def _encode_assistant(parts: list[Part]) -> list[JSONDict]:
    out: list[JSONDict] = []
    for part in parts:
        if isinstance(part, TextPart):
            wire: JSONDict = {"text": part.text}
            _add_signature(wire, gemini_data(part.provider_data).get("thought_signature"))
            out.append(wire)
        elif isinstance(part, ToolCall):
            data = gemini_data(part.provider_data)
            call: JSONDict = {"name": part.name, "args": _call_arguments(part)}
            if isinstance(data.get("id"), str):
                call["id"] = data["id"]
            wire = {"functionCall": call}
            _add_signature(wire, data.get("thought_signature"))
            out.append(wire)
        elif isinstance(part, ReasoningPart):
            # Only Gemini's own thoughts go back; another provider's reasoning means nothing here.
            if PROTOCOL in (part.provider_data or {}) and (part.text or part.signature):
                wire = {"text": part.text, "thought": True}
                _add_signature(wire, part.signature)
                out.append(wire)
        elif isinstance(part, ImagePart | DocumentPart | AudioPart):
            out.append(_encode_media(part))
        else:
            raise UsageError(f"An assistant message cannot hold a {part.kind!r} part for Gemini.")
    return out


def _add_signature(wire: JSONDict, signature: Any) -> None:
    if isinstance(signature, str) and signature:
        wire["thoughtSignature"] = signature


def _call_arguments(call: ToolCall) -> JSONDict:
    raw = call.raw_arguments
    if raw is not None and call.arguments_error is None:
        try:
            value = json.loads(raw) if raw.strip() else {}
        except ValueError:
            value = None
        if isinstance(value, dict):
            return value
    return call.arguments


def _encode_results(
    parts: list[Part], calls: dict[str, ToolCall], last_calls: list[ToolCall]
) -> list[JSONDict]:
    results: list[ToolResult] = []
    for part in parts:
        if not isinstance(part, ToolResult):
            raise UsageError("A tool message may hold only ToolResult parts.")
        results.append(part)
    order = {call.id: i for i, call in enumerate(last_calls)}
    # Gemini matches responses to calls without ids by position: follow the calls' order.
    results.sort(key=lambda r: order.get(r.call_id, len(order)))
    out: list[JSONDict] = []
    media: list[JSONDict] = []
    for result in results:
        call = calls.get(result.call_id)
        name = result.name or (call.name if call is not None else None)
        if not name:
            raise UsageError(
                f"Gemini needs the tool name of every result, and tool call {result.call_id!r} "
                "is not in the conversation: pass ToolResult(..., name='the_tool')."
            )
        content = result.content
        if isinstance(content, str):
            text = content
        else:
            text = "".join(p.text for p in content if isinstance(p, TextPart))
            media.extend(_encode_media(p) for p in content if not isinstance(p, TextPart))
        response: JSONDict = {"error": text} if result.is_error else {"result": text}
        wire: JSONDict = {"name": name, "response": response}
        call_id = gemini_data(call.provider_data).get("id") if call is not None else None
        if isinstance(call_id, str):
            wire["id"] = call_id
        out.append({"functionResponse": wire})
    return out + media


def _encode_content(part: Part) -> JSONDict:
    if isinstance(part, TextPart):
        return {"text": part.text}
    if isinstance(part, ImagePart | DocumentPart | AudioPart):
        return _encode_media(part)
    raise UsageError(f"A {part.kind!r} part cannot be sent as user content.")


def _encode_media(part: Part) -> JSONDict:
    if not isinstance(part, ImagePart | DocumentPart | AudioPart):
        raise UsageError(f"A {part.kind!r} part cannot be sent as media.")
    data = part.base64_data
    if data is not None:
        return {"inlineData": {"mimeType": part.media_type, "data": data}}
    url = part.url or ""
    if url.startswith("data:"):
        raise UsageError(
            "Gemini takes inline media as base64: pass the bytes (data=...) or a "
            "'data:<type>;base64,...' URL."
        )
    file: JSONDict = {"fileUri": url}
    if part.media_type:
        file["mimeType"] = part.media_type
    return {"fileData": file}


# ---------------------------------------------------------------- embeddings


def encode_embeddings(texts: list[str], resource: str, dimensions: int | None) -> JSONDict:
    """The ``:batchEmbedContents`` body: one request per text, each naming the model."""
    requests: list[JSONDict] = []
    for text in texts:
        item: JSONDict = {"model": resource, "content": {"parts": [{"text": text}]}}
        if dimensions is not None:
            item["outputDimensionality"] = dimensions
        requests.append(item)
    return {"requests": requests}

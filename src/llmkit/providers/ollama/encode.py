"""Writing Ollama's native requests (``/api/chat``, ``/api/embed``): pure, no I/O.

``encode_request`` turns a :class:`~llmkit.types.Request` into the
``/api/chat`` body; :mod:`llmkit.providers.ollama.decode` reads the answers
back. Ollama differs from Chat Completions in ways
that matter here: tool-call arguments are JSON objects, not strings; images
travel as base64 in a message's ``images`` list; sampling settings live in
``options``; reasoning comes back as ``thinking`` and is switched with ``think``.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable

from llmkit.errors import UsageError
from llmkit.providers._checks import check_tool_results, names_stray_items
from llmkit.providers.base import Capabilities
from llmkit.types import (
    AudioPart,
    DocumentPart,
    ImagePart,
    JSONDict,
    Message,
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
    "PROTOCOL",
    "encode_embeddings",
    "encode_messages",
    "encode_request",
    "takes_think_levels",
    "think_value",
]

PROTOCOL = "ollama"
"""The key this package writes under in ``provider_data`` (and the only one it reads)."""

_loads = json.loads

# Models whose ``think`` takes a level ("low"/"medium"/"high") instead of true/false.
_THINK_LEVEL_MODELS = ("gpt-oss",)
_LEVEL_FROM_EFFORT = {"minimal": "low", "low": "low", "medium": "medium", "high": "high"}
_LEVEL_FROM_BUDGET = ((1024, "low"), (8192, "medium"))


# ------------------------------------------------------------------ requests


def _base_name(model_id: str) -> str:
    """``"library/gpt-oss:20b"`` -> ``"gpt-oss"``: the name without namespace and tag."""
    return model_id.rsplit("/", 1)[-1].split(":", 1)[0].lower()


def takes_think_levels(model_id: str) -> bool:
    """Whether the model's ``think`` takes a level ("low"/"medium"/"high") rather than a bool."""
    return _base_name(model_id).startswith(_THINK_LEVEL_MODELS)


def think_value(reasoning: Reasoning, model_id: str) -> bool | str:
    """The ``think`` value for llmkit's reasoning control on ``model_id``.

    Effort ``"none"`` or a zero budget switches thinking off; anything else
    switches it on, as a level for the models that take one.
    """
    effort = reasoning.effort
    budget = reasoning.budget_tokens
    if effort == "none" or (effort is None and budget == 0):
        return False
    if not takes_think_levels(model_id):
        return True
    if effort is not None:
        return _LEVEL_FROM_EFFORT.get(effort, "high")
    if budget is None:
        return "medium"
    for limit, level in _LEVEL_FROM_BUDGET:
        if budget <= limit:
            return level
    return "high"


def encode_request(
    request: Request,
    model_id: str,
    caps: Capabilities,
    *,
    stream: bool,
    keep_alive: str | float | None = None,
) -> JSONDict:
    """The ``/api/chat`` body for ``request``.

    ``Request.extra`` is merged last: its ``options`` into the options object
    (so ``extra={"options": {"num_ctx": 8192}}`` adds to the sampling
    settings), every other key into the body.
    """
    body: JSONDict = {
        "model": model_id,
        "messages": encode_messages(request.messages),
        "stream": stream,
    }
    tools = _select_tools(request)
    if tools:
        body["tools"] = [_encode_tool(t) for t in tools]
    if request.output_schema is not None:
        body["format"] = request.output_schema.schema
    if request.reasoning is not None:
        if caps.reasoning:
            body["think"] = think_value(request.reasoning, model_id)
        else:
            warnings.warn(
                f"{model_id} is not a reasoning model; the reasoning setting was left out.",
                UserWarning,
                stacklevel=4,
            )
    options: JSONDict = {}
    if request.temperature is not None:
        options["temperature"] = request.temperature
    if request.top_p is not None:
        options["top_p"] = request.top_p
    if request.max_tokens is not None:
        options["num_predict"] = request.max_tokens
    if request.stop:
        options["stop"] = list(request.stop)
    if request.seed is not None:
        options["seed"] = request.seed
    extra = request.extra
    if extra:
        more = extra.get("options")
        if isinstance(more, dict):
            options.update(more)
    if options:
        body["options"] = options
    if keep_alive is not None:
        body["keep_alive"] = keep_alive
    if extra:
        body.update((k, v) for k, v in extra.items() if k != "options")
    return body


def _select_tools(request: Request) -> list[ToolSpec]:
    """The tools to offer: Ollama has no ``tool_choice``, so it is expressed through the list."""
    choice = request.tool_choice
    tools = request.tools
    if not tools or choice is None or choice == "auto":
        return tools
    if choice == "none":
        return []
    if choice == "required":
        warnings.warn(
            "Ollama cannot force a tool call; tool_choice='required' was left out "
            "(the tools are offered, the model decides).",
            UserWarning,
            stacklevel=5,
        )
        return tools
    named = [t for t in tools if t.name == choice]
    if not named:
        names = ", ".join(t.name for t in tools)
        raise UsageError(
            f"tool_choice={choice!r} names no tool of this request (tools: {names}). "
            "Use 'auto', 'none', 'required' or one of the tool names."
        )
    return named


def _encode_tool(tool: ToolSpec) -> JSONDict:
    function: JSONDict = {"name": tool.name, "parameters": tool.parameters}
    if tool.description:
        function["description"] = tool.description
    return {"type": "function", "function": function}


@names_stray_items
def encode_messages(messages: list[Message]) -> list[JSONDict]:
    """Ollama chat messages; a tool message becomes one wire message per result."""
    check_tool_results(messages)
    out: list[JSONDict] = []
    # Ollama wants the tool's name on each result; results often carry only the call id.
    names: dict[str, str] = {}
    for message in messages:
        role = message.role
        if role == "tool":
            for result in message.parts:
                if not isinstance(result, ToolResult):
                    raise UsageError("A tool message may hold only ToolResult parts.")
                out.append(_encode_result(result, names))
        elif role == "assistant":
            wire = _encode_assistant(message)
            for call in message.tool_calls:
                names[call.id] = call.name
            out.append(wire)
        else:
            out.append(_encode_content(role, message.parts))
    return out


def _encode_content(role: str, parts: Iterable[Part]) -> JSONDict:
    texts: list[str] = []
    images: list[str] = []
    for part in parts:
        if isinstance(part, TextPart):
            texts.append(part.text)
        elif isinstance(part, ImagePart):
            images.append(_image_data(part))
        elif isinstance(part, DocumentPart | AudioPart):
            raise UsageError(
                f"Ollama's chat API takes text and images only, not a {type(part).__name__}: "
                "send the document's text (or a transcript) as a TextPart instead."
            )
        else:
            raise UsageError(f"A {role} message cannot hold a {part.kind!r} part.")
    wire: JSONDict = {"role": role, "content": "\n".join(texts)}
    if images:
        wire["images"] = images
    return wire


def _image_data(part: ImagePart) -> str:
    data = part.base64_data
    if data is None:
        raise UsageError(
            f"Ollama does not fetch images by URL ({part.url!r}): pass the bytes instead, "
            "e.g. ImagePart(data=..., media_type='image/png') or ImagePart.from_path('photo.png')."
        )
    return data


def _encode_assistant(message: Message) -> JSONDict:
    texts: list[str] = []
    thinking: list[str] = []
    calls: list[JSONDict] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            texts.append(part.text)
        elif isinstance(part, ToolCall):
            function = {"index": len(calls), "name": part.name, "arguments": _arguments(part)}
            calls.append(
                {"id": part.id, "function": function} if part.id else {"function": function}
            )
        elif isinstance(part, ReasoningPart):
            # Reasoning from another provider means nothing to an Ollama model's template.
            if part.text and part.provider_data and PROTOCOL in part.provider_data:
                thinking.append(part.text)
        else:
            raise UsageError(f"An assistant message cannot hold a {part.kind!r} part for Ollama.")
    wire: JSONDict = {"role": "assistant", "content": "".join(texts)}
    if thinking:
        wire["thinking"] = "".join(thinking)
    if calls:
        wire["tool_calls"] = calls
    return wire


def _arguments(call: ToolCall) -> JSONDict:
    """The argument object Ollama expects (it takes an object, never a string)."""
    raw = call.raw_arguments
    if raw is not None and call.arguments_error is None:
        try:
            value = _loads(raw)
        except ValueError:
            value = None
        if isinstance(value, dict):
            return value
    return call.arguments


def _encode_result(result: ToolResult, names: dict[str, str]) -> JSONDict:
    content = result.content
    wire = _encode_content("tool", [TextPart(content)] if isinstance(content, str) else content)
    name = result.name or names.get(result.call_id)
    if name:
        wire["tool_name"] = name
    if result.call_id:
        wire["tool_call_id"] = result.call_id
    return wire


# ---------------------------------------------------------------- embeddings


def encode_embeddings(
    inputs: list[str],
    model_id: str,
    dimensions: int | None,
    *,
    truncate: bool | None = None,
    keep_alive: str | float | None = None,
) -> JSONDict:
    """The ``/api/embed`` body."""
    body: JSONDict = {"model": model_id, "input": inputs}
    if dimensions is not None:
        body["dimensions"] = dimensions
    if truncate is not None:
        body["truncate"] = truncate
    if keep_alive is not None:
        body["keep_alive"] = keep_alive
    return body

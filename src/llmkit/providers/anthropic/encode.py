"""The Anthropic Messages wire format, requests: pure encoding, no I/O.

:func:`encode_request` turns a :class:`~llmkit.types.Request` into the body of
``POST /v1/messages``; the conversation itself is encoded by
:mod:`llmkit.providers.anthropic.messages`, answers are read by
:mod:`llmkit.providers.anthropic.decode`. What differs between models (the
largest ``max_tokens``, extended thinking, structured output) is data in
their :class:`~llmkit.providers._profiles.anthropic.AnthropicProfile`.
"""

from __future__ import annotations

import warnings
from typing import Any

from llmkit.errors import UnsupportedError, UsageError
from llmkit.providers._profiles.anthropic import AnthropicProfile
from llmkit.providers.anthropic.messages import encode_messages, ours, thinking_fits
from llmkit.types import JSONDict, OutputSchema, Request, ToolSpec

__all__ = [
    "API_VERSIONS",
    "DEFAULT_API_VERSION",
    "MIN_THINKING_BUDGET",
    "encode_request",
    "output_schema",
    "token_limits",
]

API_VERSIONS = ("2023-01-01", "2023-06-01", "2026-10-21")
"""The ``anthropic-version`` values the API knows."""
DEFAULT_API_VERSION = "2023-06-01"
# Versions under which temperature/top_p/top_k are rejected, even at their defaults.
_NO_SAMPLING_VERSIONS = frozenset(("2026-10-21",))

MIN_THINKING_BUDGET = 1024
"""The smallest ``thinking.budget_tokens`` the API accepts."""
# Thinking budgets for the unified effort levels.
_EFFORT_BUDGETS = {"minimal": 1024, "low": 2048, "medium": 8192, "high": 16384, "xhigh": 32768}

# Schema keywords structured output does not enforce; they move into the description.
_UNENFORCED = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
)


# ------------------------------------------------------------------ request


def encode_request(
    request: Request,
    model_id: str,
    profile: AnthropicProfile,
    *,
    stream: bool,
    api_version: str = DEFAULT_API_VERSION,
) -> JSONDict:
    """The ``POST /v1/messages`` body for ``request``.

    Raises :class:`~llmkit.errors.UsageError` for a request the API would
    reject for certain (a tool result answering no tool call, a named
    ``tool_choice`` that is not among the tools) and
    :class:`~llmkit.errors.UnsupportedError` for input the model cannot take.
    """
    caps = profile.capabilities
    system, messages = encode_messages(
        request.messages, mid_conversation_system=profile.mid_conversation_system
    )
    max_tokens, budget = token_limits(request, model_id, profile)
    if budget is not None and not thinking_fits(messages):
        warnings.warn(
            f"Extended thinking was left out for this call to {model_id}: the assistant turn "
            "whose tool calls are being answered has no Anthropic thinking block to start "
            "with (it came from another provider or had its thinking removed).",
            UserWarning,
            stacklevel=3,
        )
        budget = None
        if request.max_tokens is None:
            max_tokens = profile.default_max_tokens
    body: JSONDict = {"model": model_id, "max_tokens": max_tokens, "messages": messages}
    if system is not None:
        body["system"] = system
    if budget is not None:
        body["thinking"] = {"type": "enabled", "budget_tokens": budget}
    if request.tools:
        body["tools"] = [_encode_tool(t, structured=caps.structured_output) for t in request.tools]
        choice = _encode_tool_choice(request)
        if choice is not None:
            body["tool_choice"] = choice
    elif request.tool_choice not in (None, "auto", "none", "required"):
        raise UsageError(
            f"tool_choice={request.tool_choice!r} names a tool, but the request has no tools."
        )
    if request.output_schema is not None:
        if not caps.structured_output:
            raise UnsupportedError(
                f"{model_id} does not take an output schema (structured output needs Claude "
                "Sonnet 4.5, Opus 4.5, Haiku 4.5 or later). Pick such a model, or ask for JSON "
                "in the prompt and validate the answer yourself."
            )
        body["output_config"] = {
            "format": {"type": "json_schema", "schema": output_schema(request.output_schema)}
        }
    _encode_sampling(request, body, model_id, api_version, thinking=budget is not None)
    if request.stop:
        body["stop_sequences"] = list(request.stop)
    if request.seed is not None:
        warnings.warn("Anthropic models take no seed; it was left out.", UserWarning, stacklevel=3)
    if stream:
        body["stream"] = True
    if request.extra:
        body.update(request.extra)
    return body


def _encode_sampling(
    request: Request, body: JSONDict, model_id: str, api_version: str, *, thinking: bool
) -> None:
    temperature, top_p = request.temperature, request.top_p
    if temperature is None and top_p is None:
        return
    if api_version in _NO_SAMPLING_VERSIONS:
        warnings.warn(
            f"anthropic-version {api_version} takes no temperature/top_p; they were left out "
            "(use api_version='2023-06-01' to send them).",
            UserWarning,
            stacklevel=4,
        )
        return
    if thinking and (
        (temperature is not None and temperature != 1) or (top_p is not None and top_p < 0.95)
    ):
        # With extended thinking the API takes only temperature 1 and top_p of at least 0.95.
        warnings.warn(
            f"{model_id} with extended thinking takes only temperature=1 and top_p >= 0.95; "
            "temperature/top_p were left out.",
            UserWarning,
            stacklevel=4,
        )
        return
    if temperature is not None:
        body["temperature"] = temperature
    if top_p is not None:
        body["top_p"] = top_p


# ---------------------------------------------------------------- thinking


def _budget_for(request: Request) -> int | None:
    reasoning = request.reasoning
    if reasoning is None:
        return None
    if reasoning.budget_tokens is not None:
        return reasoning.budget_tokens or None
    if reasoning.effort is None or reasoning.effort == "none":
        return None
    return _EFFORT_BUDGETS[reasoning.effort]


def token_limits(
    request: Request, model_id: str, profile: AnthropicProfile
) -> tuple[int, int | None]:
    """``max_tokens`` and the thinking budget (None: no extended thinking) for ``request``.

    The API wants ``MIN_THINKING_BUDGET <= budget_tokens < max_tokens``. When
    the caller left ``max_tokens`` out, it is raised to make room: the budget
    plus the model's usual answer length, within the model's maximum. When the
    caller set it, it is kept and the budget is cut (with a warning) so that
    some of it is left for the answer; a ``max_tokens`` that cannot hold the
    smallest budget plus an answer is a :class:`~llmkit.errors.UsageError`.
    """
    budget = _budget_for(request)
    explicit = request.max_tokens
    if budget is not None and not profile.capabilities.reasoning:
        warnings.warn(
            f"{model_id} has no extended thinking; the reasoning setting was left out.",
            UserWarning,
            stacklevel=4,
        )
        budget = None
    if budget is None:
        return (explicit if explicit is not None else profile.default_max_tokens), None
    if budget < MIN_THINKING_BUDGET:
        warnings.warn(
            f"A thinking budget of {budget} tokens was raised to {MIN_THINKING_BUDGET}, "
            "the smallest the API accepts.",
            UserWarning,
            stacklevel=4,
        )
        budget = MIN_THINKING_BUDGET
    if explicit is None:
        max_tokens = budget + profile.default_max_tokens
        ceiling = profile.max_output_tokens
        if ceiling is not None and max_tokens > ceiling:
            max_tokens = ceiling
    else:
        if explicit <= MIN_THINKING_BUDGET:
            raise UsageError(
                f"Extended thinking needs max_tokens above {MIN_THINKING_BUDGET} (the thinking "
                f"budget counts towards it); got max_tokens={explicit}. Raise max_tokens, leave "
                "it out to let llmkit choose, or drop reasoning=."
            )
        max_tokens = explicit
    # Leave at least min(usual answer, half of max_tokens) for the answer itself.
    room = min(profile.default_max_tokens, max_tokens // 2)
    most = max(MIN_THINKING_BUDGET, max_tokens - room)
    if budget > most:
        warnings.warn(
            f"The thinking budget of {budget} tokens was cut to {most} so that it stays below "
            f"max_tokens={max_tokens} with room for the answer.",
            UserWarning,
            stacklevel=4,
        )
        budget = most
    return max_tokens, budget


# ------------------------------------------------------------------- tools


def _encode_tool(tool: ToolSpec, *, structured: bool) -> JSONDict:
    extras = ours(tool.provider_data)
    kind = extras.get("type")
    if kind is not None and kind != "custom":
        # A server tool (web search, code execution …): its own fields, no input schema.
        return {"name": tool.name, **extras}
    wire: JSONDict = {"name": tool.name}
    if tool.description:
        wire["description"] = tool.description
    schema = tool.parameters or {"type": "object", "properties": {}}
    if tool.strict and structured:
        wire["input_schema"] = output_schema(OutputSchema(schema))
        wire["strict"] = True
    else:
        wire["input_schema"] = schema
    wire.update(extras)
    return wire


def _encode_tool_choice(request: Request) -> JSONDict | None:
    choice = request.tool_choice
    wire: JSONDict
    if choice is None or choice == "auto":
        wire = {"type": "auto"}
    elif choice == "required":
        wire = {"type": "any"}
    elif choice == "none":
        return {"type": "none"}
    else:
        if not any(t.name == choice for t in request.tools):
            names = ", ".join(t.name for t in request.tools)
            raise UsageError(
                f"tool_choice={choice!r} names no tool of this request (tools: {names}). "
                "Use 'auto', 'none', 'required' or one of the tool names."
            )
        wire = {"type": "tool", "name": choice}
    if request.parallel_tool_calls is False:
        wire["disable_parallel_tool_use"] = True
    elif choice is None:
        return None
    return wire


def output_schema(output: OutputSchema) -> JSONDict:
    """``output.schema`` as structured output takes it.

    Objects that say nothing about extra properties get
    ``additionalProperties: false`` (required); constraints the API does not
    enforce (``minimum``, ``maxLength`` …) move into the description so the
    model still sees them. The caller's schema is not changed.
    """
    result: JSONDict = _adapt(output.schema)
    if output.description and "description" not in result:
        result["description"] = output.description
    return result


def _adapt(node: Any) -> Any:
    if isinstance(node, list):
        return [_adapt(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: JSONDict = {}
    moved: list[str] = []
    for key, value in node.items():
        if key in _UNENFORCED or (key == "minItems" and value not in (0, 1)):
            moved.append(f"{key}: {value}")
        elif key in ("properties", "$defs", "definitions", "patternProperties"):
            out[key] = (
                {k: _adapt(v) for k, v in value.items()} if isinstance(value, dict) else value
            )
        else:
            out[key] = _adapt(value) if isinstance(value, dict | list) else value
    if moved:
        note = "{" + ", ".join(moved) + "}"
        text = out.get("description")
        out["description"] = f"{text} {note}" if isinstance(text, str) and text else note
    kind = node.get("type")
    is_object = kind == "object" or (isinstance(kind, list) and "object" in kind)
    if (is_object or "properties" in node) and "additionalProperties" not in node:
        out["additionalProperties"] = False
    return out

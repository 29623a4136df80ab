"""What the Anthropic Messages API rejects, as pure functions: a body in, an error (or None) out.

The rules and their wording follow the real API (``WIRE.md``) so that a client
which passes here is not surprised in production. :func:`check_message_body`
returns the first problem found as an :class:`AnthropicWireError`, or None.
"""

from __future__ import annotations

from typing import Any

from llmkit.testing._fake.anthropic.errors import (
    AnthropicWireError,
    extra_input,
    invalid,
    required,
    wrong_type,
)
from llmkit.testing._fake.anthropic.limits import limits_for
from llmkit.testing._fake.anthropic.rules_content import (
    cache_marker_count,
    check_messages,
    check_system,
)
from llmkit.testing._fake.anthropic.rules_tools import (
    check_output_config,
    check_thinking,
    check_tool_choice,
    check_tools,
)

__all__ = ["MESSAGE_PARAMETERS", "check_message_body"]

# The body fields of the SDK's ``Messages.create`` (anthropic 2.12).
MESSAGE_PARAMETERS = frozenset(
    (
        "model",
        "messages",
        "max_tokens",
        "cache_control",
        "container",
        "inference_geo",
        "metadata",
        "output_config",
        "service_tier",
        "stop_sequences",
        "stream",
        "system",
        "temperature",
        "thinking",
        "tool_choice",
        "tools",
        "top_k",
        "top_p",
    )
)
_SAMPLING = ("temperature", "top_p", "top_k")
_NO_SAMPLING_VERSIONS = frozenset(("2026-10-21",))
_MAX_CACHE_MARKERS = 4


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_top_level(
    body: dict[str, Any], *, version: str, beta: bool
) -> AnthropicWireError | None:
    if not beta:
        for name in body:
            if name not in MESSAGE_PARAMETERS:
                return extra_input(name)
    if version in _NO_SAMPLING_VERSIONS:
        for name in _SAMPLING:
            if name in body:
                return extra_input(name)
    for name in ("model", "messages", "max_tokens"):
        if name not in body:
            return required(name)
    if not isinstance(body["model"], str):
        return wrong_type("model", "str")
    if "stream" in body and not isinstance(body["stream"], bool):
        return wrong_type("stream", "bool")
    return None


def _check_max_tokens(body: dict[str, Any], version: str) -> AnthropicWireError | None:
    value = body["max_tokens"]
    if not _is_int(value):
        return wrong_type("max_tokens", "int")
    least = 0 if version in _NO_SAMPLING_VERSIONS else 1
    if value < least:
        return invalid(f"max_tokens: Input should be greater than or equal to {least}")
    model = body["model"]
    most = limits_for(model).max_output_tokens
    if most is not None and value > most:
        return invalid(
            f"max_tokens: {value} > {most}, which is the maximum allowed number of output "
            f"tokens for {model}"
        )
    return None


def _check_sampling(body: dict[str, Any]) -> AnthropicWireError | None:
    for name, high in (("temperature", 1.0), ("top_p", 1.0)):
        value = body.get(name)
        if value is None:
            continue
        if not _is_number(value):
            return wrong_type(name, "number")
        if value < 0:
            return invalid(f"{name}: Input should be greater than or equal to 0")
        if value > high:
            return invalid(f"{name}: Input should be less than or equal to {high:g}")
    top_k = body.get("top_k")
    if top_k is not None and (not _is_int(top_k) or top_k < 0):
        return invalid("top_k: Input should be greater than or equal to 0")
    stop = body.get("stop_sequences")
    if stop is not None and (
        not isinstance(stop, list) or not all(isinstance(s, str) for s in stop)
    ):
        return wrong_type("stop_sequences", "list")
    metadata = body.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict):
            return wrong_type("metadata", "dict")
        for key in metadata:
            if key != "user_id":
                return extra_input(f"metadata.{key}")
    return None


def check_message_body(
    body: object, *, version: str = "2023-06-01", beta: bool = False
) -> AnthropicWireError | None:
    """The first reason ``POST /v1/messages`` would reject ``body``, or None.

    ``version`` is the ``anthropic-version`` header; with ``beta`` (an
    ``anthropic-beta`` header was sent) unknown top-level fields pass.
    """
    if not isinstance(body, dict):
        return invalid("The request body is not valid JSON: expected a JSON object")
    error = _check_top_level(body, version=version, beta=beta) or _check_max_tokens(body, version)
    if error is not None:
        return error
    thinking_error, thinking = check_thinking(body)
    tools_error, names = check_tools(body)
    error = (
        _check_sampling(body)
        or check_system(body)
        or check_messages(
            body,
            version=version,
            mid_system=limits_for(body["model"]).mid_conversation_system,
            thinking=thinking and thinking_error is None,
        )
        or tools_error
        or check_tool_choice(body, names)
        or thinking_error
        or check_output_config(body)
    )
    if error is not None:
        return error
    markers = cache_marker_count(body)
    if markers > _MAX_CACHE_MARKERS:
        return invalid(
            f"A maximum of {_MAX_CACHE_MARKERS} blocks with cache_control may be provided. "
            f"Found {markers}."
        )
    return None

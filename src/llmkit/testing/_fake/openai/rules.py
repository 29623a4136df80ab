"""What the OpenAI API rejects, as pure functions: a request body in, an error (or None) out.

The rules and their wording follow the real API (see ``WIRE.md``) so that a
client which passes here is not surprised in production. Each ``check_*``
returns the first problem found as a :class:`OpenAIWireError`, or None.
"""

from __future__ import annotations

import json
from typing import Any

from llmkit.testing._fake.openai.errors import (
    OpenAIWireError,
    bad,
    bad_value,
    missing,
    not_json,
    unrecognized,
    wrong_type,
)
from llmkit.testing._fake.openai.rules_tools import check_response_format, check_tools

__all__ = [
    "CHAT_PARAMETERS",
    "EMBEDDING_PARAMETERS",
    "check_chat",
    "check_embeddings",
    "is_reasoning_model",
]

# The keyword parameters of the SDK's chat ``Completions.create`` (openai 3.54).
CHAT_PARAMETERS = frozenset(
    (
        "messages",
        "model",
        "audio",
        "frequency_penalty",
        "function_call",
        "functions",
        "logit_bias",
        "logprobs",
        "max_completion_tokens",
        "max_tokens",
        "metadata",
        "modalities",
        "moderation",
        "n",
        "parallel_tool_calls",
        "prediction",
        "presence_penalty",
        "prompt_cache_key",
        "prompt_cache_options",
        "prompt_cache_retention",
        "reasoning_effort",
        "response_format",
        "safety_identifier",
        "seed",
        "service_tier",
        "stop",
        "store",
        "stream",
        "stream_options",
        "temperature",
        "tool_choice",
        "tools",
        "top_logprobs",
        "top_p",
        "user",
        "verbosity",
        "web_search_options",
    )
)
EMBEDDING_PARAMETERS = frozenset(("input", "model", "dimensions", "encoding_format", "user"))

_REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5")
_ROLES = ("system", "assistant", "user", "function", "tool", "developer")
_PART_TYPES = {
    "system": ("text",),
    "developer": ("text",),
    "user": ("text", "image_url", "input_audio", "file"),
    "assistant": ("text", "refusal"),
    "tool": ("text",),
}
_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")
_INVALID_INPUT = (
    "'$.input' is invalid. Please check the API reference: "
    "https://platform.openai.com/docs/api-reference."
)


# ---------------------------------------------------------------------- ranges


def _number(
    body: dict[str, Any], name: str, low: float, high: float | None, *, integer: bool
) -> OpenAIWireError | None:
    value = body.get(name)
    if value is None:
        return None
    kind = "integer" if integer else "decimal"
    if isinstance(value, bool) or not isinstance(value, int if integer else int | float):
        return wrong_type(name, f"an {kind}" if integer else f"a {kind}", value)
    shown = json.dumps(value)
    if value < low:
        return bad(
            f"Invalid '{name}': {kind} below minimum value. Expected a value >= {low:g}, "
            f"but got {shown} instead.",
            name,
            f"{kind}_below_min_value",
        )
    if high is not None and value > high:
        return bad(
            f"Invalid '{name}': {kind} above maximum value. Expected a value <= {high:g}, "
            f"but got {shown} instead.",
            name,
            f"{kind}_above_max_value",
        )
    return None


_RANGES: tuple[tuple[str, float, float | None, bool], ...] = (
    ("temperature", 0, 2, False),
    ("top_p", 0, 1, False),
    ("frequency_penalty", -2, 2, False),
    ("presence_penalty", -2, 2, False),
    ("n", 1, 128, True),
    ("max_tokens", 1, None, True),
    ("max_completion_tokens", 1, None, True),
    ("top_logprobs", 0, 20, True),
    ("seed", -(2**63), 2**63 - 1, True),
)


def _check_ranges(body: dict[str, Any]) -> OpenAIWireError | None:
    for name, low, high, integer in _RANGES:
        error = _number(body, name, low, high, integer=integer)
        if error is not None:
            return error
    for name in ("stream", "logprobs", "parallel_tool_calls", "store"):
        value = body.get(name)
        if value is not None and not isinstance(value, bool):
            return wrong_type(name, "a boolean", value)
    stop = body.get("stop")
    if stop is not None and not isinstance(stop, str):
        if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
            return wrong_type("stop", "one of a string or array of strings", stop)
        if len(stop) > 4:
            return bad(
                "Invalid 'stop': array too long. Expected an array with maximum length 4, "
                f"but got an array with length {len(stop)} instead.",
                "stop",
                "array_above_max_length",
            )
    return None


# --------------------------------------------------------------------- messages


def _check_parts(role: str, content: object, where: str) -> OpenAIWireError | None:
    if isinstance(content, str):
        return None
    if not isinstance(content, list):
        return wrong_type(where, "one of a string or array of objects", content)
    allowed = _PART_TYPES[role]
    for j, part in enumerate(content):
        at = f"{where}[{j}]"
        if not isinstance(part, dict):
            return wrong_type(at, "an object", part)
        kind = part.get("type")
        if kind is None:
            return missing(f"{at}.type")
        if kind not in allowed:
            return bad_value(f"{at}.type", kind, allowed)
        if kind == "text" and not isinstance(part.get("text"), str):
            return (
                missing(f"{at}.text")
                if "text" not in part
                else wrong_type(f"{at}.text", "a string", part["text"])
            )
        if kind == "image_url":
            image = part.get("image_url")
            if not isinstance(image, dict) or not isinstance(image.get("url"), str):
                return missing(f"{at}.image_url.url")
        if kind == "input_audio":
            audio = part.get("input_audio")
            if not isinstance(audio, dict) or "data" not in audio or "format" not in audio:
                return missing(f"{at}.input_audio")
        if kind == "refusal" and not isinstance(part.get("refusal"), str):
            return missing(f"{at}.refusal")
        if kind == "file":
            file = part.get("file")
            if not isinstance(file, dict) or not any(
                isinstance(file.get(k), str) for k in ("file_data", "file_id")
            ):
                return missing(f"{at}.file")
    return None


def _check_tool_calls(calls: object, where: str) -> OpenAIWireError | None:
    if not isinstance(calls, list):
        return wrong_type(where, "an array", calls)
    for j, call in enumerate(calls):
        at = f"{where}[{j}]"
        if not isinstance(call, dict):
            return wrong_type(at, "an object", call)
        if not isinstance(call.get("id"), str):
            return missing(f"{at}.id")
        kind = call.get("type")
        if kind is None:
            return missing(f"{at}.type")
        if kind not in ("function", "custom"):
            return bad_value(f"{at}.type", kind, ("function", "custom"))
        fn = call.get(kind)
        if not isinstance(fn, dict):
            return missing(f"{at}.{kind}")
        if not isinstance(fn.get("name"), str):
            return missing(f"{at}.{kind}.name")
        if kind == "function":
            if "arguments" not in fn:
                return missing(f"{at}.function.arguments")
            if not isinstance(fn["arguments"], str):
                return wrong_type(f"{at}.function.arguments", "a string", fn["arguments"])
    return None


def _check_message(i: int, message: object) -> OpenAIWireError | None:
    where = f"messages[{i}]"
    if not isinstance(message, dict):
        return wrong_type(where, "an object", message)
    role = message.get("role")
    if role is None:
        return missing(f"{where}.role")
    if role not in _ROLES:
        return bad_value(f"{where}.role", role, _ROLES)
    content = message.get("content")
    if role == "function":
        if not isinstance(message.get("name"), str):
            return missing(f"{where}.name")
        if content is not None and not isinstance(content, str):
            return wrong_type(f"{where}.content", "a string", content)
        return None
    if role == "assistant":
        calls = message.get("tool_calls")
        if calls is not None:
            error = _check_tool_calls(calls, f"{where}.tool_calls")
            if error is not None:
                return error
        if content is None:
            if calls or message.get("function_call") or message.get("audio"):
                return None
            return bad(
                "Invalid value for 'content': expected a string, got null.",
                f"messages.[{i}].content",
            )
    elif content is None:
        return missing(f"{where}.content")
    if role == "tool" and not isinstance(message.get("tool_call_id"), str):
        return bad(
            "Missing parameter 'tool_call_id': messages with role 'tool' must have a "
            "'tool_call_id'.",
            f"messages.[{i}].tool_call_id",
        )
    return _check_parts(role, content, f"{where}.content")


def _unanswered(index: int, ids: list[str]) -> OpenAIWireError:
    return bad(
        "An assistant message with 'tool_calls' must be followed by tool messages responding "
        "to each 'tool_call_id'. The following tool_call_ids did not have response messages: "
        + ", ".join(ids),
        f"messages.[{index}].role",
    )


def _check_messages(body: dict[str, Any]) -> OpenAIWireError | None:
    if "messages" not in body or body["messages"] is None:
        return missing("messages")
    messages = body["messages"]
    if not isinstance(messages, list):
        return wrong_type("messages", "an array", messages)
    if not messages:
        return bad(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, "
            "but got an empty array instead.",
            "messages",
            "empty_array",
        )
    # Ids of the assistant message the current run of tool messages answers.
    open_ids: list[str] | None = None
    pending: list[str] = []
    opened_at = 0
    for i, message in enumerate(messages):
        error = _check_message(i, message)
        if error is not None:
            return error
        role = message["role"]
        if role == "tool":
            call_id = message["tool_call_id"]
            if open_ids is None:
                return bad(
                    "Invalid parameter: messages with role 'tool' must be a response to a "
                    "preceeding message with 'tool_calls'.",
                    f"messages.[{i}].role",
                )
            if call_id not in open_ids:
                return bad(
                    f"Invalid parameter: 'tool_call_id' of '{call_id}' not found in "
                    "'tool_calls' of previous message.",
                    f"messages.[{i}].tool_call_id",
                )
            if call_id in pending:
                pending.remove(call_id)
            continue
        if pending:
            return _unanswered(opened_at, pending)
        open_ids = None
        calls = message.get("tool_calls") if role == "assistant" else None
        if calls:
            open_ids = [c["id"] for c in calls]
            pending = list(open_ids)
            opened_at = i
    if pending:
        return _unanswered(opened_at, pending)
    return None


# ------------------------------------------------------------------- reasoning


def is_reasoning_model(model: str) -> bool:
    """Whether ``model`` is a reasoning model (o-series, gpt-5 family)."""
    return model.startswith(_REASONING_PREFIXES)


def _check_reasoning(body: dict[str, Any], model: str) -> OpenAIWireError | None:
    effort = body.get("reasoning_effort")
    if not is_reasoning_model(model):
        return unrecognized("reasoning_effort") if effort is not None else None
    if effort is not None and effort not in _EFFORTS:
        return bad_value("reasoning_effort", effort, _EFFORTS)
    if body.get("max_tokens") is not None:
        return bad(
            "Unsupported parameter: 'max_tokens' is not supported with this model. "
            "Use 'max_completion_tokens' instead.",
            "max_tokens",
            "unsupported_parameter",
        )
    for name in ("temperature", "top_p"):
        value = body.get(name)
        if value is not None and value != 1:
            return bad(
                f"Unsupported value: '{name}' does not support {json.dumps(value)} with this "
                "model. Only the default (1) value is supported.",
                name,
                "unsupported_value",
            )
    return None


# ------------------------------------------------------------------ entry points


def check_chat(body: object) -> OpenAIWireError | None:
    """The first reason ``POST /v1/chat/completions`` would reject ``body``, or None."""
    if not isinstance(body, dict):
        return not_json()
    for name in body:
        if name not in CHAT_PARAMETERS:
            return unrecognized(name)
    model = body.get("model")
    if model is None:
        return bad("you must provide a model parameter")
    if not isinstance(model, str):
        return wrong_type("model", "a string", model)
    error = (
        _check_messages(body)
        or check_tools(body)
        or check_response_format(body)
        or _check_ranges(body)
    )
    if error is not None:
        return error
    if body.get("stream_options") is not None and body.get("stream") is not True:
        return bad(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            "stream_options",
        )
    return _check_reasoning(body, model)


def _valid_input(value: object) -> bool:
    if isinstance(value, str):
        return bool(value)
    if not isinstance(value, list) or not value or len(value) > 2048:
        return False
    if all(isinstance(v, str) and v for v in value):
        return True
    if all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return True
    return all(
        isinstance(v, list) and v and all(isinstance(t, int) and not isinstance(t, bool) for t in v)
        for v in value
    )


def check_embeddings(body: object) -> OpenAIWireError | None:
    """The first reason ``POST /v1/embeddings`` would reject ``body``, or None."""
    if not isinstance(body, dict):
        return not_json()
    for name in body:
        if name not in EMBEDDING_PARAMETERS:
            return unrecognized(name)
    model = body.get("model")
    if model is None:
        return bad("you must provide a model parameter")
    if not isinstance(model, str):
        return wrong_type("model", "a string", model)
    if body.get("input") is None:
        return missing("input")
    if not _valid_input(body["input"]):
        return bad(_INVALID_INPUT)
    fmt = body.get("encoding_format")
    if fmt is not None and fmt not in ("float", "base64"):
        return bad_value("encoding_format", fmt, ("float", "base64"))
    dimensions = body.get("dimensions")
    if dimensions is not None:
        if not model.startswith("text-embedding-3"):
            return bad("This model does not support specifying dimensions.")
        return _number(body, "dimensions", 1, None, integer=True)
    return None

"""What Ollama's native API rejects, as pure functions: a body in, an error (or None) out.

The checks and their wording follow Ollama's server (``server/routes.go``,
``api/types.go``; see ``WIRE.md``): Go's JSON decoding first (field types,
``think`` and ``keep_alive`` values, base64 images), then the model, its
capabilities, and the option types. Ollama ignores unknown fields and has no
rules about message order, so neither does the fake.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from llmkit.testing._fake.ollama.errors import OllamaWireError, bad
from llmkit.testing._fake.ollama.gojson import cannot_unmarshal, parse_body, type_error
from llmkit.testing._fake.ollama.limits import OllamaCapabilities, full_name

__all__ = ["check_chat", "check_embed", "check_show", "is_known", "read_body"]


# --------------------------------------------------------------- Go field types


@dataclass(frozen=True, slots=True)
class _Struct:
    """A Go struct the body is decoded into: its name and ``json key -> (kind, Go type, detail)``."""

    name: str
    fields: dict[str, tuple[str, str, Any]]


_S = ("string", "string", None)
_B = ("bool", "bool", None)
_I = ("int", "int", None)
_MAP = ("object", "map[string]interface {}", None)
_DURATION = ("duration", "api.Duration", None)
_FUNCTION_CALL = _Struct(
    "ToolCallFunction",
    {"index": _I, "name": _S, "arguments": ("object", "api.ToolCallFunctionArguments", None)},
)
_TOOL_CALL = _Struct(
    "ToolCall", {"id": _S, "function": ("struct", "api.ToolCallFunction", _FUNCTION_CALL)}
)
_MESSAGE = _Struct(
    "Message",
    {
        "role": _S,
        "content": _S,
        "thinking": _S,
        "images": ("images", "[]api.ImageData", None),
        "tool_calls": ("list", "[]api.ToolCall", ("struct", "api.ToolCall", _TOOL_CALL)),
        "tool_name": _S,
        "tool_call_id": _S,
    },
)
_PARAMETERS = _Struct(
    "ToolFunctionParameters",
    {
        "type": _S,
        "required": ("list", "[]string", _S),
        "properties": ("object", "map[string]api.ToolProperty", None),
    },
)
_FUNCTION = _Struct(
    "ToolFunction",
    {
        "name": _S,
        "description": _S,
        "parameters": ("struct", "api.ToolFunctionParameters", _PARAMETERS),
    },
)
_TOOL = _Struct("Tool", {"type": _S, "function": ("struct", "api.ToolFunction", _FUNCTION)})
_CHAT = _Struct(
    "ChatRequest",
    {
        "model": _S,
        "messages": ("list", "[]api.Message", ("struct", "api.Message", _MESSAGE)),
        "stream": _B,
        "keep_alive": _DURATION,
        "tools": ("list", "api.Tools", ("struct", "api.Tool", _TOOL)),
        "options": _MAP,
        "think": ("think", "api.ThinkValue", None),
        "truncate": _B,
        "shift": _B,
        "logprobs": _B,
        "top_logprobs": _I,
    },
)
_EMBED = _Struct(
    "EmbedRequest",
    {
        "model": _S,
        "keep_alive": _DURATION,
        "truncate": _B,
        "dimensions": _I,
        "options": _MAP,
    },
)
_SHOW = _Struct("ShowRequest", {"model": _S, "name": _S, "system": _S, "verbose": _B})

_DURATION_RE = re.compile(r"[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+")
_BASE64_RE = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_LEVELS = ("high", "medium", "low")


def _think_error(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if value in _LEVELS:
            return None
        return f'invalid think value: "{value}" (must be "high", "medium", "low", true, or false)'
    return 'think must be a boolean or string ("high", "medium", "low", true, or false)'


def _duration_error(value: Any) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return None
    if isinstance(value, str):
        if value in ("0", "-0", "+0") or _DURATION_RE.fullmatch(value):
            return None
        if re.fullmatch(r"[-+]?[\d.]+", value):
            return f'time: missing unit in duration "{value}"'
        return f'time: invalid duration "{value}"'
    go = {bool: "bool", list: "[]interface {}", dict: "map[string]interface {}"}[type(value)]
    return f"Unsupported type: '{go}'"


def _images_error(value: Any, struct: str, path: str, go_type: str) -> str | None:
    if not isinstance(value, list):
        return type_error(value, struct, path, go_type)
    for item in value:
        if item is None:
            continue
        if not isinstance(item, str):
            return type_error(item, struct, path, "api.ImageData")
        text = item.replace("\r", "").replace("\n", "")
        valid = _BASE64_RE.match(text)
        at = valid.end() if valid is not None else 0
        if at < len(text) or len(text) % 4:
            return f"illegal base64 data at input byte {min(at, len(text))}"
        try:
            base64.b64decode(text, validate=True)
        except binascii.Error:
            return f"illegal base64 data at input byte {len(text)}"
    return None


def _field_error(value: Any, spec: tuple[str, str, Any], struct: str, path: str) -> str | None:
    kind, go_type, detail = spec
    if kind == "string":
        ok = isinstance(value, str)
    elif kind == "bool":
        ok = isinstance(value, bool)
    elif kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "object":
        ok = isinstance(value, dict)
    elif kind == "struct":
        if not isinstance(value, dict):
            return type_error(value, struct, path, go_type)
        return _struct_error(value, detail, f"{path}.")
    elif kind == "list":
        if not isinstance(value, list):
            return type_error(value, struct, path, go_type)
        for item in value:
            if item is not None:
                error = _field_error(item, detail, struct, path)
                if error is not None:
                    return error
        return None
    elif kind == "images":
        return _images_error(value, struct, path, go_type)
    elif kind == "think":
        return _think_error(value)
    elif kind == "duration":
        return _duration_error(value)
    else:
        ok = True
    return None if ok else type_error(value, struct, path, go_type)


def _struct_error(body: dict[str, Any], struct: _Struct, prefix: str = "") -> str | None:
    """The first field of ``body`` (in document order) Go could not decode into ``struct``."""
    for key, value in body.items():
        spec = struct.fields.get(key)
        if spec is None or value is None:
            continue
        error = _field_error(value, spec, struct.name, prefix + key)
        if error is not None:
            return error
    return None


def read_body(raw: bytes, go_type: str) -> tuple[dict[str, Any], OllamaWireError | None]:
    """The body as a dict, or the 400 Ollama answers when Go cannot decode it into ``go_type``."""
    value, error = parse_body(raw)
    if error is not None:
        return {}, bad(error)
    if value is None:
        return {}, None  # a JSON null leaves every field unset
    if not isinstance(value, dict):
        return {}, bad(cannot_unmarshal(value, go_type))
    return value, None


# ------------------------------------------------------------------ the rules

_INT_OPTIONS = frozenset(
    (
        "num_keep",
        "seed",
        "num_predict",
        "top_k",
        "repeat_last_n",
        "mirostat",
        "num_ctx",
        "num_batch",
        "num_gpu",
        "main_gpu",
        "num_thread",
    )
)
_FLOAT_OPTIONS = frozenset(
    (
        "top_p",
        "min_p",
        "typical_p",
        "temperature",
        "repeat_penalty",
        "presence_penalty",
        "frequency_penalty",
        "mirostat_tau",
        "mirostat_eta",
        "tfs_z",
    )
)
_BOOL_OPTIONS = frozenset(
    ("penalize_newline", "numa", "low_vram", "vocab_only", "use_mmap", "use_mlock")
)
_NAME = re.compile(
    r"[A-Za-z0-9_][A-Za-z0-9_.\-]*(/[A-Za-z0-9_][A-Za-z0-9_.\-]*)*(:[A-Za-z0-9_.\-]+)?"
)


def _options_error(options: dict[str, Any]) -> OllamaWireError | None:
    """Ollama checks option types when it loads the model, and answers 500 for a wrong one."""
    for key, value in options.items():
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if key in _INT_OPTIONS and not number:
            return OllamaWireError(500, f'option "{key}" must be of type integer')
        if key in _FLOAT_OPTIONS and not number:
            return OllamaWireError(500, f'option "{key}" must be of type float32')
        if key in _BOOL_OPTIONS and not isinstance(value, bool):
            return OllamaWireError(500, f'option "{key}" must be of type boolean')
        if key == "stop":
            if not isinstance(value, list):
                return OllamaWireError(500, f'option "{key}" must be of type array')
            if not all(isinstance(s, str) for s in value):
                return OllamaWireError(500, f'option "{key}" must be of type array of strings')
    return None


def _model_name(body: dict[str, Any]) -> str | None:
    model = body.get("model")
    return model if isinstance(model, str) and _NAME.fullmatch(model) else None


def is_known(model: str, models: frozenset[str] | None) -> bool:
    """Whether the fake has ``model`` (every model, when no model set was configured)."""
    if models is None:
        return True
    return full_name(model) in {full_name(m) for m in models}


def _not_found(model: str) -> OllamaWireError:
    return OllamaWireError(404, f"model '{model}' not found")


def _registry_name(model: str) -> str:
    """How Ollama names a model in capability errors: ``registry.ollama.ai/library/m:latest``."""
    name = full_name(model)
    parts = name.split("/")
    if len(parts) == 1:
        return f"registry.ollama.ai/library/{name}"
    if len(parts) == 2:
        return f"registry.ollama.ai/{name}"
    return name


def check_chat(
    body: dict[str, Any], capabilities: OllamaCapabilities, models: frozenset[str] | None
) -> OllamaWireError | None:
    """The first reason ``POST /api/chat`` would reject ``body`` (already read), or None.

    An empty ``messages`` list is no error: Ollama loads the model and
    answers ``done_reason: "load"``.
    """
    error = _struct_error(body, _CHAT)
    if error is not None:
        return bad(error)
    top = body.get("top_logprobs")
    if isinstance(top, int) and not 0 <= top <= 20:
        return bad("top_logprobs must be between 0 and 20")
    model = _model_name(body)
    if model is None:
        return bad("model is required")
    if not is_known(model, models):
        return _not_found(model)
    caps = capabilities.of(model)
    think = body.get("think")
    if think is not None and think is not False and "thinking" not in caps:
        return bad(f'"{model}" does not support thinking')
    if "completion" not in caps:
        return bad(f'"{model}" does not support chat')
    if body.get("tools") and "tools" not in caps:
        return bad(f"{_registry_name(model)} does not support tools")
    options = body.get("options")
    if isinstance(options, dict):
        failed = _options_error(options)
        if failed is not None:
            return failed
    if not body.get("messages"):
        return None
    if isinstance(think, str) and "think_levels" not in caps:
        return bad(f'think value "{think}" is not supported for this model')
    fmt = body.get("format")
    if fmt is not None and fmt not in ("", "json") and not isinstance(fmt, dict):
        raw = json.dumps(fmt, separators=(",", ":"))
        return OllamaWireError(
            500,
            f'invalid format: {json.dumps(raw)}; expected "json" or a valid JSON Schema object',
        )
    return None


def check_embed(body: dict[str, Any], models: frozenset[str] | None) -> OllamaWireError | None:
    """The first reason ``POST /api/embed`` would reject ``body`` (already read), or None."""
    error = _struct_error(body, _EMBED)
    if error is not None:
        return bad(error)
    raw = body.get("input")
    listed = isinstance(raw, list) and all(isinstance(i, str) for i in raw)
    if raw is not None and not isinstance(raw, str) and not listed:
        return bad("invalid input type")
    model = body.get("model")
    name = model if isinstance(model, str) else ""
    if _model_name(body) is None or not is_known(name, models):
        return _not_found(name)
    options = body.get("options")
    if isinstance(options, dict):
        return _options_error(options)
    return None


def check_show(body: dict[str, Any], models: frozenset[str] | None) -> OllamaWireError | None:
    """The first reason ``POST /api/show`` would reject ``body`` (already read), or None."""
    error = _struct_error(body, _SHOW)
    if error is not None:
        return bad(error)
    model = body.get("model") or body.get("name")
    if not model:
        return bad("model is required")
    if _model_name({"model": model}) is None or not is_known(model, models):
        return _not_found(model)
    return None

"""Reading a request body the way Ollama's Go server does, with Go's error wording.

Ollama decodes bodies with Go's ``encoding/json``: an empty body is "missing
request body", broken JSON is "invalid character 'x' looking for beginning of
value" or "unexpected EOF", anything after the first value is ignored, and a
value of the wrong type is "json: cannot unmarshal string into Go struct field
ChatRequest.messages of type []api.Message". A ``null`` leaves a field unset.
These helpers reproduce that, so a client that works against the fake is not
surprised by the real server.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MISSING_BODY", "cannot_unmarshal", "go_kind", "parse_body", "type_error"]

MISSING_BODY = "missing request body"

_decoder = json.JSONDecoder(parse_constant=lambda name: _reject_constant(name))
_CONSTANTS = {
    "NaN": "invalid character 'N' looking for beginning of value",
    "Infinity": "invalid character 'I' looking for beginning of value",
    "-Infinity": "invalid character 'I' in numeric literal",
}


class _GoSyntaxError(ValueError):
    """A syntax error already worded as Go words it."""


def _reject_constant(name: str) -> Any:
    raise _GoSyntaxError(_CONSTANTS[name])


def _quote(char: str) -> str:
    """A character as Go's ``quoteChar`` shows it: ``'x'``, ``'\\''``, ``'\\n'``."""
    if char == "'":
        return "'\\''"
    if char == '"':
        return "'\"'"
    if char.isprintable():
        return f"'{char}'"
    escaped = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char) or f"\\x{ord(char):02x}"
    return f"'{escaped}'"


def _innermost(doc: str, pos: int) -> str:
    """``"{"`` or ``"["``: the container open at ``pos`` (strings skipped)."""
    stack: list[str] = []
    in_string = escaped = False
    for char in doc[:pos]:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            stack.append(char)
        elif char in "}]" and stack:
            stack.pop()
    return stack[-1] if stack else ""


def _syntax_message(doc: str, exc: json.JSONDecodeError) -> str:
    pos = exc.pos
    msg = exc.msg
    if pos >= len(doc) or msg.startswith("Unterminated string"):
        return "unexpected EOF"
    char = doc[pos]
    if msg.startswith("Invalid control character"):
        return f"invalid character {_quote(char)} in string literal"
    if msg.startswith("Invalid \\"):
        after = doc[pos + 1] if pos + 1 < len(doc) else ""
        return (
            f"invalid character {_quote(after)} in string escape code"
            if after
            else "unexpected EOF"
        )
    if msg.startswith("Expecting property name"):
        context = "looking for beginning of object key string"
    elif msg.startswith("Expecting ':'"):
        context = "after object key"
    elif msg.startswith("Expecting ','"):
        inside = _innermost(doc, pos)
        context = "after object key:value pair" if inside == "{" else "after array element"
    else:
        context = "looking for beginning of value"
    return f"invalid character {_quote(char)} {context}"


def parse_body(raw: bytes) -> tuple[Any, str | None]:
    """``(value, None)`` for a body Go would decode, else ``(None, Go's error message)``.

    Only the first JSON value counts (Go's decoder stops there); an empty or
    blank body is :data:`MISSING_BODY`.
    """
    doc = raw.decode("utf-8", "replace").lstrip(" \t\r\n")
    if not doc:
        return None, MISSING_BODY
    try:
        value, _ = _decoder.raw_decode(doc)
    except json.JSONDecodeError as exc:
        return None, _syntax_message(doc, exc)
    except _GoSyntaxError as exc:
        return None, str(exc)
    except RecursionError:
        return None, "exceeded max depth"
    return value, None


def go_kind(value: Any) -> str:
    """How Go names a JSON value's kind in unmarshal errors (``"string"``, ``"number"`` …)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def cannot_unmarshal(value: Any, go_type: str) -> str:
    """The error for a whole body of the wrong kind (``[]`` where an object belongs)."""
    return f"json: cannot unmarshal {go_kind(value)} into Go value of type {go_type}"


def type_error(value: Any, struct: str, path: str, go_type: str) -> str:
    """The error for a field of the wrong kind; ``path`` is the dotted JSON path from the body."""
    kind = go_kind(value)
    if isinstance(value, float) and go_type.startswith("int"):
        kind = f"number {json.dumps(value)}"  # Go quotes the literal when it is no integer
    return f"json: cannot unmarshal {kind} into Go struct field {struct}.{path} of type {go_type}"

"""Values that fit a JSON schema: tool arguments and structured answers for the test models.

``valid_value(schema)`` builds a small, deterministic value that a JSON-schema
validator accepts, and so does pydantic for the schemas it generates:

- ``$ref`` (into the root's ``$defs``/``definitions``), ``allOf`` (merged),
  ``anyOf``/``oneOf`` (the first branch that is not null), ``enum``/``const``;
- objects: the required properties (every property with ``every_property``),
  more keys when ``minProperties`` asks for them;
- arrays: ``items``/``prefixItems``, ``minItems``/``maxItems``, distinct items
  for ``uniqueItems``;
- strings: ``format`` (date, date-time, time, duration, email, uri, uuid, ipv4,
  ipv6, hostname …), ``pattern`` (a string built from the expression),
  ``minLength``/``maxLength``;
- numbers and integers: ``minimum``/``maximum`` (exclusive too), ``multipleOf``.

Unconstrained values are the plain ones: ``"example"``, ``1``, ``1.5``, ``True``.
A recursive schema stops growing past :data:`SHALLOW` levels (optional parts
left out, nullable ones null, arrays as short as allowed); one that cannot end
(a required property that contains itself) raises :class:`UsageError`.
"""

from __future__ import annotations

import importlib
import math
import re
from collections.abc import Callable
from typing import Any

from llmkit.errors import UsageError
from llmkit.types import JSONDict

__all__ = ["SHALLOW", "valid_value"]

SHALLOW = 6
"""Nesting depth past which optional parts are left out."""

_DEEPEST = 48
_PLAIN: dict[str, Any] = {"integer": 1, "number": 1.5, "boolean": True, "null": None}

_FORMATS: dict[str, Callable[[int], str]] = {
    "date": lambda i: f"2025-01-{1 + i % 28:02d}",
    "date-time": lambda i: f"2025-01-{1 + i % 28:02d}T12:00:00Z",
    "time": lambda i: f"12:{i % 60:02d}:00",
    "duration": lambda i: f"P{1 + i}D",
    "email": lambda i: f"user{i or ''}@example.com",
    "idn-email": lambda i: f"user{i or ''}@example.com",
    "uri": lambda i: f"https://example.com/{i or ''}",
    "url": lambda i: f"https://example.com/{i or ''}",
    "iri": lambda i: f"https://example.com/{i or ''}",
    "uri-reference": lambda i: f"/example/{i or ''}",
    "iri-reference": lambda i: f"/example/{i or ''}",
    "uuid": lambda i: f"12345678-1234-4678-9234-{i:012d}",
    "ipv4": lambda i: f"192.0.2.{1 + i % 254}",
    "ipv6": lambda i: f"2001:db8::{1 + i:x}",
    "ipvanyaddress": lambda i: f"192.0.2.{1 + i % 254}",
    "ipv4network": lambda i: f"192.0.{2 + i % 250}.0/24",
    "ipv6network": lambda i: f"2001:db8:{i:x}::/64",
    "ipvanynetwork": lambda i: f"192.0.{2 + i % 250}.0/24",
    "ipv4interface": lambda i: f"192.0.2.{1 + i % 254}/24",
    "ipv6interface": lambda i: f"2001:db8::{1 + i:x}/64",
    "ipvanyinterface": lambda i: f"192.0.2.{1 + i % 254}/24",
    "hostname": lambda i: f"host{i or ''}.example.com",
    "idn-hostname": lambda i: f"host{i or ''}.example.com",
    "json-pointer": lambda i: f"/example/{i}",
    "regex": lambda i: "^example$",
    "base64": lambda i: "ZXhhbXBsZQ==",
    "json-string": lambda i: f'"example{i or ""}"',
    "path": lambda i: f"example{i or ''}.txt",
    "file-path": lambda i: f"example{i or ''}.txt",
    "directory-path": lambda i: ".",
}


def valid_value(schema: JSONDict | bool, *, every_property: bool = False) -> Any:
    """A value that fits ``schema`` (see the module docstring for what is understood)."""
    root = schema if isinstance(schema, dict) else {}
    return _Builder(root, every_property).value(schema, 0, 0)


class _Builder:
    __slots__ = ("every", "root")

    def __init__(self, root: JSONDict, every: bool) -> None:
        self.root = root
        self.every = every

    def value(self, schema: Any, depth: int, index: int) -> Any:
        if depth > _DEEPEST:
            raise UsageError(
                "The schema has no finite value: a required property contains itself. "
                "Make the recursion optional (a default, or null allowed)."
            )
        if schema is True or not isinstance(schema, dict):
            return "example"
        schema = self.resolve(schema)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            options = schema["enum"]
            return options[index % len(options)]
        for keyword in ("anyOf", "oneOf"):
            branches = schema.get(keyword)
            if branches:
                return self.value(self.pick(branches, depth), depth + 1, index)
        kind = schema.get("type")
        if isinstance(kind, list):
            kinds = [k for k in kind if k != "null"]
            kind = "null" if not kinds or (depth > SHALLOW and "null" in kind) else kinds[0]
        if kind is None:
            kind = _implied_type(schema)
        if kind == "object":
            return self.object(schema, depth, index)
        if kind == "array":
            return self.array(schema, depth, index)
        if kind == "string":
            return _string(schema, index)
        if kind in ("integer", "number"):
            return _number(schema, integer=kind == "integer", index=index)
        if kind == "boolean":
            return index % 2 == 0
        if kind == "null":
            return None
        return "example" if index == 0 else f"example{index}"

    def resolve(self, schema: JSONDict) -> JSONDict:
        """``schema`` with its ``$ref`` followed and its ``allOf`` merged in."""
        seen = 0
        while isinstance(schema.get("$ref"), str) and seen < _DEEPEST:
            seen += 1
            target = self.pointer(schema["$ref"])
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **rest}
        parts = schema.get("allOf")
        if parts:
            merged: JSONDict = {k: v for k, v in schema.items() if k != "allOf"}
            for part in parts:
                if isinstance(part, dict):
                    merged = _merge(merged, self.resolve(part))
            schema = merged
        return schema

    def pointer(self, ref: str) -> JSONDict:
        if not ref.startswith("#"):
            raise UsageError(
                f"Cannot follow the schema reference {ref!r}: only local ones (#/...)."
            )
        node: Any = self.root
        for raw in ref[1:].split("/"):
            if not raw:
                continue
            key = raw.replace("~1", "/").replace("~0", "~")
            node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            raise UsageError(f"The schema reference {ref!r} points at nothing.")
        return node

    def pick(self, branches: list[Any], depth: int) -> Any:
        """The branch of an anyOf/oneOf to build: the first real one, or null when deep."""
        nulls = [b for b in branches if isinstance(b, dict) and b.get("type") == "null"]
        others = [b for b in branches if not (isinstance(b, dict) and b.get("type") == "null")]
        if depth > SHALLOW:
            flat = [b for b in others if isinstance(b, dict) and "$ref" not in b]
            return (nulls or flat or others)[0]
        return (others or nulls)[0]

    def object(self, schema: JSONDict, depth: int, index: int) -> JSONDict:
        properties: JSONDict = schema.get("properties") or {}
        required = [n for n in schema.get("required") or [] if isinstance(n, str)]
        names = list(properties) if self.every and depth <= SHALLOW else []
        names += [n for n in required if n not in names]
        out = {name: self.value(properties.get(name, {}), depth + 1, index) for name in names}
        extra = schema.get("additionalProperties")
        wanted = int(schema.get("minProperties") or 0)
        key = 0
        while len(out) < wanted:
            name = f"key{key}"
            key += 1
            if name not in out:
                out[name] = self.value(extra if isinstance(extra, dict) else {}, depth + 1, key)
        return out

    def array(self, schema: JSONDict, depth: int, index: int) -> list[Any]:
        items = schema.get("items")
        prefix = schema.get("prefixItems")
        if isinstance(items, list):  # the older tuple form
            prefix, items = items, schema.get("additionalItems")
        least = int(schema.get("minItems") or 0)
        most = schema.get("maxItems")
        unique = bool(schema.get("uniqueItems"))
        out = [self.value(p, depth + 1, index) for p in prefix or []]
        more = items if isinstance(items, dict) else ({} if items is None else None)
        wanted = least
        if more is not None and not prefix and depth <= SHALLOW:
            wanted = max(least, 1)
        if isinstance(most, int):
            wanted = min(wanted, most)
        while len(out) < wanted and more is not None:
            out.append(self.value(more, depth + 1, len(out) if unique else index))
        return out


def _implied_type(schema: JSONDict) -> str | None:
    if any(k in schema for k in ("properties", "required", "additionalProperties")):
        return "object"
    if any(k in schema for k in ("items", "prefixItems", "minItems")):
        return "array"
    if any(k in schema for k in ("pattern", "format", "minLength", "maxLength")):
        return "string"
    if any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "multipleOf")):
        return "number"
    return None


def _merge(base: JSONDict, part: JSONDict) -> JSONDict:
    out = dict(base)
    for key, value in part.items():
        if key == "properties" and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        elif key == "required" and isinstance(out.get(key), list):
            out[key] = [*out[key], *(n for n in value if n not in out[key])]
        else:
            out.setdefault(key, value)
    return out


# ------------------------------------------------------------------ strings


def _string(schema: JSONDict, index: int) -> str:
    fmt = schema.get("format")
    maker = _FORMATS.get(fmt) if isinstance(fmt, str) else None
    text = maker(index) if maker is not None else ("example" if index == 0 else f"example{index}")
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        text = _matching(pattern, text)
    least = schema.get("minLength")
    most = schema.get("maxLength")
    if isinstance(least, int) and len(text) < least:
        text = _fitting(text + "x" * (least - len(text)), pattern, text)
    if isinstance(most, int) and len(text) > most:
        text = _fitting(text[:most], pattern, text)
    return text


def _fitting(candidate: str, pattern: Any, fallback: str) -> str:
    if not isinstance(pattern, str) or _search(pattern, candidate):
        return candidate
    return fallback


def _search(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return True  # not a Python expression: nothing to check it with


def _matching(pattern: str, preferred: str) -> str:
    """``preferred`` when ``pattern`` finds it, else a string built from the expression."""
    if _search(pattern, preferred):
        return preferred
    try:
        parsed = importlib.import_module("re._parser").parse(pattern)
    except (re.error, ImportError):
        return preferred
    built = _Pattern().build(list(parsed))
    return built if _search(pattern, built) else preferred


class _Pattern:
    """The shortest string an expression (as ``re``'s parser reads it) matches, roughly."""

    __slots__ = ("groups",)

    def __init__(self) -> None:
        self.groups: dict[int, str] = {}

    def build(self, items: list[tuple[Any, Any]]) -> str:
        return "".join(self.item(str(op), arg) for op, arg in items)

    def item(self, op: str, arg: Any) -> str:
        if op == "LITERAL":
            return chr(arg)
        if op == "NOT_LITERAL":
            return "a" if arg != ord("a") else "b"
        if op == "ANY":
            return "a"
        if op == "IN":
            return _in_class(arg)
        if op == "BRANCH":
            return self.build(list(arg[1][0]))
        if op == "SUBPATTERN":
            text = self.build(list(arg[-1]))
            if arg[0] is not None:
                self.groups[arg[0]] = text
            return text
        if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            least, _, inner = arg
            return self.build(list(inner)) * max(int(least), 0)
        if op == "ATOMIC_GROUP":
            return self.build(list(arg))
        if op == "GROUPREF":
            return self.groups.get(arg, "")
        if op == "GROUPREF_EXISTS":
            return self.build(list(arg[1]))
        if op == "CATEGORY":
            return _in_class([(op, arg)])
        return ""  # AT (anchors), ASSERT, ASSERT_NOT: they add no characters


_CATEGORIES: dict[str, Callable[[str], bool]] = {
    "CATEGORY_DIGIT": str.isdigit,
    "CATEGORY_NOT_DIGIT": lambda c: not c.isdigit(),
    "CATEGORY_WORD": lambda c: c.isalnum() or c == "_",
    "CATEGORY_NOT_WORD": lambda c: not (c.isalnum() or c == "_"),
    "CATEGORY_SPACE": str.isspace,
    "CATEGORY_NOT_SPACE": lambda c: not c.isspace(),
}
_CANDIDATES = "a0A_-. x@/:z9Z"


def _never(char: str) -> bool:
    return False


def _in_class(items: list[tuple[Any, Any]]) -> str:
    negate = bool(items) and str(items[0][0]) == "NEGATE"
    members = items[1:] if negate else items

    def inside(char: str) -> bool:
        for op, arg in members:
            name = str(op)
            if name == "LITERAL" and char == chr(arg):
                return True
            if name == "RANGE" and arg[0] <= ord(char) <= arg[1]:
                return True
            if name == "CATEGORY" and _CATEGORIES.get(str(arg), _never)(char):
                return True
        return False

    for char in _CANDIDATES:
        if inside(char) != negate:
            return char
    if not negate:
        for op, arg in members:
            if str(op) == "LITERAL":
                return chr(arg)
            if str(op) == "RANGE":
                return chr(arg[0])
    return "a"


# ------------------------------------------------------------------ numbers


def _number(schema: JSONDict, *, integer: bool, index: int) -> int | float:
    base: float = (1 if integer else 1.5) + index
    low = _bound(schema, "minimum")
    high = _bound(schema, "maximum")
    above = _bound(schema, "exclusiveMinimum")
    below = _bound(schema, "exclusiveMaximum")
    step = _bound(schema, "multipleOf")
    if integer:
        lowest = max((b for b in (_ceil(low), _floor_above(above)) if b is not None), default=None)
        highest = min(
            (b for b in (_floor(high), _ceil_below(below)) if b is not None), default=None
        )
        value: float = int(base)
        if lowest is not None:
            value = max(value, lowest)
        if highest is not None:
            value = min(value, highest)
        if step:
            value = _on_step(value, step, lowest, highest)
        return int(value)
    number = base
    if low is not None:
        number = max(number, low)
    if above is not None and number <= above:
        number = above + 1
    if high is not None:
        number = min(number, high)
    if below is not None and number >= below:
        number = below - 1
    floor_ = max((b for b in (low, above) if b is not None), default=None)
    if floor_ is not None and (number < floor_ or (above is not None and number <= above)):
        ceiling = min((b for b in (high, below) if b is not None), default=floor_ + 2)
        number = (floor_ + ceiling) / 2
    if step:
        number = _on_step(
            number, step, floor_, min((b for b in (high, below) if b is not None), default=None)
        )
    return float(number)


def _bound(schema: JSONDict, key: str) -> float | None:
    value = schema.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _ceil(value: float | None) -> int | None:
    return None if value is None else math.ceil(value)


def _floor(value: float | None) -> int | None:
    return None if value is None else math.floor(value)


def _floor_above(value: float | None) -> int | None:
    return None if value is None else math.floor(value) + 1


def _ceil_below(value: float | None) -> int | None:
    return None if value is None else math.ceil(value) - 1


def _on_step(value: float, step: float, lowest: float | None, highest: float | None) -> float:
    """A multiple of ``step`` near ``value``, inside the bounds when one is."""
    count = math.ceil(value / step - 1e-9)
    candidate = count * step
    if highest is not None and candidate > highest:
        candidate = math.floor(highest / step + 1e-9) * step
    if lowest is not None and candidate < lowest:
        candidate = math.ceil(lowest / step - 1e-9) * step
    return round(candidate, 12) if isinstance(candidate, float) else candidate

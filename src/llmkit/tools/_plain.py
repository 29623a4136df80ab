"""Plain parameter types without pydantic: their JSON schema and a check of well-typed arguments.

Most tools take strings, numbers, booleans, lists and dicts of those, literals
and optional values. For a function whose parameters are all such plain types
(:func:`plain_type`), :mod:`llmkit.tools._schema` builds the schema here and
imports no pydantic until arguments need more than these checks.

What always holds:

- :func:`plain_type` returns a schema only for types whose pydantic schema
  (cleaned of titles, keys in pydantic's order) it is exactly; any other type
  gives None and is left to pydantic (``tests/tools/test_plain_types.py``
  compares the two);
- a check accepts only values pydantic would accept unchanged (or, for a
  ``float``, an ``int`` pydantic would turn into the same float) and returns
  what pydantic would return: lists and dicts are copies, never the model's own
  objects. Anything else (a string for an ``int``, a missing or extra
  argument) is not decided here: the caller hands it to pydantic, which
  converts it or says what is wrong, exactly as before.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any, Literal, Union, get_args, get_origin

from llmkit.types import JSONDict

__all__ = ["REJECTED", "Check", "PlainType", "plain_type"]

REJECTED: Any = object()
"""What a check returns for a value it does not accept as is."""

Check = Callable[[Any], Any]
"""A check: the value pydantic would give for an input, or :data:`REJECTED`."""
PlainType = tuple[JSONDict, Check]
"""The JSON schema of a plain type and its check."""

_LARGEST_EXACT_FLOAT = 2**53


def _exact(kind: type) -> Check:
    def check(value: Any) -> Any:
        return value if type(value) is kind else REJECTED

    return check


def _number(value: Any) -> Any:
    kind = type(value)
    if kind is float:
        return value
    if kind is int and -_LARGEST_EXACT_FLOAT <= value <= _LARGEST_EXACT_FLOAT:
        return float(value)
    return REJECTED


def _none(value: Any) -> Any:
    return None if value is None else REJECTED


_SCALARS: dict[Any, PlainType] = {
    str: ({"type": "string"}, _exact(str)),
    int: ({"type": "integer"}, _exact(int)),
    float: ({"type": "number"}, _number),
    bool: ({"type": "boolean"}, _exact(bool)),
    None: ({"type": "null"}, _none),
    type(None): ({"type": "null"}, _none),
}
_LITERAL_TYPES = {str: "string", int: "integer"}


def plain_type(annotation: Any) -> PlainType | None:
    """The schema and check of ``annotation`` if it is a plain type, else None."""
    try:
        scalar = _SCALARS.get(annotation)
    except TypeError:  # an unhashable annotation is no plain type
        return None
    if scalar is not None:
        return scalar
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is list and len(args) == 1:
        return _list(args[0])
    if origin is dict and len(args) == 2 and args[0] is str:
        return _dict(args[1])
    if origin is Literal:
        return _literal(args)
    if origin is Union or origin is types.UnionType:
        return _optional(args)
    return None


def _list(item_type: Any) -> PlainType | None:
    item = plain_type(item_type)
    if item is None or item_type not in _SCALARS:
        return None
    item_schema, check_item = item

    def check(value: Any) -> Any:
        if type(value) is not list:
            return REJECTED
        checked = [check_item(v) for v in value]
        return REJECTED if any(v is REJECTED for v in checked) else checked

    return {"items": item_schema, "type": "array"}, check


def _dict(value_type: Any) -> PlainType | None:
    value_plain = plain_type(value_type)
    if value_plain is None or value_type not in _SCALARS:
        return None
    value_schema, check_value = value_plain

    def check(value: Any) -> Any:
        if type(value) is not dict:
            return REJECTED
        checked = {k: check_value(v) for k, v in value.items()}
        if any(type(k) is not str for k in checked) or any(v is REJECTED for v in checked.values()):
            return REJECTED
        return checked

    return {"additionalProperties": value_schema, "type": "object"}, check


def _literal(values: tuple[Any, ...]) -> PlainType | None:
    kinds = {type(v) for v in values}
    if len(kinds) != 1 or len(set(values)) != len(values):
        return None
    kind = kinds.pop()
    if kind not in _LITERAL_TYPES:
        return None
    allowed = frozenset(values)

    def check(value: Any) -> Any:
        return value if type(value) is kind and value in allowed else REJECTED

    schema: JSONDict
    if len(values) == 1:
        schema = {"const": values[0], "type": _LITERAL_TYPES[kind]}
    else:
        schema = {"enum": list(values), "type": _LITERAL_TYPES[kind]}
    return schema, check


def _optional(members: tuple[Any, ...]) -> PlainType | None:
    """``X | None`` (or ``Optional[X]``) for a plain ``X`` that is not itself a union."""
    rest = [m for m in members if m is not type(None)]
    if len(members) != 2 or len(rest) != 1:
        return None
    inner = plain_type(rest[0])
    if inner is None or "anyOf" in inner[0] or rest[0] is None:
        return None
    inner_schema, check_inner = inner

    def check(value: Any) -> Any:
        return None if value is None else check_inner(value)

    return {"anyOf": [inner_schema, {"type": "null"}]}, check

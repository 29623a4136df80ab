"""Schema-guided coercion: turning parsed data into what a JSON schema asks for, where that is plain.

:func:`coerce` walks a value and its JSON schema together and changes a value
only where the schema leaves one reading; everything else is left as it is,
for validation to report. The whole table:

======================  ===========================================  =================================
the schema asks for     given                                        becomes
======================  ===========================================  =================================
integer                 a string of digits (``"42"``, ``" -7 "``)     the integer
number                  a decimal string (``"3.5"``, ``"1e3"``)       the float
boolean                 ``"true"``/``"false"``/``"yes"``/``"no"``     the boolean (any case)
string                  an integer (not a boolean)                    its decimal text
array                   one item (an object, a string …; not null)    a list of that one item
array                   ``{key: items}`` where ``key`` names no       ``items`` (a list, or one item)
                        field of the items (an XML list wrapper)
object                  ``"@name"`` (an XML attribute) where the      ``"name"``
                        schema has ``name`` and not ``"@name"``
object, at the root     ``{key: object}`` where ``key`` names no      the inner object
                        field (an XML root element, a wrapper)
a union of one type     anything but null                             as for that type
and null (Optional)
======================  ===========================================  =================================

Never: text that is not a number (``"abc"``, ``"12 EUR"``, ``"3,5"``) is not
made one, ``"4.5"`` is not truncated to an integer, a float or a boolean is not
made text, null is not made an empty list, and a value meant for a union of
several types is left for validation (no guessing between members).
``$ref`` and single-member ``allOf`` are followed; anything the table does not
name (tuples, enums, patterns …) is left to validation.
"""

from __future__ import annotations

import re
from typing import Any

from llmkit._jsondata import MAX_DEPTH
from llmkit.types import JSONDict

__all__ = ["coerce"]

_INTEGER = re.compile(r"[+-]?\d{1,4300}")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_PLAIN = ("string", "integer", "number", "boolean", "array")
_BOOLEANS = {"true": True, "false": False, "yes": True, "no": False}


def coerce(value: Any, schema: JSONDict) -> Any:
    """``value`` changed only where ``schema`` makes the intent plain (see the module table)."""
    return _Coercer(schema.get("$defs") or {}).at(value, schema, 0, root=True)


class _Coercer:
    """One walk over a value with the definitions (``$defs``) its schema refers to."""

    def __init__(self, defs: JSONDict) -> None:
        self.defs = defs

    def resolve(self, schema: Any) -> JSONDict:
        for _ in range(MAX_DEPTH):  # a chain of references, bounded
            if not isinstance(schema, dict):
                return {}
            ref = schema.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                schema = self.defs.get(ref[len("#/$defs/") :])
                continue
            all_of = schema.get("allOf")
            if isinstance(all_of, list) and len(all_of) == 1:
                schema = all_of[0]
                continue
            return schema
        return {}

    def at(self, value: Any, schema: Any, depth: int, *, root: bool = False) -> Any:
        schema = self.resolve(schema)
        if depth > MAX_DEPTH or not schema:
            return value
        members = schema.get("anyOf") or schema.get("oneOf")
        kind = schema.get("type")
        if isinstance(members, list):
            others = [m for m in map(self.resolve, members) if m.get("type") != "null"]
            if value is None or len(others) != 1:
                return value  # several possible types: validation decides, nothing is guessed
            return self.at(value, others[0], depth + 1, root=root)
        if isinstance(kind, list):
            types = [t for t in kind if t != "null"]
            if value is None or len(types) != 1:
                return value
            kind = types[0]
        if kind == "integer":
            if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
                return int(value.strip())
        elif kind == "number":
            if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
                return float(value.strip())
        elif kind == "boolean":
            if isinstance(value, str) and value.strip().lower() in _BOOLEANS:
                return _BOOLEANS[value.strip().lower()]
        elif kind == "string":
            if isinstance(value, int) and not isinstance(value, bool):
                return str(value)
        elif kind == "array":
            return self.array(value, schema, depth)
        elif kind == "object" or "properties" in schema:
            return self.object(value, schema, depth, root=root)
        return value

    def array(self, value: Any, schema: JSONDict, depth: int) -> Any:
        items = schema.get("items")
        item_schema = self.resolve(items) if items is not None else {}
        fields = item_schema.get("properties")
        plain_items = item_schema.get("type") in _PLAIN
        # Twice for an XML root around a wrapper: <invoices><invoice>…</invoice></invoices>.
        for _ in range(2):
            if not isinstance(value, dict) or len(value) != 1:
                break
            ((key, inner),) = value.items()
            if inner is None or not (
                plain_items or (isinstance(fields, dict) and key not in fields)
            ):
                break
            value = inner  # <lines><line>…</line>…</lines>: the wrapper's children
        if value is not None and not isinstance(value, list):
            value = [value]
        if isinstance(value, list) and items is not None and "prefixItems" not in schema:
            return [self.at(item, item_schema, depth + 1) for item in value]
        return value

    def object(self, value: Any, schema: JSONDict, depth: int, *, root: bool) -> Any:
        if not isinstance(value, dict):
            return value
        fields = schema.get("properties")
        fields = fields if isinstance(fields, dict) else {}
        if root and fields and len(value) == 1:
            ((key, inner),) = value.items()
            if key not in fields and isinstance(inner, dict):
                value = inner  # <invoice>…</invoice>, or {"invoice": {…}}
        extra = schema.get("additionalProperties")
        out: dict[Any, Any] = {}
        for key, item in value.items():
            name = key
            if (
                isinstance(key, str)
                and key.startswith("@")
                and key not in fields
                and key[1:] in fields
                and key[1:] not in value
            ):
                name = key[1:]
            field = fields.get(name, extra if isinstance(extra, dict) else None)
            out[name] = self.at(item, field, depth + 1) if field is not None else item
        return out

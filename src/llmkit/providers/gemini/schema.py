"""JSON Schema to the OpenAPI subset older Gemini models take, as a pure function.

Gemini models that do not take plain JSON Schema (``parametersJsonSchema``,
``responseJsonSchema``) take an OpenAPI 3.0 ``Schema`` object instead: upper-case
types, ``nullable`` instead of a ``null`` type, no ``$ref``/``$defs`` and no
``additionalProperties``. :func:`to_openapi_schema` rewrites a JSON Schema into
that subset, keeping everything it can: references are inlined, ``null``
alternatives become ``nullable``, single-branch ``anyOf``/``allOf`` are merged,
and string formats Gemini does not know move into the description. Only what
cannot be said in the subset at all (a recursive reference, ``not``,
``uniqueItems`` …) is dropped, and then a :class:`UserWarning` names it.
"""

from __future__ import annotations

import warnings
from typing import Any

from llmkit.types import JSONDict

__all__ = ["to_openapi_schema"]

# Keywords copied unchanged (the OpenAPI Schema fields Gemini takes).
_COPIED = (
    "title",
    "description",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "pattern",
    "minProperties",
    "maxProperties",
    "minimum",
    "maximum",
    "default",
    "example",
    "propertyOrdering",
)
# Keywords with no effect on what the model writes: dropped without a word.
_SILENT = frozenset(
    (
        "$schema",
        "$id",
        "$comment",
        "$anchor",
        "$dynamicAnchor",
        "$defs",
        "definitions",
        "readOnly",
        "writeOnly",
        "deprecated",
        "contentEncoding",
        "contentMediaType",
        "discriminator",
        "strict",
    )
)
# Formats Gemini understands, per type; other string formats become a note in the description.
_FORMATS = {
    "STRING": ("enum", "date-time"),
    "INTEGER": ("int32", "int64"),
    "NUMBER": ("float", "double"),
}
_TYPES = {
    "string": "STRING",
    "number": "NUMBER",
    "integer": "INTEGER",
    "boolean": "BOOLEAN",
    "array": "ARRAY",
    "object": "OBJECT",
    "null": "NULL",
}


class _Rewriter:
    __slots__ = ("lost", "root")

    def __init__(self, root: JSONDict) -> None:
        self.root = root
        self.lost: list[str] = []

    def resolve(self, ref: str, at: str) -> Any:
        if not ref.startswith("#"):
            self.lost.append(f"{at}: external $ref {ref!r}")
            return None
        node: Any = self.root
        for raw in ref[1:].split("/")[1:] if ref != "#" else []:
            key = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                self.lost.append(f"{at}: unresolvable $ref {ref!r}")
                return None
        return node

    def convert(self, node: Any, at: str, refs: tuple[str, ...]) -> JSONDict:
        if node is True or node == {}:
            return {}
        if not isinstance(node, dict):
            self.lost.append(f"{at}: a schema that is not an object")
            return {}
        ref = node.get("$ref")
        if isinstance(ref, str):
            if ref in refs:
                # Inlining a recursive reference would never end: keep only its type.
                self.lost.append(f"{at}: recursive $ref {ref!r} (kept as a bare type)")
                target = self.resolve(ref, at)
                kind = _type_of(target) if isinstance(target, dict) else None
                out: JSONDict = {"type": kind} if kind else {}
            else:
                target = self.resolve(ref, at)
                out = self.convert(target, at, (*refs, ref)) if target is not None else {}
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            if siblings:
                out = {**out, **self.convert(siblings, at, refs)}
            return out
        out = {}
        nullable = node.get("nullable") is True
        branches: list[Any] | None = None
        for keyword in ("anyOf", "oneOf"):
            options = node.get(keyword)
            if isinstance(options, list):
                kept = [o for o in options if not _is_null(o)]
                nullable = nullable or len(kept) < len(options)
                branches = (branches or []) + kept
        all_of = node.get("allOf")
        if isinstance(all_of, list) and all_of:
            merged = self._merge_all_of(all_of, f"{at}.allOf", refs)
            out.update(merged)
        kind = node.get("type")
        if isinstance(kind, list):
            names = [k for k in kind if k != "null"]
            nullable = nullable or len(names) < len(kind)
            if len(names) == 1:
                kind = names[0]
            elif names:
                branches = (branches or []) + [{"type": k} for k in names]
                kind = None
            else:
                kind = "null"
        if isinstance(kind, str):
            out["type"] = _TYPES.get(kind.lower(), kind.upper())
        for key in _COPIED:
            if key in node:
                out[key] = node[key]
        if "examples" in node and "example" not in node:
            examples = node["examples"]
            if isinstance(examples, list) and examples:
                out["example"] = examples[0]
        for key, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
            value = node.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                out.setdefault(bound, value)
        self._enum(node, out, at)
        properties = node.get("properties")
        if isinstance(properties, dict):
            out["properties"] = {
                name: self.convert(sub, f"{at}.properties.{name}", refs)
                for name, sub in properties.items()
            }
            if properties and "propertyOrdering" not in out:
                out["propertyOrdering"] = list(properties)
            out.setdefault("type", "OBJECT")
        required = node.get("required")
        if isinstance(required, list) and required:
            out["required"] = [r for r in required if isinstance(r, str)]
        items = node.get("items")
        if isinstance(items, dict | bool):
            out["items"] = self.convert(items, f"{at}.items", refs)
            out.setdefault("type", "ARRAY")
        elif isinstance(items, list) and items:
            self.lost.append(f"{at}.items: a list of item schemas (kept the first)")
            out["items"] = self.convert(items[0], f"{at}.items", refs)
        self._format(node, out)
        extra = node.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            self.lost.append(f"{at}.additionalProperties")
        for key in node:
            if key in _SILENT or key in _HANDLED or key in _COPIED:
                continue
            self.lost.append(f"{at}.{key}")
        if branches is not None:
            converted = [self.convert(b, f"{at}.anyOf[{i}]", refs) for i, b in enumerate(branches)]
            if len(converted) == 1:
                # One real alternative (the other was null): it is the schema itself.
                out = {**converted[0], **{k: v for k, v in out.items() if k != "type"}}
            elif converted:
                out["anyOf"] = converted
        if nullable:
            if out.get("type") == "NULL" and len(out) == 1:
                return out
            out["nullable"] = True
        return out

    def _merge_all_of(self, parts: list[Any], at: str, refs: tuple[str, ...]) -> JSONDict:
        merged: JSONDict = {}
        for i, part in enumerate(parts):
            sub = self.convert(part, f"{at}[{i}]", refs)
            for key, value in sub.items():
                if key == "properties" and isinstance(merged.get(key), dict):
                    merged[key] = {**merged[key], **value}
                elif key in ("required", "propertyOrdering") and isinstance(merged.get(key), list):
                    merged[key] = merged[key] + [v for v in value if v not in merged[key]]
                elif key in merged and merged[key] != value and key != "description":
                    self.lost.append(f"{at}[{i}].{key} (conflicts with an earlier allOf branch)")
                else:
                    merged.setdefault(key, value)
        return merged

    def _enum(self, node: JSONDict, out: JSONDict, at: str) -> None:
        values: list[Any] | None = None
        if isinstance(node.get("enum"), list):
            values = node["enum"]
        elif "const" in node:
            values = [node["const"]]
        if values is None:
            return
        strings = [v for v in values if isinstance(v, str)]
        if len(strings) == len(values):
            out["enum"] = strings
            out.setdefault("type", "STRING")
            return
        if values and all(v is None for v in values):
            out["type"] = "NULL"
            return
        # Gemini enums hold strings only; turning numbers into strings would change the type.
        self.lost.append(f"{at}.enum (values that are not strings)")

    def _format(self, node: JSONDict, out: JSONDict) -> None:
        fmt = node.get("format")
        if not isinstance(fmt, str):
            return
        if fmt in _FORMATS.get(str(out.get("type")), ()):
            out["format"] = fmt
            return
        note = f"(format: {fmt})"
        description = out.get("description")
        out["description"] = f"{description} {note}" if description else note


_HANDLED = frozenset(
    (
        "$ref",
        "type",
        "anyOf",
        "oneOf",
        "allOf",
        "enum",
        "const",
        "format",
        "properties",
        "required",
        "items",
        "examples",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "additionalProperties",
        "nullable",
    )
)


def _is_null(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "null" and len(schema) == 1


def _type_of(schema: JSONDict) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, str):
        return _TYPES.get(kind.lower(), kind.upper())
    if "properties" in schema:
        return "OBJECT"
    if "items" in schema:
        return "ARRAY"
    return None


def to_openapi_schema(
    schema: JSONDict, *, model_id: str, where: str, stacklevel: int = 2
) -> JSONDict:
    """``schema`` rewritten into the OpenAPI subset; warns when something had to be dropped.

    ``where`` names the schema in the warning (``"tool 'search'"``, ``"the output schema"``).
    """
    rewriter = _Rewriter(schema)
    converted = rewriter.convert(schema, "$", ())
    if rewriter.lost:
        warnings.warn(
            f"{model_id} takes only the OpenAPI subset of JSON Schema; in {where} these could "
            f"not be expressed and were left out: {'; '.join(rewriter.lost)}.",
            UserWarning,
            stacklevel=stacklevel + 1,
        )
    return converted

"""JSON Schema rewritten into the OpenAPI subset older Gemini models take."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from llmkit.providers.gemini.schema import to_openapi_schema


def rewrite(schema: dict[str, Any]) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # these rewrites lose nothing
        return to_openapi_schema(schema, model_id="gemini-2.0-flash", where="the test")


def test_types_are_upper_case_and_nullable_replaces_null() -> None:
    assert rewrite({"type": ["string", "null"], "description": "d"}) == {
        "type": "STRING",
        "description": "d",
        "nullable": True,
    }
    assert rewrite({"anyOf": [{"type": "integer"}, {"type": "null"}]}) == {
        "type": "INTEGER",
        "nullable": True,
    }
    assert rewrite({"type": ["string", "integer"]}) == {
        "anyOf": [{"type": "STRING"}, {"type": "INTEGER"}]
    }


def test_refs_are_inlined_and_defs_dropped() -> None:
    schema = {
        "$defs": {"Point": {"type": "object", "properties": {"x": {"type": "number"}}}},
        "type": "object",
        "properties": {
            "a": {"$ref": "#/$defs/Point", "description": "start"},
            "b": {"type": "array", "items": {"$ref": "#/$defs/Point"}},
        },
    }
    point = {"type": "OBJECT", "properties": {"x": {"type": "NUMBER"}}, "propertyOrdering": ["x"]}
    assert rewrite(schema) == {
        "type": "OBJECT",
        "properties": {
            "a": {**point, "description": "start"},
            "b": {"type": "ARRAY", "items": point},
        },
        "propertyOrdering": ["a", "b"],
    }


def test_all_of_is_merged_and_const_is_an_enum() -> None:
    schema = {
        "allOf": [
            {"type": "object", "properties": {"a": {"const": "x"}}, "required": ["a"]},
            {"properties": {"b": {"enum": ["p", "q"]}}, "required": ["b"]},
        ]
    }
    out = rewrite(schema)
    assert out["properties"] == {
        "a": {"enum": ["x"], "type": "STRING"},
        "b": {"enum": ["p", "q"], "type": "STRING"},
    }
    assert out["required"] == ["a", "b"]


def test_unknown_formats_move_to_the_description() -> None:
    assert rewrite({"type": "string", "format": "email", "description": "Mail"}) == {
        "type": "STRING",
        "description": "Mail (format: email)",
    }
    assert rewrite({"type": "string", "format": "date-time"})["format"] == "date-time"


def test_closed_objects_lose_nothing() -> None:
    out = rewrite(
        {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False}
    )
    assert "additionalProperties" not in out


@pytest.mark.parametrize(
    ("schema", "named"),
    [
        (
            {
                "$defs": {
                    "Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}}
                },
                "$ref": "#/$defs/Node",
            },
            "recursive \\$ref",
        ),
        ({"type": "object", "additionalProperties": {"type": "integer"}}, "additionalProperties"),
        ({"type": "array", "items": {"type": "string"}, "uniqueItems": True}, "uniqueItems"),
        ({"type": "integer", "enum": [1, 2]}, "enum"),
        ({"not": {"type": "string"}}, "not"),
    ],
)
def test_what_cannot_be_said_is_named_in_a_warning(schema: dict[str, Any], named: str) -> None:
    with pytest.warns(UserWarning, match=f"in the test .*{named}"):
        to_openapi_schema(schema, model_id="gemini-2.0-flash", where="the test")


def test_recursion_keeps_a_bare_type() -> None:
    schema = {
        "$defs": {"Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}}},
        "$ref": "#/$defs/Node",
    }
    with pytest.warns(UserWarning, match="kept as a bare type"):
        out = to_openapi_schema(schema, model_id="m", where="x")
    assert out["properties"]["next"] == {"type": "OBJECT"}

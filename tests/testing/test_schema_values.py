"""Values built from JSON schemas: a validator accepts every one, formats and bounds included."""

from __future__ import annotations

import datetime
import enum
import ipaddress
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

import jsonschema
import pytest
from pydantic import BaseModel, Field, TypeAdapter

from llmkit.errors import UsageError
from llmkit.testing._responder import placeholder
from llmkit.testing._schema_values import valid_value

SCHEMAS: dict[str, dict[str, Any]] = {
    "bounded integer": {"type": "integer", "minimum": 10, "maximum": 12},
    "exclusive integer": {"type": "integer", "exclusiveMinimum": 5, "exclusiveMaximum": 7},
    "negative integer": {"type": "integer", "maximum": -3},
    "multiple of 7 above 20": {"type": "integer", "minimum": 20, "multipleOf": 7},
    "small number": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 0.5},
    "number on a grid": {"type": "number", "minimum": 2, "multipleOf": 0.25},
    "short string": {"type": "string", "maxLength": 3},
    "long string": {"type": "string", "minLength": 12},
    "code pattern": {"type": "string", "pattern": r"^[A-Z]{3}-\d{2,4}$"},
    "alternation": {"type": "string", "pattern": r"^(red|green)-[a-f0-9]{6}$"},
    "negated class": {"type": "string", "pattern": r"^[^a-z0-9]+$"},
    "email": {"type": "string", "format": "email"},
    "date-time": {"type": "string", "format": "date-time"},
    "enum": {"enum": ["low", "high"]},
    "const": {"const": 42},
    "nullable": {"type": ["string", "null"]},
    "unique items": {
        "type": "array",
        "items": {"type": "integer", "minimum": 0, "maximum": 9},
        "minItems": 3,
        "uniqueItems": True,
    },
    "capped array": {"type": "array", "items": {"type": "string"}, "minItems": 0, "maxItems": 0},
    "tuple": {
        "type": "array",
        "prefixItems": [{"type": "string"}, {"type": "boolean"}],
        "items": False,
    },
    "map": {"type": "object", "additionalProperties": {"type": "integer"}, "minProperties": 2},
    "any": {},
    "all of": {
        "allOf": [
            {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
            {"properties": {"b": {"type": "integer"}}, "required": ["b"]},
        ]
    },
    "nested refs": {
        "type": "object",
        "properties": {"child": {"$ref": "#/$defs/Child"}},
        "required": ["child"],
        "$defs": {
            "Child": {
                "type": "object",
                "properties": {"tags": {"type": "array", "items": {"$ref": "#/$defs/Tag"}}},
                "required": ["tags"],
            },
            "Tag": {"type": "string", "minLength": 2, "maxLength": 4},
        },
    },
}


@pytest.mark.parametrize("every_property", [False, True])
@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_the_value_validates(name: str, every_property: bool) -> None:
    schema = SCHEMAS[name]
    value = valid_value(schema, every_property=every_property)
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    jsonschema.Draft202012Validator(schema, format_checker=checker).validate(value)


class Level(enum.Enum):
    LOW = 1
    HIGH = 2


class Node(BaseModel):
    """A recursive model: a tree."""

    name: str
    children: list[Node] = []
    parent: Node | None = None


@dataclass
class Point:
    x: Annotated[float, Field(ge=-1, le=1)]
    y: Annotated[float, Field(gt=0)]


class Everything(BaseModel):
    when: datetime.date
    at: datetime.datetime
    clock: datetime.time
    lasting: datetime.timedelta
    ident: uuid.UUID
    address: ipaddress.IPv4Address
    network: ipaddress.IPv6Network
    price: Decimal
    level: Level
    kind: Literal["a", "b"]
    point: Point
    points: Annotated[list[Point], Field(min_length=2)]
    tree: Node
    code: Annotated[str, Field(pattern=r"^[a-z]{2}_[0-9]{3}$")]
    small: Annotated[int, Field(multiple_of=3, gt=10, lt=14)]
    ratio: Annotated[float, Field(ge=0, le=1)]
    maybe: int | None = None
    either: int | str
    lookup: dict[str, Level]
    raw: bytes
    pair: tuple[int, str]


@pytest.mark.parametrize("every_property", [False, True])
@pytest.mark.parametrize("kind", [Everything, Node, Point, list[Point], int | None, Level])
def test_pydantic_accepts_the_value_for_its_own_schema(kind: Any, every_property: bool) -> None:
    adapter = TypeAdapter(kind)
    value = valid_value(adapter.json_schema(), every_property=every_property)
    adapter.validate_python(value)


def test_values_are_plain_when_nothing_constrains_them() -> None:
    schema = {
        "type": "object",
        "properties": {
            "s": {"type": "string"},
            "i": {"type": "integer"},
            "n": {"type": "number"},
            "b": {"type": "boolean"},
            "l": {"type": "array", "items": {"type": "string"}},
        },
    }
    assert valid_value(schema, every_property=True) == {
        "s": "example",
        "i": 1,
        "n": 1.5,
        "b": True,
        "l": ["example"],
    }
    assert valid_value(schema) == {}  # no required properties


def test_the_responders_placeholders_now_respect_constraints() -> None:
    schema = {
        "type": "object",
        "properties": {
            "day": {"type": "string", "format": "date"},
            "count": {"type": "integer", "minimum": 5},
            "code": {"type": "string", "pattern": "^[0-9]{4}$"},
        },
        "required": ["day", "count", "code"],
    }
    assert placeholder(schema) == {"day": "2025-01-01", "count": 5, "code": "0000"}


def test_a_recursion_that_cannot_end_is_a_usage_error() -> None:
    schema = {
        "$ref": "#/$defs/Loop",
        "$defs": {
            "Loop": {
                "type": "object",
                "properties": {"next": {"$ref": "#/$defs/Loop"}},
                "required": ["next"],
            }
        },
    }
    with pytest.raises(UsageError, match="no finite value"):
        valid_value(schema)
    with pytest.raises(UsageError, match="only local ones"):
        valid_value({"$ref": "https://example.com/schema.json"})

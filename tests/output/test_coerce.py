"""Schema-guided coercion: the whole table of what is changed, and what never is."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, TypeAdapter

from llmkit.output._coerce import coerce


class Line(BaseModel):
    description: str
    amount: float


class Invoice(BaseModel):
    number: str
    lines: list[Line]
    paid: bool = False


def schema_of(output_type: Any) -> dict[str, Any]:
    return TypeAdapter(output_type).json_schema()


@pytest.mark.parametrize(
    ("output_type", "given", "becomes"),
    [
        (int, "42", 42),
        (int, " -7 ", -7),
        (float, "3.5", 3.5),
        (float, "42", 42.0),
        (float, "-1e3", -1000.0),
        (bool, "yes", True),
        (bool, "No", False),
        (bool, "TRUE", True),
        (str, 77, "77"),
        (int | None, "5", 5),
        (list[int], "4", [4]),
        (list[str], "only", ["only"]),
        (list[Line], {"description": "a", "amount": "1"}, [{"description": "a", "amount": 1.0}]),
        # an XML list wrapper: <lines><line>…</line></lines>, with one or several children
        (list[str], {"tag": ["a", "b"]}, ["a", "b"]),
        (list[str], {"tag": "a"}, ["a"]),
        (
            list[Line],
            {"line": [{"description": "a", "amount": "1"}]},
            [{"description": "a", "amount": 1.0}],
        ),
        # an XML root element around an object, and attributes named like fields
        (Invoice, {"invoice": {"number": 7, "lines": []}}, {"number": "7", "lines": []}),
        (Line, {"@description": "a", "amount": "2"}, {"description": "a", "amount": 2.0}),
    ],
)
def test_coerces_where_the_schema_leaves_one_reading(
    output_type: Any, given: Any, becomes: Any
) -> None:
    adapter = TypeAdapter(output_type)
    value = coerce(given, adapter.json_schema())
    assert value == becomes
    adapter.validate_python(value)


@pytest.mark.parametrize(
    ("output_type", "given"),
    [
        (int, "abc"),
        (int, "4.5"),  # never truncated
        (int, "1,000"),
        (int, ""),
        (float, "12 EUR"),
        (float, "3,5"),
        (float, "nan"),
        (bool, "maybe"),
        (bool, "1 "),
        (str, 4.2),  # a float's text was already changed by the parser
        (str, True),
        (list[int], None),  # null is not an empty list
        (int | str, "42"),  # several types: no guessing
        (int | float, "4"),
        (dict[str, str], {"k": "v"}),  # not a wrapper: a mapping is the value itself
        (list[dict[str, str]], {"k": "v"}),
    ],
)
def test_leaves_everything_else_alone(output_type: Any, given: Any) -> None:
    result = coerce(given, schema_of(output_type))
    if output_type == list[dict[str, str]]:
        assert result == [given]  # one item, kept whole
    else:
        assert result == given


def test_nested_references_and_strict_models() -> None:
    class Strict(BaseModel):
        model_config = ConfigDict(strict=True)
        count: int
        tags: list[str]

    adapter = TypeAdapter(Strict)
    value = coerce({"count": "3", "tags": "x"}, adapter.json_schema())
    assert adapter.validate_python(value) == Strict(count=3, tags=["x"])

"""Output specs: schemas (wrapped when not an object), strategies, validation, JSON form."""

from __future__ import annotations

import dataclasses
from typing import Literal

import pytest
from pydantic import BaseModel
from typing_extensions import TypedDict

from llmkit.errors import UsageError
from llmkit.output import FINAL_RESULT_TOOL, OutputInvalid, OutputSpec
from llmkit.providers import Capabilities


class Invoice(BaseModel):
    """An invoice."""

    total: float
    currency: str


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Movie(TypedDict):
    title: str
    year: int


class Refusal(BaseModel):
    reason: str


def test_object_types_keep_their_schema() -> None:
    spec = OutputSpec(Invoice)
    assert not spec.wrapped
    assert spec.schema["required"] == ["total", "currency"]
    assert spec.output_schema is not None
    assert spec.output_schema.name == "Invoice"
    assert spec.output_schema.description == "An invoice."
    assert spec.tool_spec is not None and spec.tool_spec.name == FINAL_RESULT_TOOL
    assert OutputSpec(Point).from_text('{"x": 1, "y": 2}') == Point(1, 2)
    assert OutputSpec(Movie).from_text('{"title": "Up", "year": "2009"}') == {
        "title": "Up",
        "year": 2009,
    }


@pytest.mark.parametrize(
    ("output_type", "text", "value"),
    [
        (list[int], '{"result": [1, 2]}', [1, 2]),
        (list[int], "[1, 2]", [1, 2]),  # a bare value is accepted too
        (int, '{"result": 7}', 7),
        (Literal["yes", "no"], '{"result": "no"}', "no"),
        (Invoice | Refusal, '{"result": {"reason": "no data"}}', Refusal(reason="no data")),
    ],
)
def test_other_types_are_wrapped_in_an_object(
    output_type: object, text: str, value: object
) -> None:
    spec = OutputSpec(output_type)
    assert spec.wrapped
    assert spec.schema["type"] == "object"
    assert spec.schema["required"] == ["result"]
    assert spec.from_text(text) == value


def test_union_definitions_move_to_the_root() -> None:
    spec = OutputSpec(Invoice | Refusal)
    assert set(spec.schema["$defs"]) == {"Invoice", "Refusal"}
    assert "$defs" not in spec.schema["properties"]["result"]


def test_invalid_answers_say_why() -> None:
    spec = OutputSpec(Invoice)
    with pytest.raises(OutputInvalid) as info:
        spec.from_text('{"total": "lots"}')
    assert "total" in info.value.errors and "currency" in info.value.errors
    assert info.value.raw == '{"total": "lots"}'
    with pytest.raises(OutputInvalid, match="holds no JSON"):
        spec.from_text("Sorry, no idea.")


def test_mode_from_capabilities_and_override() -> None:
    spec = OutputSpec(Invoice)
    assert spec.mode_for(Capabilities()) == "native"
    assert spec.mode_for(Capabilities(structured_output=False)) == "tool"
    assert spec.mode_for(Capabilities(structured_output=False, tools=False)) == "prompted"
    assert OutputSpec(Invoice, mode="prompted").mode_for(Capabilities()) == "prompted"
    assert "JSON schema" in spec.prompt() and '"currency"' in spec.prompt()
    with pytest.raises(UsageError, match="output_mode"):
        OutputSpec(Invoice, mode="magic")  # type: ignore[arg-type]


def test_json_form_round_trip() -> None:
    spec = OutputSpec(list[Invoice])
    value = [Invoice(total=1.5, currency="EUR")]
    data = spec.to_json(value)
    assert data == [{"total": 1.5, "currency": "EUR"}]
    assert spec.from_json(data) == value


def test_types_without_a_schema_are_a_usage_error() -> None:
    import threading

    with pytest.raises(UsageError, match="cannot become a JSON schema"):
        OutputSpec(threading.Lock)


def test_text_output_needs_nothing() -> None:
    spec = OutputSpec(str)
    assert spec.is_text and spec.output_schema is None
    assert spec.from_text("anything {}") == "anything {}"

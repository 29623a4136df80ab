"""Plain parameter types: the schema and argument checks built without pydantic match pydantic's."""

from __future__ import annotations

import json
import typing
from typing import Any, Literal, Optional

import pytest
from pydantic import ConfigDict, Field, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from llmkit.tools import tool
from llmkit.tools._plain import REJECTED, plain_type
from llmkit.tools._schema import clean_schema

PLAIN = [
    str,
    int,
    float,
    bool,
    None,
    list[str],
    list[int],
    list[float],
    list[bool],
    dict[str, str],
    dict[str, int],
    dict[str, float],
    Literal["a", "b"],
    Literal["only"],
    Literal[1, 2, 3],
    str | None,
    Optional[int],  # noqa: UP045  (the spelling users write too)
    list[float] | None,
    dict[str, bool] | None,
    Literal["x", "y"] | None,
]
NOT_PLAIN = [
    Any,
    list[list[int]],
    dict[int, str],
    dict[str, list[int]],
    Literal["a", 1],
    Literal[True],
    str | int,
    str | int | None,
    tuple[int, int],
    set[str],
    typing.Annotated[int, "meta"],
]
VALUES: list[Any] = [
    "text",
    "",
    "3",
    "a",
    "x",
    "only",
    0,
    1,
    3,
    -7,
    2**53,
    2**53 + 1,
    10**400,
    True,
    False,
    1.5,
    2.0,
    float("nan"),
    None,
    [],
    ["a", "b"],
    [1, 2],
    [1, 2.5],
    [True],
    [1, "a"],
    {},
    {"k": "v"},
    {"k": 1},
    {"k": 1.5},
    {"k": True},
    {"k": None},
    {"k": [1]},
]


def pydantic_adapter(annotation: Any, *, required: bool = True) -> Any:
    wrap = typing.Required if required else typing.NotRequired
    fields = {"value": wrap[annotation]}
    arguments: Any = TypedDict("t_arguments", fields)  # type: ignore[operator]  # functional form
    arguments.__pydantic_config__ = ConfigDict(extra="forbid")
    return TypeAdapter(arguments)


def pydantic_result(adapter: Any, arguments: Any) -> Any:
    try:
        return adapter.validate_python(arguments)
    except ValidationError:
        return REJECTED


def same(a: Any, b: Any) -> bool:
    """Equal, of the same types all the way down (1 and 1.0 and True differ); NaN equals NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float) and a != a:
        return b != b
    return bool(a == b)


@pytest.mark.parametrize("annotation", PLAIN, ids=str)
def test_a_plain_type_has_pydantic_s_schema_key_for_key(annotation: Any) -> None:
    found = plain_type(annotation)
    assert found is not None
    expected = clean_schema(pydantic_adapter(annotation).json_schema())["properties"]["value"]
    assert json.dumps(found[0]) == json.dumps(expected)  # same keys in the same order


@pytest.mark.parametrize("annotation", PLAIN, ids=str)
def test_a_plain_check_accepts_only_what_pydantic_gives_back_the_same(annotation: Any) -> None:
    found = plain_type(annotation)
    assert found is not None
    check = found[1]
    adapter = pydantic_adapter(annotation)
    for value in VALUES:
        mine = check(value)
        if mine is REJECTED:
            continue  # left to pydantic
        theirs = pydantic_result(adapter, {"value": value})
        assert theirs is not REJECTED, (annotation, value)
        assert same(mine, theirs["value"]), (annotation, value, mine, theirs)
        if isinstance(value, list | dict):
            assert mine is not value  # a copy: the tool cannot change the model's arguments


@pytest.mark.parametrize("annotation", NOT_PLAIN, ids=str)
def test_other_types_are_left_to_pydantic(annotation: Any) -> None:
    assert plain_type(annotation) is None


def weather(city: str, days: int = 3, units: Literal["c", "f"] | None = None) -> str:
    """Forecast.

    Args:
        city: Where.
        days: How many days.
    """
    return f"{city} {days} {units}"


def weather_by_pydantic() -> Any:
    """What pydantic makes of ``weather``'s parameters (descriptions from the docstring)."""
    fields = {
        "city": typing.Required[typing.Annotated[str, Field(description="Where.")]],
        "days": typing.NotRequired[typing.Annotated[int, Field(description="How many days.")]],
        "units": typing.NotRequired[Literal["c", "f"] | None],
    }
    arguments: Any = TypedDict("weather_arguments", fields)  # type: ignore[operator]  # functional form
    arguments.__pydantic_config__ = ConfigDict(extra="forbid")
    return TypeAdapter(arguments)


def test_a_tool_with_plain_types_has_pydantic_s_schema_and_checks() -> None:
    plain = tool(weather)
    adapter = weather_by_pydantic()
    expected_schema = clean_schema(adapter.json_schema())
    expected_schema["properties"]["days"]["default"] = 3
    expected_schema["properties"]["units"]["default"] = None
    assert json.dumps(plain.spec.parameters) == json.dumps(expected_schema)
    cases: list[Any] = [
        {"city": "Paris"},
        {"city": "Paris", "days": 2, "units": "c"},
        {"days": 2, "city": "Paris"},
        {"city": "Paris", "days": "2"},  # converted by pydantic
        {"city": "Paris", "days": 2.0},
        {"city": "Paris", "units": "k"},
        {"city": "Paris", "units": None},
        {"city": "Paris", "extra": 1},
        {"days": 1},
        {"city": None},
        ["Paris"],
        "Paris",
    ]
    for arguments in cases:
        try:
            expected: Any = adapter.validate_python(arguments)
        except ValidationError as exc:
            expected = ("error", str(exc))
        try:
            got: Any = plain.validate(arguments)
        except ValidationError as exc:
            got = ("error", str(exc))
        assert same(got, expected), arguments


def test_a_mistake_in_a_plain_signature_is_still_reported_when_the_tool_is_made() -> None:
    from llmkit.errors import UsageError

    def untyped(city) -> str:  # type: ignore[no-untyped-def]  # the mistake under test
        return str(city)

    with pytest.raises(UsageError, match="no type hint"):
        tool(untyped)

"""What a store lets through as plain JSON, and what it refuses naming the part."""

from __future__ import annotations

import math
from typing import Any

import pytest

from llmkit.durable import NotStorableError
from llmkit.durable._store import check_storable, is_plain_json


class Text(str):
    pass


PLAIN: list[Any] = [
    None,
    "a",
    1,
    True,
    1.5,
    [],
    {},
    {"a": 1.5, "b": [0.25, -2.0, None, "x"], "c": {"d": 1e300}},
    ("a", 1, 2.5),
    [[1.0, [2.0]], {"e": (3.0,)}],
]

NOT_PLAIN: list[tuple[Any, str]] = [
    (math.nan, "v"),
    ({"a": math.inf}, "v['a']"),
    ({"a": [1.0, -math.inf]}, "v['a'][1]"),
    ([{"b": math.nan}], "v[0]['b']"),
    ((1.0, math.nan), "v[1]"),
    ({1: "a"}, "v"),
    ({"a": {2: "b"}}, "v['a']"),
    ({"a": {1, 2}}, "v['a']"),
    ([Text("a")], "v[0]"),
    ({"a": b"x"}, "v['a']"),
]


@pytest.mark.parametrize("value", PLAIN)
def test_plain_json_passes(value: Any) -> None:
    assert is_plain_json(value)
    check_storable(value, "v")


@pytest.mark.parametrize(("value", "where"), NOT_PLAIN)
def test_anything_else_is_refused_naming_the_part(value: Any, where: str) -> None:
    assert not is_plain_json(value)
    with pytest.raises(NotStorableError) as caught:
        check_storable(value, "v")
    assert str(caught.value).startswith(where + " ")

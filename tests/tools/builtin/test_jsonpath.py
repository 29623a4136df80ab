"""JSONPath limits hold while the path is evaluated, not after every value was built."""

from __future__ import annotations

from typing import Any

import pytest

from llmkit.tools._deadline import call_limit
from llmkit.tools.builtin import Refused, data, json_query


class CountingDict(dict[str, Any]):
    """An object of the document that counts how often the walk lists its members."""

    listed = 0

    def values(self) -> Any:
        CountingDict.listed += 1
        return super().values()


def nested(levels: int, *, leaf: Any = 0) -> Any:
    document = leaf
    for _ in range(levels):
        document = CountingDict(k=document)
    return document


def wide(count: int) -> Any:
    return CountingDict(items=[CountingDict(id=i, name=f"n{i}") for i in range(count)])


def test_a_path_that_would_build_millions_of_values_stops_at_max_results() -> None:
    # $..*..*..*..*..* on 60 levels selects about 24 million values; stop at the 1,001st.
    CountingDict.listed = 0
    json_tool = {t.name: t for t in data()}["json_query"]
    with pytest.raises(Refused) as caught:
        json_tool(nested(60), "$..*..*..*..*..*")
    assert caught.value.rule == "max_results"
    assert CountingDict.listed < 5_000


def test_a_path_that_looks_at_too_many_values_is_refused_while_walking() -> None:
    CountingDict.listed = 0
    with pytest.raises(Refused) as caught:
        json_query(nested(60), "$..*..*..*..*..*", max_visits=10_000)
    assert caught.value.rule == "max_visits"
    assert CountingDict.listed < 10_000


def test_max_results_is_checked_before_the_whole_document_is_walked() -> None:
    CountingDict.listed = 0
    json_tool = {t.name: t for t in data(max_results=10)}["json_query"]
    with pytest.raises(Refused, match="max_results"):
        json_tool(wide(20_000), "$..name")
    assert CountingDict.listed < 100


def test_paths_within_the_limits_select_the_same_values() -> None:
    document = wide(3)
    assert json_query(document, "$..name") == ["n0", "n1", "n2"]
    assert json_query(document, "$.items[?(@.id > 0)].id", max_results=2) == [1, 2]
    assert json_query({"a": {"b": {"a": 1}}}, "$..a") == [{"b": {"a": 1}}, 1]
    assert len(json_query(nested(4), "$..*..*")) == 6


def test_a_deep_document_does_not_exhaust_the_stack() -> None:
    assert json_query(nested(5_000, leaf={"name": "bottom"}), "$..name") == ["bottom"]


def test_a_time_limit_stops_the_walk_part_way() -> None:
    ticks = 0

    def clock() -> float:
        nonlocal ticks
        ticks += 1
        return float(ticks)

    with pytest.raises(TimeoutError), call_limit(5, clock=clock):
        json_query(wide(50_000), "$..*")
    assert ticks < 20


@pytest.mark.parametrize(
    ("path", "match"),
    [
        ("$" + ".a" * 20_000, "40,001 characters, more than 1,000"),  # was a RecursionError
        ("$" + ".a" * 101, "101 steps, more than 100"),
        ("$" + "[0]" * 101, "101 steps, more than 100"),
        ("$" + "..a" * 101, "101 steps, more than 100"),
    ],
)
def test_an_over_long_or_over_deep_path_is_refused_before_it_runs(path: str, match: str) -> None:
    with pytest.raises(Refused) as caught:
        json_query({"a": 1}, path)
    assert caught.value.rule == "jsonpath"
    assert match in str(caught.value)


def test_a_path_of_the_most_steps_reaches_the_bottom() -> None:
    document: Any = "bottom"
    for _ in range(100):
        document = {"a": document}
    assert json_query(document, "$" + ".a" * 100) == ["bottom"]
    assert json_query(document, "$" + ".a" * 99 + "..a") == ["bottom"]


def test_a_document_given_as_text_nested_too_deeply_is_refused() -> None:
    text = "[" * 100_000 + "]" * 100_000  # json.loads alone: a RecursionError
    with pytest.raises(Refused) as caught:
        json_query(text, "$[0]")
    assert caught.value.rule == "max_depth"
    assert "nests more than 500 levels" in str(caught.value)
    assert json_query("[[1]]", "$[0][0]") == [1]
    assert json_query("not json", "$") == ["not json"]

"""The data family: the JSONPath subset, CSV queries and aggregates, record transforms."""

from __future__ import annotations

from typing import Any

import pytest

from llmkit.errors import ToolError
from llmkit.tools import Tool
from llmkit.tools._deadline import call_limit
from llmkit.tools.builtin import Refused, csv_rows, data, json_query, transform

from .conftest import TickingClock

STORE = {
    "store": {
        "book": [
            {"title": "Sayings", "author": "Rees", "price": 8.95, "tags": ["wit"]},
            {"title": "Sword", "author": "Waugh", "price": 12.99},
            {"title": "Moby Dick", "author": "Melville", "price": 8.99, "isbn": "0-553"},
            {"title": "Rings", "author": "Tolkien", "price": 22.99, "isbn": "0-395"},
        ],
        "bicycle": {"color": "red", "price": 19.95},
    }
}

CSV = "city,product,qty,price\nOslo,pen,3,1.5\nOslo,ink,1,7\nRome,pen,10,1.5\nRome,pad,2,4.25\n"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$.store.bicycle.color", ["red"]),
        ("store.bicycle.color", ["red"]),
        ("$['store']['bicycle']['price']", [19.95]),
        ("$.store.book[0].title", ["Sayings"]),
        ("$.store.book[-1].author", ["Tolkien"]),
        ("$.store.book[*].author", ["Rees", "Waugh", "Melville", "Tolkien"]),
        ("$.store.book[1:3].title", ["Sword", "Moby Dick"]),
        ("$.store.book[::2].title", ["Sayings", "Moby Dick"]),
        ("$.store.book[0,2].title", ["Sayings", "Moby Dick"]),
        ("$.store.bicycle['color','price']", ["red", 19.95]),
        ("$..isbn", ["0-553", "0-395"]),
        ("$.store.book[?(@.price < 9)].title", ["Sayings", "Moby Dick"]),
        ("$.store.book[?@.isbn].title", ["Moby Dick", "Rings"]),
        ("$.store.book[?(@.price > 9 && @.author != 'Waugh')].title", ["Rings"]),
        ("$.store.book[?(@.author == 'Rees' || @.price > 20)].title", ["Sayings", "Rings"]),
        ("$.store.book[?(!@.isbn)].title", ["Sayings", "Sword"]),
        ("$.store.book[?('wit' in @.tags)].title", ["Sayings"]),
        ("$.store.*.color", ["red"]),
        ("$.store.book[9].title", []),
        ("$.nothing", []),
    ],
)
def test_jsonpath_subset(path: str, expected: list[Any]) -> None:
    assert json_query(STORE, path) == expected


def test_jsonpath_takes_json_text() -> None:
    assert json_query('{"a": [1, 2, 3]}', "$.a[?(@ > 1)]") == [2, 3]


@pytest.mark.parametrize(
    "path", ["$.store.book[", "$.store.book[?(@.price.__class__)]", "$.a[x]", "$.a[::0]", "$!"]
)
def test_jsonpath_outside_the_subset_is_refused(path: str) -> None:
    with pytest.raises(Refused) as caught:
        json_query(STORE, path)
    assert caught.value.rule in ("jsonpath", "syntax")


def test_filters_cannot_reach_python() -> None:
    with pytest.raises(Refused, match=r"Refused \(syntax\)"):
        json_query(STORE, "$.store.book[?(__import__('os').system('true'))]")


def test_csv_rows_convert_numbers() -> None:
    rows = csv_rows(CSV)
    assert rows[0] == {"city": "Oslo", "product": "pen", "qty": 3, "price": 1.5}
    with pytest.raises(Refused) as caught:
        csv_rows(CSV, max_rows=2)
    assert caught.value.rule == "max_rows"


def tools(**options: Any) -> dict[str, Tool[..., Any]]:
    return {t.name: t for t in data(**options)}


def test_the_toolset() -> None:
    assert list(tools()) == ["json_query", "csv_query", "csv_aggregate", "transform_records"]


def test_csv_query_and_aggregate() -> None:
    t = tools()
    out = t["csv_query"](CSV, where="qty >= 2 and city == 'Rome'", columns=["product"])
    assert out == {"matched": 2, "rows": [{"product": "pen"}, {"product": "pad"}]}
    out = t["csv_query"](CSV, sort_by=["-price", "city"], limit=2)
    assert [r["product"] for r in out["rows"]] == ["ink", "pad"]
    assert t["csv_aggregate"](
        CSV, {"n": "count()", "qty": "sum(qty)", "top": "max(price)"}, group_by=["city"]
    ) == [
        {"city": "Oslo", "n": 2, "qty": 4, "top": 7},
        {"city": "Rome", "n": 2, "qty": 12, "top": 4.25},
    ]
    assert t["csv_aggregate"](CSV, {"avg": "avg(price)"}, where="product == 'pen'") == [
        {"avg": 1.5}
    ]


def test_transform_steps() -> None:
    records = csv_rows(CSV)
    out = transform(
        records,
        [
            {"map": {"total": "qty * price", "label": "upper(city) + '/' + product"}},
            {"filter": "total > 4"},
            {"sort": "-total"},
            {"select": ["label", "total"]},
            {"limit": 2},
        ],
    )
    assert out == [{"label": "ROME/pen", "total": 15.0}, {"label": "ROME/pad", "total": 8.5}]
    grouped = transform(records, [{"group": "product", "aggregate": {"qty": "sum(qty)"}}])
    assert grouped == [
        {"product": "pen", "qty": 13},
        {"product": "ink", "qty": 1},
        {"product": "pad", "qty": 2},
    ]
    nested = transform([{"a": {"b": 2}}, {"a": {"b": 5}}], [{"filter": "a.b > 3"}])
    assert nested == [{"a": {"b": 5}}]


@pytest.mark.parametrize(
    ("steps", "error", "match"),
    [
        ([{"explode": 1}], ToolError, "Unknown step 'explode'"),
        ([{"filter": "open('x')"}], Refused, r"step 1 \(filter\)"),
        ([{"map": {"x": "qty ** 99999999"}}], Refused, "max_exponent"),
        ([{"map": "x"}], ToolError, "map step"),
        ([{"limit": -1}], ToolError, "whole number"),
        (["filter"], ToolError, "must be an object"),
        ([{"group": "city", "aggregate": {"x": "median(qty)"}}], ToolError, "function"),
    ],
)
def test_bad_steps_are_explained(steps: list[Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        transform(csv_rows(CSV), steps)


def test_results_are_bounded() -> None:
    t = tools(max_results=2)
    with pytest.raises(Refused) as caught:
        t["json_query"](STORE, "$..title")
    assert caught.value.rule == "max_results"
    with pytest.raises(Refused, match="max_results"):
        t["transform_records"](csv_rows(CSV), [{"sort": "qty"}])


class CountingRecord(dict[str, Any]):
    """A record that counts how often an expression reads one of its fields."""

    reads = 0

    def get(self, key: str, default: Any = None) -> Any:
        CountingRecord.reads += 1
        return super().get(key, default)


def test_a_time_limit_stops_a_filter_over_many_records_part_way() -> None:
    CountingRecord.reads = 0
    records = [CountingRecord(x=i) for i in range(10_000)]
    with pytest.raises(TimeoutError, match="50 s time limit"), call_limit(50, clock=TickingClock()):
        tools()["transform_records"](records, [{"filter": "x >= 0"}])
    assert 0 < CountingRecord.reads < 100


def test_an_abandoned_call_stops_a_computed_field_part_way() -> None:
    with call_limit(None) as limit:

        class Abandoning(dict[str, Any]):
            def get(self, key: str, default: Any = None) -> Any:
                if self["i"] == 100:
                    limit.abandon()  # what a timed-out or cancelled caller does
                return super().get(key, default)

        records = [Abandoning(i=i) for i in range(10_000)]
        with pytest.raises(TimeoutError, match="abandoned"):
            transform(records, [{"map": {"j": "i * 2"}}])


@pytest.mark.parametrize("tool", ["csv_query", "csv_aggregate"])
def test_a_time_limit_stops_csv_work_part_way(tool: str) -> None:
    rows = "n\n" + "".join(f"{i}\n" for i in range(10_000))
    clock = TickingClock()
    t = tools(max_results=100_000)
    with pytest.raises(TimeoutError), call_limit(50, clock=clock):
        if tool == "csv_query":
            t[tool](rows, where="n >= 0", limit=100_000)
        else:
            t[tool](rows, {"n": "count()"}, group_by=["n"])
    assert clock.now < 100


def test_the_data_tools_run_in_a_worker_thread() -> None:
    assert all(t.run_in_thread for t in data())


@pytest.mark.parametrize("function", ["sum", "min", "distinct"])
def test_an_abandoned_call_stops_an_aggregate_part_way(function: str) -> None:
    # One group of many records: the work is in computing the aggregate, after grouping.
    with call_limit(None) as limit:

        class Abandoning(dict[str, Any]):
            def get(self, key: str, default: Any = None) -> Any:
                if key == "price":  # read only by the aggregate, not by the grouping
                    limit.abandon()
                return super().get(key, default)

        records = [Abandoning(city="Oslo", price=i) for i in range(1000)]
        with pytest.raises(TimeoutError, match="abandoned"):
            transform(records, [{"group": ["city"], "aggregate": {"x": f"{function}(price)"}}])

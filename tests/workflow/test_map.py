"""map_each: one run of the body per item, outputs in input order, items as inputs or as states."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from llmkit import Agent
from llmkit.errors import StepInputError, WorkflowError
from llmkit.testing import FunctionModel
from llmkit.types import Request
from llmkit.workflow import map_each, sequence, step

pytestmark = pytest.mark.anyio


async def test_outputs_are_in_input_order_whatever_finishes_first() -> None:
    gates = {n: asyncio.Event() for n in range(4)}
    done: list[int] = []

    async def double(item: int) -> int:
        # The last item finishes first, then each one lets the one before it go.
        if item < 3:
            await gates[item + 1].wait()
        done.append(item)
        gates[item].set()
        return item * 2

    flow = sequence(
        step(lambda s: 0, name="first", output="first"),
        map_each(double, over="numbers", output="doubled"),
        name="digest",
    )
    result = await flow.run({"numbers": [0, 1, 2, 3]})
    assert done == [3, 2, 1, 0]
    assert result.state["doubled"] == [0, 2, 4, 6]
    assert [r.path for r in result.trace] == [
        "digest",
        "digest/first",
        "digest/doubled",
        "digest/doubled[0]/double",
        "digest/doubled[1]/double",
        "digest/doubled[2]/double",
        "digest/doubled[3]/double",
    ]


def _generator() -> Iterator[int]:
    yield 1


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("abc", "str"),
        ({"a": 1}, "dict"),
        ({1, 2}, "set"),
        (_generator(), "generator"),
        (None, "NoneType"),
        (3, "int"),
    ],
)
async def test_over_must_give_a_list(value: Any, kind: str) -> None:
    ran: list[Any] = []
    flow = sequence(
        step(lambda s: "kept", name="before", output="before"),
        map_each(ran.append, over=lambda s: value, name="summaries"),
        name="digest",
    )
    with pytest.raises(StepInputError) as info:
        await flow.run({"topic": "t"})
    err = info.value
    assert str(err) == f"map_each 'digest/summaries': over= gave a {kind}, not a list."
    assert err.path == "digest/summaries"
    assert ran == []
    assert err.state == {"topic": "t", "before": "kept"}
    assert [r.path for r in err.trace] == ["digest", "digest/before", "digest/summaries"]


async def test_a_tuple_is_a_list_and_an_empty_list_runs_nothing() -> None:
    calls: list[Any] = []

    def body(item: Any) -> Any:
        calls.append(item)
        return item

    flow = map_each(body, over="items", output="out")
    assert (await flow.run({"items": (1, 2)})).state["out"] == [1, 2]
    result = await flow.run({"items": []})
    assert result.state["out"] == [] and calls == [1, 2]
    assert [r.path for r in result.trace] == ["out"]


async def test_an_agent_body_gets_each_item_as_its_input() -> None:
    def answer(request: Request) -> str:
        return f"summary of {request.messages[-1].text}"

    summariser = Agent(FunctionModel(answer), name="summariser")
    flow = map_each(summariser, over="chapters", output="summaries", max_concurrency=2)
    result = await flow.run({"chapters": ["one", {"title": "two"}]})
    assert result.state["summaries"] == [
        "summary of one",
        'summary of {\n  "title": "two"\n}',
    ]
    records = [r for r in result.trace if r.kind == "agent"]
    assert [r.path for r in records] == ["summaries[0]/summariser", "summaries[1]/summariser"]
    assert all(len(r.run_ids) == 1 for r in records)


class Chapter(BaseModel):
    title: str
    words: int = 0


async def test_a_workflow_body_runs_on_each_item_as_its_own_state() -> None:
    body = sequence(
        step(lambda c: c.title.upper(), name="shout", output="title"),
        step(lambda c: len(c.title), name="count", output="words"),
        step(lambda c: c, name="result"),
        name="chapter",
        state=Chapter,
    )
    flow = map_each(body, over="chapters", output="done")
    start = {"chapters": [{"title": "ab"}, Chapter(title="cde")]}
    result = await flow.run(start)
    assert result.state["done"] == [Chapter(title="AB", words=2), Chapter(title="CDE", words=3)]
    # The items' writes stayed in their own states: the map's state only got its output.
    assert set(result.state) == {"chapters", "done"}
    assert start["chapters"][1] == Chapter(title="cde")
    assert "done[1]/chapter/count" in [r.path for r in result.trace]


async def test_a_workflow_body_refuses_an_item_that_is_not_a_state() -> None:
    ran: list[Any] = []
    body = sequence(step(ran.append, name="f"), name="inner")
    with pytest.raises(StepInputError) as info:
        await map_each(body, over="items", name="m").run({"items": [{"a": 1}, "text"]})
    assert "map_each 'm': item 1 gave a str, not a dict or a model" in str(info.value)
    assert ran == []


async def test_a_leaf_body_s_structured_output_is_not_merged_into_the_state() -> None:
    flow = map_each(lambda item: {"n": item}, over="items", output="out")
    result = await flow.run({"items": [1, 2]})
    assert result.state == {"items": [1, 2], "out": [{"n": 1}, {"n": 2}]}


async def test_fail_fast_and_collect() -> None:
    def body(item: int) -> int:
        if item == 2:
            raise ValueError(f"item {item}")
        return item

    flow = map_each(body, over="items", output="out", name="m")
    with pytest.raises(WorkflowError) as info:
        await flow.run({"items": [1, 2, 3]})
    assert info.value.path == "m[1]/body"
    assert [r.path for r in info.value.trace] == ["m", "m[0]/body", "m[1]/body"]

    collecting = map_each(body, over="items", output="out", name="m", errors="collect")
    result = await collecting.run({"items": [1, 2, 3]})
    assert result.state["out"] == [1, 3] and not result.ok
    assert [(e.path, e.message) for e in result.errors] == [("m[1]/body", "item 2")]


async def test_max_concurrency_bounds_the_items_running_at_once() -> None:
    running = 0
    peak = 0

    async def body(item: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        for _ in range(item % 3 + 1):
            await asyncio.sleep(0)
        running -= 1
        return item

    flow = map_each(body, over="items", max_concurrency=3)
    assert (await flow.run({"items": list(range(10))})).output == list(range(10))
    assert peak == 3


async def test_a_leaf_body_s_input_picks_from_each_item() -> None:
    by_expression = map_each(
        step(str.upper, input="title"), over="chapters", output="titles", name="m"
    )
    result = await by_expression.run({"chapters": [{"title": "a"}, Chapter(title="b")]})
    assert result.state["titles"] == ["A", "B"]

    by_function = map_each(step(str.upper, input=lambda word: word[:2]), over="words")
    assert (await by_function.run({"words": ["abc", "de"]})).output == ["AB", "DE"]

    with pytest.raises(StepInputError) as info:
        await by_expression.run({"chapters": [{"title": "a"}, "b"]})
    assert str(info.value).startswith(
        "map_each 'm': its body's input= 'title' reads fields, but item 1 is a str"
    )

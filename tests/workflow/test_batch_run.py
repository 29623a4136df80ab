"""How a batch runs its items: plain functions in threads (the loop stays free), no more workers
than items, totals summed once in one pass, arguments checked, and no outcome ever missing."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from typing import Any

import pytest

import llmkit
from llmkit.errors import LLMKitError, UsageError
from llmkit.types import Usage
from llmkit.workflow import ItemOutcome
from llmkit.workflow._batch import BatchResult
from llmkit.workflow._executor import Unit

pytestmark = pytest.mark.anyio

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


async def test_plain_functions_run_at_once_up_to_the_concurrency() -> None:
    barrier = threading.Barrier(8, timeout=20)  # broken unless all 8 are in at once
    REQUEST_ID.set("batch-7")

    def blocking(value: int) -> str:
        barrier.wait()
        return f"{value}:{REQUEST_ID.get()}"

    result = await llmkit.batch(blocking, range(8), concurrency=8)
    assert result.ok, result.errors
    assert result.outputs == [f"{i}:batch-7" for i in range(8)]


async def test_a_plain_function_leaves_the_event_loop_free() -> None:
    loop_ran = threading.Event()

    async def beat() -> None:
        loop_ran.set()

    def waits_for_the_loop(value: int) -> int:
        asyncio.run_coroutine_threadsafe(beat(), loop).result(timeout=20)
        return value

    loop = asyncio.get_running_loop()
    result = await llmkit.batch(waits_for_the_loop, [1], concurrency=1)
    assert result.outputs == [1] and loop_ran.is_set()


async def test_no_more_workers_start_than_there_are_items() -> None:
    tasks_seen: list[int] = []

    async def count_tasks(value: int) -> int:
        tasks_seen.append(len(asyncio.all_tasks()))
        return value

    await llmkit.batch(count_tasks, [1, 2], concurrency=1000)
    assert max(tasks_seen) < 10


def deferred_usages(n: int, calls: list[int]) -> list[ItemOutcome]:
    def price(usage: Usage) -> float:
        calls.append(1)
        return 0.5

    items = []
    for i in range(n):
        usage = Usage(10, 5, requests=1)
        usage.defer_cost(price)
        items.append(ItemOutcome(i, i, i, usage=usage))
    return items


def test_the_totals_are_summed_in_one_pass_and_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    additions: list[int] = []
    add = Usage.__add__

    def counting_add(self: Usage, other: Usage) -> Usage:
        additions.append(1)
        return add(self, other)

    monkeypatch.setattr(Usage, "__add__", counting_add)
    prices: list[int] = []
    result = BatchResult(deferred_usages(500, prices))
    assert result.usage is result.usage  # summed once, kept
    assert (result.usage.total_tokens, result.usage.requests) == (7500, 500)
    assert prices == []  # no price looked up until a cost is read
    assert result.cost == 250.0 and result.cost == 250.0 and result.usage.cost == 250.0
    assert len(prices) == 500  # each item's price once
    assert additions == []  # no pairwise sums (each one copies every term before it)


def test_an_unknown_cost_of_an_item_that_used_something_makes_the_total_unknown() -> None:
    known = ItemOutcome(0, 0, usage=Usage(1, 1, requests=1, cost=0.25))
    empty = ItemOutcome(1, 1)
    unknown = ItemOutcome(2, 2, usage=Usage(1, 1, requests=1))
    assert BatchResult([known, empty]).cost == 0.25
    assert BatchResult([known, empty, unknown]).cost is None
    assert BatchResult([empty]).cost is None


async def echo(value: Any) -> Any:
    return value


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"executor": "ray"}, "executor must be an Executor"),
        ({"progress": "plain"}, "progress takes True"),
        ({"results": 42}, "results must be the path of a JSONL results file"),
        ({"key": "text"}, "key must be a function"),
    ],
)
async def test_bad_arguments_say_what_to_pass(options: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        await llmkit.batch(echo, [1], **options)


class FirstSlotOnly:
    """An executor with a bug: every outcome it returns claims to be item 0."""

    name = "buggy"
    remote = False

    async def start(self) -> None:
        pass

    async def submit(self, unit: Unit[Any]) -> Any:
        outcome = await unit()
        outcome.index = 0
        return outcome

    async def aclose(self) -> None:
        pass


async def test_an_outcome_missing_from_its_slot_is_an_error_naming_the_item() -> None:
    with pytest.raises(LLMKitError, match="Item 1 of the batch has no outcome"):
        await llmkit.batch(echo, [1, 2], executor=FirstSlotOnly())

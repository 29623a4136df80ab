"""llmkit.batch: many runs in input order, a concurrency limit, errors kept per item, usage summed,
progress, and fail-fast that leaves nothing behind."""

from __future__ import annotations

import asyncio
import io
import pickle
from dataclasses import dataclass
from typing import Any

import pytest

import llmkit
from llmkit import Agent
from llmkit.errors import UsageError
from llmkit.testing import FunctionModel
from llmkit.types import Request, Usage
from llmkit.workflow import BatchProgress, ItemOutcome, sequence, step
from llmkit.workflow._batch_item import BadInput, BatchItem, ItemError
from llmkit.workflow._batch_progress import LineProgress, RichProgress, display_for
from llmkit.workflow._executor import WorkerDiedError

pytestmark = pytest.mark.anyio


def shout(request: Request) -> str:
    """The model's answer: the user's last message in capitals."""
    return (request.messages[-1].text or "").upper()


def shouting_agent() -> Agent[str]:
    return Agent(FunctionModel(shout), name="shouter")


async def double(value: int) -> int:
    """A module-level target (it pickles)."""
    return value * 2


@dataclass
class Priced:
    """A result that says what it used."""

    value: int
    usage: Usage


async def test_an_agent_runs_once_per_input_and_outputs_keep_input_order() -> None:
    result = await llmkit.batch(shouting_agent(), ["one", "two", "three"], concurrency=2)
    assert result.outputs == ["ONE", "TWO", "THREE"]
    assert [item.index for item in result] == [0, 1, 2]
    assert [item.input for item in result] == ["one", "two", "three"]
    assert result.ok and result.failed == 0 and len(result) == 3
    assert result.usage.requests == 3
    assert result.usage.total_tokens == sum(item.usage.total_tokens for item in result) > 0
    assert result[0].result.output == "ONE"


async def test_outcomes_are_in_input_order_when_items_finish_in_another_order() -> None:
    finished: list[int] = []

    async def slow_first(value: int) -> int:
        for _ in range(10 - value):  # item 0 yields the most, so it finishes last
            await asyncio.sleep(0)
        finished.append(value)
        return value

    result = await llmkit.batch(slow_first, range(10), concurrency=10)
    assert finished != sorted(finished)
    assert result.outputs == list(range(10))


async def test_no_more_than_concurrency_items_run_at_once() -> None:
    running = 0
    most = 0

    async def count(value: int) -> int:
        nonlocal running, most
        running += 1
        most = max(most, running)
        for _ in range(3):
            await asyncio.sleep(0)
        running -= 1
        return value

    result = await llmkit.batch(count, range(20), concurrency=3)
    assert most == 3
    assert result.outputs == list(range(20))


async def test_an_item_error_is_kept_typed_and_without_secrets_and_the_others_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOMEPROVIDER_API_KEY", "secret-value-12345")

    async def picky(value: int) -> int:
        if value == 2:
            raise ValueError("refused with key secret-value-12345")
        return value

    result = await llmkit.batch(picky, range(4))
    assert result.outputs == [0, 1, None, 3]
    assert result.failed == 1 and not result.ok
    [bad] = result.errors
    assert bad.index == 2 and bad.error is not None
    assert bad.error.type == "ValueError"
    assert "secret-value-12345" not in bad.error.message
    assert "[redacted]" in bad.error.message
    assert isinstance(bad.exception, ValueError)
    assert "secret" not in str(bad.to_dict())


async def test_fail_fast_raises_the_first_error_and_cancels_the_items_in_flight() -> None:
    cancelled: list[int] = []
    started = asyncio.Event()
    before = asyncio.all_tasks()

    async def item(value: int) -> int:
        if value == 0:
            await started.wait()
            raise KeyError("no such thing")
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(value)
            raise
        return value  # pragma: no cover - never reached

    with pytest.raises(KeyError, match="no such thing"):
        await llmkit.batch(item, range(5), concurrency=3, fail_fast=True)
    assert sorted(cancelled) == [1, 2]
    assert asyncio.all_tasks() == before


async def test_cancelling_a_batch_cancels_its_items_and_leaves_no_task() -> None:
    started = asyncio.Event()
    cancelled: list[int] = []
    before = asyncio.all_tasks()

    async def wait_forever(value: int) -> int:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(value)
            raise
        return value  # pragma: no cover - never reached

    task = asyncio.create_task(llmkit.batch(wait_forever, range(4), concurrency=2))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sorted(cancelled) == [0, 1]
    assert asyncio.all_tasks() - {task} == before


async def test_usage_and_cost_add_up_over_the_items() -> None:
    async def priced(value: int) -> Priced:
        return Priced(value, Usage(input_tokens=value, output_tokens=1, requests=1, cost=0.25))

    result = await llmkit.batch(priced, [1, 2, 3])
    assert result.usage.input_tokens == 6
    assert result.usage.requests == 3
    assert result.cost == pytest.approx(0.75)
    assert result[1].cost == pytest.approx(0.25)


async def test_a_workflow_runs_once_per_state() -> None:
    def add_one(state: dict[str, Any]) -> int:
        return int(state["n"]) + 1

    flow = sequence(step(add_one), name="plus")
    result = await llmkit.batch(flow, [{"n": 1}, {"n": 5}])
    assert result.outputs == [2, 6]


async def test_options_go_to_every_run() -> None:
    seen: list[dict[str, Any]] = []

    async def target(value: int, **options: Any) -> int:
        seen.append(options)
        return value

    await llmkit.batch(target, [1, 2], options={"timeout": 5})
    assert seen == [{"timeout": 5}, {"timeout": 5}]


async def test_progress_gets_a_snapshot_after_every_item() -> None:
    snapshots: list[BatchProgress] = []

    async def half_fail(value: int) -> Priced:
        if value % 2:
            raise RuntimeError("odd")
        return Priced(value, Usage(input_tokens=10, output_tokens=5, requests=1))

    await llmkit.batch(half_fail, range(4), concurrency=1, progress=snapshots.append)
    assert [s.done for s in snapshots] == [1, 2, 3, 4]
    assert [s.failed for s in snapshots] == [0, 1, 1, 2]
    assert snapshots[-1].tokens == 30
    assert snapshots[-1].total == 4
    assert [s.outcome.index for s in snapshots if s.outcome is not None] == [0, 1, 2, 3]


async def test_progress_true_off_a_terminal_writes_a_line_per_item(
    capsys: pytest.CaptureFixture[str],
) -> None:
    await llmkit.batch(double, [1, 2], progress=True)
    lines = capsys.readouterr().err.splitlines()
    assert lines == ["[1/2] item 0 ok", "[2/2] item 1 ok"]


async def test_no_progress_is_shown_off_a_terminal_by_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    await llmkit.batch(double, [1, 2])
    assert capsys.readouterr().err == ""


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_display_is_a_live_bar_with_the_counts() -> None:
    out = Terminal()
    display = display_for(None, out)
    assert isinstance(display, RichProgress)
    outcome = ItemOutcome(0, "x", "X", usage=Usage(input_tokens=7, output_tokens=3, requests=1))
    from llmkit.workflow._batch_progress import Tally

    tally = Tally(2)
    display(tally.add(outcome))
    display(tally.add(ItemOutcome(1, "y", "Y", usage=Usage(input_tokens=5, requests=1))))
    display.close()
    assert "2/2" in out.getvalue()
    assert "15 tokens" in out.getvalue()
    assert isinstance(display_for(True, io.StringIO()), LineProgress)
    assert display_for(False, out) is None


async def test_a_batch_item_pickles_and_runs_after_the_trip() -> None:
    item = BatchItem(double, 21, 0, {})
    outcome = await pickle.loads(pickle.dumps(item))()
    assert outcome.output == 42 and outcome.ok
    assert pickle.loads(pickle.dumps(outcome)).output == 42


async def test_a_given_executor_runs_the_items_and_is_not_closed() -> None:
    class Counting(llmkit.InProcessExecutor):
        __slots__ = ("closed", "started", "submitted")

        def __init__(self) -> None:
            self.submitted = 0
            self.started = 0
            self.closed = False

        async def start(self) -> None:
            self.started += 1

        async def submit(self, unit: Any) -> Any:
            self.submitted += 1
            return await unit()

        async def aclose(self) -> None:
            self.closed = True

    executor = Counting()
    result = await llmkit.batch(double, [1, 2, 3], executor=executor)
    assert result.outputs == [2, 4, 6]
    assert (executor.started, executor.submitted, executor.closed) == (1, 3, False)


@pytest.mark.parametrize(
    ("target", "options", "message"),
    [
        (42, {}, "runs an Agent, a Workflow or a function"),
        (double, {"concurrency": 0}, "concurrency must be a whole number"),
        (double, {"concurrency": True}, "concurrency must be a whole number"),
        (double, {"options": ["timeout"]}, "options must be a dict"),
    ],
)
async def test_bad_arguments_are_refused_with_what_to_pass(
    target: Any, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        await llmkit.batch(target, [1], **options)


def test_batch_sync_is_the_blocking_twin() -> None:
    result = llmkit.batch_sync(shouting_agent(), ["hi"])
    assert result.outputs == ["HI"]
    assert repr(result) == "BatchResult(1 items, 0 failed)"


async def test_a_bad_input_fails_its_item_without_running_and_the_others_keep_their_places() -> (
    None
):
    ran: list[int] = []

    async def target(value: int) -> int:
        ran.append(value)
        return value

    result = await llmkit.batch(target, [1, BadInput("line 2 is not JSON"), 3])
    assert ran == [1, 3]
    assert result.outputs == [1, None, 3]
    assert result[1].error == ItemError("UsageError", "line 2 is not JSON")


def test_without_rich_a_terminal_gets_one_line_rewritten_in_place() -> None:
    from llmkit.workflow._batch_progress import Tally, TerminalProgress

    out = Terminal()
    display = TerminalProgress(out)
    tally = Tally(2)
    display(tally.add(ItemOutcome(0, "x", error=ItemError("ValueError", "no"))))
    display(tally.add(ItemOutcome(1, "y", "Y", usage=Usage(input_tokens=4, requests=1))))
    display.close()
    assert out.getvalue() == (
        "\r\x1b[2Kbatch: 1/2 done, 1 failed, 0 tokens\r\x1b[2Kbatch: 2/2 done, 1 failed, 4 tokens\n"
    )


async def test_an_executor_that_fails_stops_the_batch_with_its_error() -> None:
    before = asyncio.all_tasks()

    class Refuses(llmkit.InProcessExecutor):
        __slots__ = ()

        async def submit(self, unit: Any) -> Any:
            raise TypeError("cannot pickle 'generator' object")

    with pytest.raises(TypeError, match="cannot pickle"):
        await llmkit.batch(double, range(10), executor=Refuses(), concurrency=3)
    assert asyncio.all_tasks() == before


class LosesItemTwo(llmkit.InProcessExecutor):
    """Runs the items here, except item 2, whose worker "died" past its retries."""

    __slots__ = ()

    async def submit(self, unit: Any) -> Any:
        if unit.index == 2:
            raise WorkerDiedError("A worker died running batch item 2 and it was retried 3 times.")
        return await unit()


async def test_an_item_whose_worker_died_fails_alone_and_the_batch_goes_on(tmp_path: Any) -> None:
    path = tmp_path / "results.jsonl"
    result = await llmkit.batch(
        double, range(5), executor=LosesItemTwo(), concurrency=2, results=path
    )
    assert result.outputs == [0, 2, None, 6, 8]
    (lost,) = result.errors
    assert lost.index == 2 and lost.error is not None and lost.error.type == "WorkerDiedError"
    assert isinstance(lost.exception, WorkerDiedError)
    again = await llmkit.batch(double, range(5), results=path)  # it runs again on resuming
    assert again.outputs == [0, 2, 4, 6, 8] and again.resumed == 4


async def test_fail_fast_stops_at_an_item_whose_worker_died() -> None:
    with pytest.raises(WorkerDiedError, match="batch item 2"):
        await llmkit.batch(double, range(5), executor=LosesItemTwo(), fail_fast=True)

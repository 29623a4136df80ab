"""Parallel branches: merge modes, fail-fast and collected failures, copies of the state, concurrency.

Completion order is forced with ``asyncio.Event``s, never with sleeps or timings.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic import BaseModel

from llmkit.errors import StepTimeoutError, WorkflowError
from llmkit.events import Event
from llmkit.workflow import WorkflowResult, _exec_parallel, parallel, sequence, step

pytestmark = pytest.mark.anyio


def waiting_for(event: asyncio.Event, value: Any, done: list[Any]) -> Any:
    async def branch(state: Any) -> Any:
        await event.wait()
        done.append(value)
        return value

    return branch


def setting(event: asyncio.Event, value: Any, done: list[Any]) -> Any:
    async def branch(state: Any) -> Any:
        done.append(value)
        event.set()
        return value

    return branch


async def test_merge_all_keeps_declared_order_whatever_finishes_first() -> None:
    go = asyncio.Event()
    done: list[str] = []
    flow = parallel(
        step(waiting_for(go, "a", done), name="a", output="a"),
        step(setting(go, "b", done), name="b", output="b"),
        name="reviews",
        output="both",
    )
    result = await flow.run({})
    assert done == ["b", "a"]  # b finished first
    assert result.output == ["a", "b"]
    # b's write was replayed after a's: the merge follows the declared order.
    assert list(result.state) == ["a", "b", "both"]
    assert [(r.path, r.status) for r in result.trace] == [
        ("reviews", "ok"),
        ("reviews[0]/a", "ok"),
        ("reviews[1]/b", "ok"),
    ]


async def test_merge_first_takes_the_first_success_and_cancels_the_others() -> None:
    cancelled: list[str] = []
    started = asyncio.Event()

    async def slow(state: Any, context: Any) -> str:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.append(context.path)
        return "slow"  # pragma: no cover - never reached

    async def fast(state: Any) -> str:
        await started.wait()
        return "fast"

    def fails(state: Any) -> str:
        raise ValueError("no")

    flow = parallel(
        sequence(step(lambda s: {"slow_notes": 1}, name="note"), step(slow), name="slow"),
        step(fails, name="fails"),
        sequence(step(lambda s: {"fast_notes": 2}, name="note"), step(fast), name="fast"),
        merge="first",
        name="race",
        output="winner",
    )
    result = await flow.run({})
    assert result.output == "fast" and cancelled == ["race[0]/slow/slow"]
    # Only the winner's writes are kept; a loser's failure is not a failure of the run.
    assert result.state == {"fast_notes": 2, "winner": "fast"}
    assert result.ok
    statuses = {r.path: (r.status, r.reason) for r in result.trace}
    assert statuses["race[0]/slow/slow"] == ("failed", "stopped")
    assert statuses["race[1]/fails"][0] == "failed"
    assert statuses["race"] == ("ok", "")


async def test_merge_first_with_every_branch_failing_raises_the_lowest_index_failure() -> None:
    go = asyncio.Event()

    async def second(state: Any) -> None:
        go.set()
        raise KeyError("second")

    async def first(state: Any) -> None:
        await go.wait()
        raise ValueError("first")

    flow = parallel(step(first), step(second), merge="first", name="race")
    with pytest.raises(WorkflowError) as info:
        await flow.run({})
    assert info.value.path == "race[0]/first"
    assert isinstance(info.value.__cause__, ValueError)


async def test_a_merge_function_gets_the_outputs_in_declared_order() -> None:
    go = asyncio.Event()
    done: list[int] = []
    flow = parallel(
        step(waiting_for(go, 1, done), name="one"),
        step(setting(go, 2, done), name="two"),
        merge=lambda outputs: "+".join(map(str, outputs)),
        output="total",
        name="sum",
    )
    result = await flow.run({})
    assert done == [2, 1] and result.state == {"total": "1+2"}


async def test_a_raising_merge_function_fails_the_parallel_with_its_cause() -> None:
    def merge(outputs: list[Any]) -> Any:
        raise ZeroDivisionError("merge")

    flow = sequence(parallel(step(lambda s: 1, name="a"), merge=merge, name="p"), name="flow")
    with pytest.raises(WorkflowError) as info:
        await flow.run({})
    assert info.value.path == "flow/p"
    assert isinstance(info.value.__cause__, ZeroDivisionError)


async def test_fail_fast_cancels_the_others_and_keeps_what_finished() -> None:
    cancelled: list[str] = []
    reached = asyncio.Event()

    async def blocked(state: Any, context: Any) -> None:
        reached.set()
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.append(context.path)

    async def bad(state: Any) -> None:
        await reached.wait()
        raise ValueError("bad")

    flow = sequence(
        parallel(
            step(lambda s: 1, name="done", output="done"),
            step(blocked),
            sequence(step(lambda s: {"partial": 1}, name="write"), step(bad), name="bad"),
            name="p",
        ),
        step(lambda s: 0, name="after", output="after"),
        name="flow",
    )
    with pytest.raises(WorkflowError) as info:
        await flow.run({})
    err = info.value
    assert err.path == "flow/p[2]/bad/bad" and isinstance(err.__cause__, ValueError)
    assert cancelled == ["flow/p[1]/blocked"]
    # The branch that finished and the failing branch's earlier write are kept.
    assert err.state == {"done": 1, "partial": 1}
    assert [(r.path, r.status) for r in err.trace] == [
        ("flow", "failed"),
        ("flow/p", "failed"),
        ("flow/p[0]/done", "ok"),
        ("flow/p[1]/blocked", "failed"),
        ("flow/p[2]/bad", "failed"),
        ("flow/p[2]/bad/write", "ok"),
        ("flow/p[2]/bad/bad", "failed"),
    ]


async def test_collect_runs_every_branch_and_keeps_the_failures() -> None:
    def bad(state: Any) -> None:
        raise ValueError("bad")

    flow = parallel(
        step(lambda s: "a", name="a"),
        step(bad),
        step(lambda s: "c", name="c"),
        errors="collect",
        output="outs",
        name="p",
    )
    result = await flow.run({})
    assert result.output == ["a", "c"] and result.state == {"outs": ["a", "c"]}
    assert not result.ok
    assert [(e.path, e.error_type, e.message) for e in result.errors] == [
        ("p[1]/bad", "ValueError", "bad")
    ]
    assert [r.status for r in result.trace] == ["ok", "ok", "failed", "ok"]


async def test_a_branch_s_writes_are_invisible_to_its_sibling_until_the_merge() -> None:
    wrote = asyncio.Event()
    seen: list[Any] = []

    def write(state: Any) -> dict[str, int]:
        return {"x": 1}

    async def signal(state: Any) -> None:
        wrote.set()

    async def look(state: Any) -> None:
        await wrote.wait()
        seen.append(dict(state))

    flow = sequence(
        parallel(
            sequence(step(write), step(signal), name="writer"),
            sequence(step(look), step(lambda s: {"y": 2}, name="other"), name="reader"),
            name="p",
        ),
        step(lambda s: dict(s), name="after"),
        name="flow",
    )
    result = await flow.run({"start": 0})
    assert seen == [{"start": 0}]  # x was written on the writer's own copy
    assert result.output == {"start": 0, "x": 1, "y": 2}


class Scores(BaseModel):
    a: int = 0
    b: int = 0


async def test_branches_that_write_get_copies_and_the_others_share_the_state() -> None:
    states: dict[str, Any] = {}

    def reader(name: str) -> Any:
        def read(state: Any) -> int:
            states[name] = state
            return 0

        read.__name__ = name
        return read

    def writer(state: Any) -> Scores:
        states["writer"] = state
        return Scores(a=1, b=2)

    flow = parallel(step(reader("r1")), step(reader("r2")), step(writer), name="p")
    start = Scores()
    result = await flow.run(start)
    assert states["r1"] is states["r2"]  # no copy for branches that do not write
    assert states["writer"] is not states["r1"]
    assert result.state == Scores(a=1, b=2) and start == Scores()


async def test_max_concurrency_is_never_exceeded() -> None:
    running = 0
    peak = 0
    gates = [asyncio.Event() for _ in range(5)]

    def branch(i: int) -> Any:
        async def run(state: Any) -> int:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            # Each branch waits for the one before it to finish: the pool has to
            # start the next one while earlier ones are still running.
            if i:
                await gates[i - 1].wait()
            for _ in range(3):
                await asyncio.sleep(0)
            running -= 1
            gates[i].set()
            return i

        run.__name__ = f"b{i}"
        return run

    flow = parallel(*(step(branch(i)) for i in range(5)), max_concurrency=2, name="p")
    result = await flow.run({})
    assert result.output == [0, 1, 2, 3, 4] and peak == 2

    peak = 0
    for gate in gates:
        gate.clear()
    unbounded = parallel(*(step(branch(i)) for i in range(5)), name="p")
    assert (await unbounded.run({})).output == [0, 1, 2, 3, 4]
    assert peak == 5


async def test_an_empty_parallel_gives_an_empty_list() -> None:
    result = await parallel(name="p", output="out").run({})
    assert result.output == [] and result.state == {"out": []}


def _sync_flow(seen: list[Any]) -> Any:
    def one(state: Any) -> dict[str, int]:
        seen.append(asyncio.current_task())
        return {"one": 1}

    def two(state: Any) -> int:
        seen.append(asyncio.current_task())
        return 2

    def bad(state: Any) -> int:
        raise ValueError("bad")

    return sequence(
        parallel(step(one), step(two), step(bad), errors="collect", name="p", output="p"),
        name="flow",
    )


async def _events(flow: Any) -> tuple[list[Event], WorkflowResult[Any]]:
    events = [e async for e in flow.stream({}, run_id="r")]
    result = events[-1].result
    return events, result


async def test_sync_branches_run_inline_with_the_same_trace_and_events_as_tasks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[Any] = []
    flow = _sync_flow(seen)
    result = await flow.run({})
    assert seen == [asyncio.current_task()] * 2  # no task was made
    inline_events, inline_result = await _events(flow)

    seen.clear()
    monkeypatch.setattr(_exec_parallel, "_inline", lambda rt, nodes, defaults: False)
    tasked = await flow.run({})
    assert seen[0] is not asyncio.current_task()
    task_events, task_result = await _events(flow)

    assert tasked.to_dict(comparable=True) == result.to_dict(comparable=True)
    assert task_result.to_dict(comparable=True) == inline_result.to_dict(comparable=True)

    def shape(events: list[Event]) -> list[tuple[str, str]]:
        return [(e.topic, e.path) for e in events]

    assert shape(task_events) == shape(inline_events)
    assert result.state == {"one": 1, "p": [{"one": 1}, 2]}


async def test_a_timeout_on_the_parallel_bounds_it_and_keeps_what_finished() -> None:
    before = asyncio.all_tasks()
    cancelled: list[str] = []

    async def blocked(state: Any, context: Any) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.append(context.path)

    flow = sequence(
        parallel(step(lambda s: {"quick": 1}, name="quick"), step(blocked), name="p", timeout=2.0),
        name="flow",
    )
    with pytest.raises(StepTimeoutError) as info:
        await flow.run({})
    await asyncio.sleep(0)
    assert asyncio.all_tasks() == before
    err = info.value
    assert str(err) == "Step 'flow/p' took longer than its timeout of 2 s."
    assert cancelled == ["flow/p[1]/blocked"] and err.state == {"quick": 1}

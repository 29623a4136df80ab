"""Loops: while_, until, count, their bounds (on the run's clock), delays, collect, break_on_error."""

from __future__ import annotations

from typing import Any

import pytest

from llmkit.errors import PredicateError, WorkflowError
from llmkit.workflow import _runner, loop, sequence, step

pytestmark = pytest.mark.anyio


def inc(state: Any) -> dict[str, int]:
    return {"n": state["n"] + 1}


async def test_while_is_checked_before_each_iteration() -> None:
    flow = loop(inc, while_="n < 3", name="count_up")
    result = await flow.run({"n": 0})
    assert result.state == {"n": 3}
    assert [r.path for r in result.trace] == [
        "count_up",
        "count_up[0]/inc",
        "count_up[1]/inc",
        "count_up[2]/inc",
    ]
    none = await flow.run({"n": 5})
    assert none.state == {"n": 5} and none.output is None and len(none.trace) == 1


async def test_until_is_checked_after_each_iteration() -> None:
    flow = loop(inc, until=lambda s: s["n"] >= 2)
    assert (await flow.run({"n": 0})).state == {"n": 2}
    once = await flow.run({"n": 7})
    assert once.state == {"n": 8} and once.output == {"n": 8}


async def test_count_runs_the_body_that_many_times() -> None:
    flow = loop(inc, count=4, collect=True, output="seen")
    result = await flow.run({"n": 0})
    assert result.state["n"] == 4
    assert result.state["seen"] == [{"n": 1}, {"n": 2}, {"n": 3}, {"n": 4}]
    assert (await loop(inc, count=0, collect=True).run({"n": 0})).output == []


async def test_max_iterations_ends_the_loop_normally_with_its_reason() -> None:
    flow = sequence(loop(inc, until="n > 100", max_iterations=3), name="s")
    result = await flow.run({"n": 0})
    assert result.state == {"n": 3} and result.ok
    assert (result.trace[1].path, result.trace[1].status, result.trace[1].reason) == (
        "s/loop",
        "ok",
        "max_iterations",
    )
    plain = await loop(inc, until="n > 1", max_iterations=10).run({"n": 0})
    assert plain.trace[0].reason == ""


async def test_max_duration_is_read_on_the_run_clock_before_each_iteration() -> None:
    now = [0.0]

    def tick(state: Any) -> dict[str, int]:
        now[0] += 4.0  # each iteration takes 4 s of the run's clock
        return inc(state)

    flow = loop(step(tick), max_duration=10.0)
    result = await flow.run({"n": 0}, clock=lambda: now[0])
    # Before iterations 1, 2, 3: 0, 4, 8 s have passed; before the 4th 12 s.
    assert result.state == {"n": 3}
    assert result.trace[0].reason == "max_duration"


async def test_delay_waits_between_iterations_only(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[tuple[float, int]] = []
    state_seen: list[int] = []

    def body(state: Any) -> dict[str, int]:
        state_seen.append(state["n"])
        return inc(state)

    async def sleep(seconds: float) -> None:
        slept.append((seconds, state_seen[-1]))

    monkeypatch.setattr(_runner, "_sleep", sleep)
    result = await loop(body, count=3, delay=2.5).run({"n": 0})
    assert result.state == {"n": 3}
    # Once after the first iteration, once after the second; none before or after.
    assert slept == [(2.5, 0), (2.5, 1)]
    slept.clear()
    await loop(body, count=3).run({"n": 0})
    assert slept == []


async def test_a_failing_iteration_fails_the_loop_by_default() -> None:
    def body(state: Any) -> dict[str, int]:
        if state["n"] == 2:
            raise ValueError("two")
        return inc(state)

    flow = sequence(loop(body, count=5), name="s")
    with pytest.raises(WorkflowError) as info:
        await flow.run({"n": 0})
    err = info.value
    assert err.path == "s/loop[2]/body" and err.state == {"n": 2}
    assert isinstance(err.__cause__, ValueError)


async def test_break_on_error_ends_the_loop_with_the_state_of_the_last_good_iteration() -> None:
    def half(state: Any) -> dict[str, int]:
        return {"half": state["n"]}

    def body_fails(state: Any) -> None:
        if state["n"] == 2:
            raise ValueError("two")

    body = sequence(step(half), step(body_fails, name="check"), step(inc), name="body")
    flow = sequence(
        loop(body, count=5, break_on_error=True, collect=True, output="outs"),
        step(lambda s: "went on", name="after", output="after"),
        name="s",
    )
    result = await flow.run({"n": 0})
    # Iteration 2 wrote half=2 before failing: that write is dropped with the iteration.
    assert result.state == {"n": 2, "half": 1, "outs": [{"n": 1}, {"n": 2}], "after": "went on"}
    assert not result.ok
    assert [(e.path, e.message) for e in result.errors] == [("s/loop[2]/body/check", "two")]
    loop_record = result.trace[1]
    assert (loop_record.status, loop_record.reason) == ("ok", "break_on_error")


async def test_a_raising_until() -> None:
    flow = sequence(
        step(lambda s: 1, name="first", output="first"),
        loop(inc, until=lambda s: 1 / 0),
        name="article",
    )
    with pytest.raises(PredicateError) as info:
        await flow.run({"n": 0})
    err = info.value
    assert err.path == "article/loop"
    assert "<lambda>" in str(err) and "article/loop" in str(err)
    assert isinstance(err.__cause__, ZeroDivisionError)
    assert err.state == {"n": 1, "first": 1}  # the first iteration's write is kept


async def test_a_loop_with_input_runs_on_its_own_state() -> None:
    flow = sequence(
        loop(inc, input="counter", while_="n < 2", output="final"),
        name="s",
    )
    result = await flow.run({"counter": {"n": 0}})
    assert result.state == {"counter": {"n": 0}, "final": {"n": 2}}

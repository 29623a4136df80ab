"""The policies around a step: timeout, retry, breaker, fallback, on_error, and how they nest."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from llmkit.errors import (
    CircuitOpenError,
    ServerError,
    StepTimeoutError,
    WorkflowError,
)
from llmkit.hooks import Hook, HookContext
from llmkit.types import Usage
from llmkit.workflow import CircuitBreaker, Retry, sequence, step
from llmkit.workflow._policy import add_usage

pytestmark = pytest.mark.anyio


def forever() -> Any:
    async def wait(state: Any) -> None:
        await asyncio.Event().wait()

    return wait


async def test_a_step_past_its_timeout() -> None:
    before = asyncio.all_tasks()
    flow = sequence(
        step(lambda s: 1, name="first", output="first"),
        step(forever(), name="slow", timeout=0.05),
        name="article",
    )
    with pytest.raises(StepTimeoutError) as info:
        await flow.run({})
    err = info.value
    assert str(err) == "Step 'article/slow' took longer than its timeout of 0.05 s."
    assert err.path == "article/slow" and err.state == {"first": 1}
    assert isinstance(err.__cause__, TimeoutError)
    await asyncio.sleep(0)
    assert asyncio.all_tasks() == before


async def test_timeout_is_retried_then_falls_back() -> None:
    attempts: list[int] = []

    async def slow(state: Any, context: Any) -> None:
        attempts.append(context.attempt)
        await asyncio.Event().wait()

    flow = sequence(
        step(
            slow,
            output="answer",
            timeout=0.01,
            retry=Retry(attempts=3, delay=0),
            fallback=step(lambda s: "backup", name="backup"),
        ),
        name="s",
    )
    result = await flow.run({})
    assert attempts == [1, 2, 3]
    assert result.state == {"answer": "backup"} and result.ok
    slow_record = result.trace[1]
    assert (slow_record.path, slow_record.attempts, slow_record.status, slow_record.reason) == (
        "s/slow",
        3,
        "ok",
        "fallback",
    )
    assert slow_record.error is not None  # why the fallback answered stays on the record
    assert (slow_record.error.error_type, slow_record.error.attempt) == ("StepTimeoutError", 3)
    assert result.errors == []
    assert result.trace[2].path == "s/slow/fallback"


async def test_retry_stops_on_errors_it_does_not_retry() -> None:
    calls: list[int] = []

    def bad(state: Any) -> None:
        calls.append(1)
        raise ValueError("no")

    flow = sequence(step(bad, retry=Retry(attempts=3, delay=0)), name="s")
    with pytest.raises(WorkflowError):
        await flow.run({})
    assert calls == [1]


async def test_retry_on_a_combinator_is_the_default_of_its_leaves() -> None:
    calls: dict[str, int] = {"a": 0, "b": 0}

    def a(state: Any) -> int:
        calls["a"] += 1
        return 1

    def b(state: Any) -> int:
        calls["b"] += 1
        if calls["b"] < 3:
            raise ServerError("busy", status=503)
        return 2

    result = await sequence(
        step(a, output="a"), step(b, output="b"), name="s", retry=Retry(attempts=3, delay=0)
    ).run({})
    assert calls == {"a": 1, "b": 3}  # a finished step is not run again
    assert [r.attempts for r in result.trace] == [1, 1, 3]


async def test_retry_of_a_whole_sub_flow() -> None:
    calls: dict[str, int] = {"a": 0, "b": 0}

    def a(state: Any) -> int:
        calls["a"] += 1
        return 1

    def b(state: Any) -> int:
        calls["b"] += 1
        if calls["b"] < 2:
            raise ServerError("busy", status=503)
        return 2

    inner = sequence(step(a, output="a"), step(b, output="b"), name="inner")
    result = await sequence(step(inner, retry=Retry(attempts=2, delay=0)), name="s").run({})
    assert calls == {"a": 2, "b": 2}
    assert result.trace[1].attempts == 2


async def test_on_error_skip_and_continue() -> None:
    def boom(state: Any) -> None:
        raise KeyError("k")

    skipped = await sequence(
        step(boom, on_error="skip", output="x"), step(lambda s: 1, name="after", output="y")
    ).run({})
    assert skipped.state == {"y": 1} and skipped.ok
    assert skipped.trace[1].status == "skipped"

    kept = await sequence(
        step(boom, on_error="continue", output="x"), step(lambda s: 1, name="after", output="y")
    ).run({})
    assert kept.state == {"y": 1} and not kept.ok
    assert [(f.path, f.error_type) for f in kept.errors] == [("sequence/boom", "KeyError")]
    assert kept.trace[1].status == "failed"


async def test_a_failing_fallback_raises_its_own_error_with_the_original_as_context() -> None:
    def boom(state: Any) -> None:
        raise KeyError("first")

    def worse(state: Any) -> None:
        raise ValueError("second")

    flow = sequence(step(boom, fallback=step(worse)), name="s")
    with pytest.raises(WorkflowError) as info:
        await flow.run({})
    cause = info.value.__cause__
    assert isinstance(cause, ValueError) and isinstance(cause.__context__, KeyError)
    assert info.value.path == "s/boom/fallback"


class Gate:
    """A breaker registry that records what it is asked (opens after ``threshold`` failures)."""

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self.failures = 0
        self.verdicts: list[bool | None] = []

    def acquire(self, breaker: CircuitBreaker) -> str:
        if self.failures >= self.threshold:
            raise CircuitOpenError(f"Circuit {breaker.key!r} is open", key=breaker.key, retry_in=5)
        return breaker.key

    def release(self, permit: Any, *, ok: bool | None) -> None:
        self.verdicts.append(ok)
        if ok is False:
            self.failures += 1


async def test_a_breaker_gets_each_attempt_s_verdict_and_its_refusal_falls_back() -> None:
    calls: list[int] = []

    def flaky(state: Any) -> None:
        calls.append(1)
        raise ServerError("down", status=500)

    gate = Gate(threshold=2)
    guarded = step(
        flaky,
        output="out",
        breaker=CircuitBreaker("svc"),
        retry=Retry(attempts=3, delay=0, on=(ServerError, CircuitOpenError)),
        fallback=step(lambda s: "cached", name="cached"),
    )
    result = await sequence(guarded, name="s").run({}, breakers=gate)
    assert calls == [1, 1]  # the third attempt was refused by the open circuit
    assert gate.verdicts == [False, False]
    assert result.state == {"out": "cached"} and result.trace[1].reason == "fallback"


async def test_an_error_the_breaker_does_not_count_gives_no_verdict() -> None:
    gate = Gate(threshold=1)

    def wrong(state: Any) -> None:
        raise KeyError("k")

    flow = sequence(step(wrong, breaker=CircuitBreaker("svc"), on_error="skip"), name="s")
    await flow.run({}, breakers=gate)
    assert gate.verdicts == [None]
    await sequence(step(lambda s: 1, name="ok", breaker=CircuitBreaker("svc"))).run(
        {}, breakers=gate
    )
    assert gate.verdicts == [None, True]


async def test_the_whole_run_past_its_timeout_is_a_stop_at_the_root() -> None:
    before = asyncio.all_tasks()
    flow = sequence(
        step(lambda s: 1, name="first", output="first"),
        step(forever(), name="slow", retry=Retry(attempts=3, delay=0, on=BaseException)),
        name="article",
    )
    with pytest.raises(StepTimeoutError) as info:
        await flow.run({}, timeout=0.05)
    err = info.value
    assert str(err) == "Workflow 'article' took longer than its timeout of 0.05 s."
    assert err.path == "article" and err.state == {"first": 1}
    assert [(r.path, r.status, r.attempts) for r in err.trace] == [
        ("article", "failed", 1),
        ("article/first", "ok", 1),
        ("article/slow", "failed", 1),
    ]
    assert err.trace[-1].reason == "stopped"
    await asyncio.sleep(0)
    assert asyncio.all_tasks() == before


class Errors(Hook):
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, int, str]] = []

    def on_error(self, ctx: HookContext, error: BaseException) -> None:
        self.seen.append((ctx.kind, ctx.path, ctx.attempt, type(error).__name__))


async def test_on_error_hooks_see_a_step_timeout_as_such() -> None:
    hook = Errors()
    flow = sequence(
        step(
            forever(),
            name="slow",
            timeout=0.05,
            retry=Retry(attempts=2, delay=0),
            on_error="skip",
        ),
        name="s",
    )
    await flow.run({}, hooks=[hook])
    assert hook.seen == [
        ("step", "s/slow", 1, "StepTimeoutError"),
        ("step", "s/slow", 2, "StepTimeoutError"),
    ]


async def test_an_outer_cancel_during_a_step_timeout_stays_a_cancellation() -> None:
    hook = Errors()
    started = asyncio.Event()

    async def slow(state: Any) -> None:
        started.set()
        await asyncio.Event().wait()

    flow = sequence(step(slow, timeout=30), name="s")
    running = asyncio.create_task(flow.run({}, hooks=[hook]))
    await started.wait()
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert ("step", "s/slow", 1, "CancelledError") in hook.seen


async def test_on_error_hooks_see_a_breaker_s_refusal() -> None:
    hook = Errors()
    gate = Gate(threshold=1)

    def down(state: Any) -> None:
        raise ServerError("down", status=500)

    guarded = step(down, breaker=CircuitBreaker("svc"), on_error="continue")
    flow = sequence(guarded, step(down, name="again", breaker=CircuitBreaker("svc")), name="s")
    with pytest.raises(CircuitOpenError):
        await flow.run({}, hooks=[hook], breakers=gate)
    assert hook.seen[:2] == [
        ("step", "s/down", 1, "ServerError"),
        ("step", "s/again", 1, "CircuitOpenError"),
    ]


@pytest.mark.parametrize(
    "first",
    [
        Usage(cost=0.5),
        Usage(estimated=True),
        Usage(cache_read_tokens=3),
        Usage(reasoning_tokens=2),
        Usage(requests=1, input_tokens=4, output_tokens=5, cost=0.25),
    ],
)
def test_adding_to_a_usage_that_is_not_fresh_adds(first: Usage) -> None:
    more = Usage(requests=1, input_tokens=10, output_tokens=2, cost=0.25)
    total = add_usage(first, more)
    assert total == first + more
    assert total != more


def test_adding_to_a_fresh_usage_gives_the_other_one() -> None:
    more = Usage(requests=1, input_tokens=10, output_tokens=2, cost=0.25, estimated=True)
    assert add_usage(Usage(), more) is more
    assert Usage() + more == more

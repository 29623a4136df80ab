"""The workflow hook points: composing them, their order, what they may change, and the built-ins."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import llmkit
from llmkit import RunContext
from llmkit._scope import STEP_SCOPE, StepScope
from llmkit.errors import HookError, UsageError
from llmkit.hooks import (
    HOOK_METHODS,
    Hook,
    HookChain,
    HookContext,
    LoggingHook,
    MetricsHook,
    RateLimit,
    TracingHook,
)
from llmkit.types import Usage

pytestmark = pytest.mark.anyio


@dataclass
class Result:
    """Stands in for a WorkflowResult (the hooks layer knows only its type)."""

    output: Any = None
    ok: bool = True
    usage: Usage = field(default_factory=Usage)
    trace: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class StepInfo:
    """Stands in for a StepContext."""

    kind: str = "function"


def context(kind: Any, path: str = "flow/a", attempt: int = 1) -> HookContext:
    return HookContext(
        kind,
        RunContext(None, run_id="w1"),
        path=path,
        attempt=attempt,
        step=StepInfo() if kind == "step" else None,
        started=time.perf_counter(),
    )


class Traced(Hook):
    """Notes every workflow point it is called for."""

    def __init__(self, label: str, log: list[str], priority: int) -> None:
        self.label = label
        self.log = log
        self.priority = priority

    def before_workflow(self, ctx: HookContext, state: Any) -> None:
        self.log.append(f"{self.label}.before_workflow")

    def after_workflow(self, ctx: HookContext, result: Any) -> None:
        self.log.append(f"{self.label}.after_workflow")

    def before_step(self, ctx: HookContext, input: Any) -> None:
        self.log.append(f"{self.label}.before_step {input}")

    async def after_step(self, ctx: HookContext, output: Any) -> None:
        self.log.append(f"{self.label}.after_step {output}")

    def on_error(self, ctx: HookContext, error: BaseException) -> None:
        self.log.append(f"{self.label}.on_error {ctx.kind} {type(error).__name__}")


def test_the_four_points_are_hook_methods_with_no_op_defaults() -> None:
    points = ("before_workflow", "after_workflow", "before_step", "after_step")
    assert set(points) <= set(HOOK_METHODS)
    for point in points:
        assert getattr(Hook(), point)(context("step"), None) is None


async def test_a_hook_with_only_before_step_is_a_hook() -> None:
    seen: list[tuple[str, int, Any]] = []

    class OnlyBeforeStep:
        def before_step(self, ctx: HookContext, input: Any) -> None:
            seen.append((ctx.path, ctx.attempt, input))

    chain = HookChain([OnlyBeforeStep()])

    async def run() -> str:
        return "out"

    assert await chain.call_step(context("step", "flow/a", 2), {"x": 1}, run) == "out"
    assert seen == [("flow/a", 2, {"x": 1})]


async def test_step_hooks_wrap_like_middleware_and_on_error_reaches_all() -> None:
    log: list[str] = []
    chain = HookChain([Traced("low", log, 0), Traced("high", log, 10), Traced("mid", log, 5)])

    async def run() -> str:
        log.append("run")
        return "out"

    assert await chain.call_step(context("step"), "in", run) == "out"
    assert log == [
        "high.before_step in",
        "mid.before_step in",
        "low.before_step in",
        "run",
        "low.after_step out",
        "mid.after_step out",
        "high.after_step out",
    ]

    log.clear()

    async def fail() -> str:
        log.append("run")
        raise TimeoutError

    with pytest.raises(TimeoutError):
        await chain.call_step(context("step"), "in", fail)
    assert log[3:] == [
        "run",
        "low.on_error step TimeoutError",
        "mid.on_error step TimeoutError",
        "high.on_error step TimeoutError",
    ]


async def test_after_step_replaces_the_output_with_anything_but_none() -> None:
    class Upper(Hook):
        priority = 0

        def after_step(self, ctx: HookContext, output: Any) -> Any:
            return output.upper()

    class Wrap(Hook):
        priority = 10  # outer: sees what Upper returned

        def after_step(self, ctx: HookContext, output: Any) -> Any:
            return {"text": output}

    class Observe(Hook):
        def after_step(self, ctx: HookContext, output: Any) -> None:
            return None

    async def run() -> str:
        return "draft"

    chain = HookChain([Upper(), Wrap(), Observe()])
    assert await chain.call_step(context("step"), None, run) == {"text": "DRAFT"}
    falsy = HookChain([type("Zero", (Hook,), {"after_step": lambda self, ctx, out: 0})()])
    assert await falsy.call_step(context("step"), None, run) == 0


async def test_a_hook_raising_in_before_step_stops_the_attempt_naming_it() -> None:
    log: list[str] = []

    class Refuse(Hook):
        priority = 20

        def before_step(self, ctx: HookContext, input: Any) -> None:
            raise ValueError("not this step")

    ran: list[str] = []

    async def run() -> str:
        ran.append("run")
        return "out"

    chain = HookChain([Refuse(), Traced("t", log, 0)])
    with pytest.raises(HookError) as caught:
        await chain.call_step(context("step"), None, run)
    err = caught.value
    assert (err.hook, err.point) == ("Refuse", "before_step")
    assert str(err) == "Hook 'Refuse' raised ValueError in before_step: not this step"
    assert isinstance(err.__cause__, ValueError)
    assert ran == []
    assert log == ["t.on_error step HookError"]


async def test_workflow_points_see_the_state_and_may_change_the_result() -> None:
    log: list[str] = []

    class Finish(Hook):
        def after_workflow(self, ctx: HookContext, result: Any) -> Any:
            return Result(output=f"{result.output}!")

    states: list[Any] = []

    class SeeState(Hook):
        def before_workflow(self, ctx: HookContext, state: Any) -> None:
            states.append(state)

    chain = HookChain([Traced("t", log, 10), Finish(), SeeState()])
    ctx = context("workflow", "flow")
    await chain.start_workflow(ctx, {"topic": "tides"})
    result = await chain.end_workflow(ctx, Result(output="done"))
    assert result == Result(output="done!")
    assert states == [{"topic": "tides"}]
    assert log == ["t.before_workflow", "t.after_workflow"]


async def test_after_workflow_returning_another_type_is_a_hook_error() -> None:
    class Wrong(Hook):
        def after_workflow(self, ctx: HookContext, result: Any) -> Any:
            return "done"

    with pytest.raises(HookError) as caught:
        await HookChain([Wrong()]).end_workflow(context("workflow", "flow"), Result())
    assert str(caught.value) == (
        "Hook 'Wrong' returned a str from after_workflow; return a Result or None."
    )
    assert (caught.value.hook, caught.value.point) == ("Wrong", "after_workflow")


async def test_a_hook_raising_in_before_workflow_is_a_hook_error() -> None:
    class Stop(Hook):
        async def before_workflow(self, ctx: HookContext, state: Any) -> None:
            raise RuntimeError("closed today")

    with pytest.raises(HookError, match="Hook 'Stop' raised RuntimeError in before_workflow"):
        await HookChain([Stop()]).start_workflow(context("workflow", "flow"), {})


async def test_for_scope_is_none_without_hooks_and_adds_the_session_s(tmp_path: Path) -> None:
    assert HookChain.for_scope(()) is None
    assert HookChain.for_scope([]) is None
    mine = Traced("t", [], 0)
    chain = HookChain.for_scope([mine])
    assert chain is not None and chain.hooks == (mine,)
    with llmkit.record(tmp_path / "run.jsonl") as recorder:
        inside = HookChain.for_scope(())
        assert inside is not None and inside.hooks == (recorder,)
        both = HookChain.for_scope([mine])
        assert both is not None and set(both.hooks) == {mine, recorder}
    assert HookChain.for_scope(()) is None


def test_for_scope_takes_a_list_of_hooks() -> None:
    with pytest.raises(UsageError, match="hooks= takes a list of hooks"):
        HookChain.for_scope(Traced("t", [], 0))  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="is not a hook"):
        HookChain.for_scope([object()])


def test_a_context_built_inside_a_step_has_its_path() -> None:
    outside = HookContext("run", RunContext(None))
    assert (outside.path, outside.attempt, outside.step) == ("", 0, None)
    token = STEP_SCOPE.set(StepScope("w1", "article/reviews[1]/critic_b", 2))
    try:
        inside = HookContext("model", RunContext(None))
    finally:
        STEP_SCOPE.reset(token)
    assert inside.path == "article/reviews[1]/critic_b"


def test_hook_chain_is_public() -> None:
    import llmkit.hooks
    from llmkit._hooks import chain

    assert "HookChain" in llmkit.hooks.__all__
    assert llmkit.hooks.HookChain is chain.HookChain


# ------------------------------------------------------------------ built-ins


async def test_built_in_hooks_take_workflow_and_step_contexts_without_errors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    metrics = MetricsHook()
    hooks = [LoggingHook(), metrics, TracingHook(), RateLimit(rpm=600)]
    chain = HookChain(hooks)
    caplog.set_level(logging.DEBUG)
    run_ctx = context("workflow", "flow")
    await chain.start_workflow(run_ctx, {"topic": "tides"})

    async def ok() -> str:
        return "fine"

    async def fail() -> str:
        raise ConnectionError("reset by peer")

    assert await chain.call_step(context("step", "flow/a"), None, ok) == "fine"
    with pytest.raises(ConnectionError):
        await chain.call_step(context("step", "flow/b", 2), None, fail)
    await chain.end_workflow(run_ctx, Result(usage=Usage(3, 4), trace=[1, 2, 3]))
    await chain.error(run_ctx, ConnectionError("reset by peer"))

    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert metrics.snapshot() == MetricsHook().snapshot()
    logged = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "llmkit"]
    assert [(level, message.split(", ")[0]) for level, message in logged] == [
        ("INFO", "workflow flow started (run w1)"),
        ("INFO", "step flow/a ok"),
        ("WARNING", "step flow/b (attempt 2) failed: ConnectionError: reset by peer"),
        ("INFO", "workflow flow complete: 3 steps"),
        ("WARNING", "workflow flow failed: ConnectionError: reset by peer"),
    ]
    end = next(r for r in caplog.records if getattr(r, "llmkit_event", "") == "workflow.end")
    assert (end.path, end.steps, end.input_tokens, end.output_tokens) == ("flow", 3, 3, 4)
    step = next(r for r in caplog.records if getattr(r, "llmkit_event", "") == "workflow.step.end")
    assert (step.path, step.kind, step.attempt) == ("flow/a", "function", 1)

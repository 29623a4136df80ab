"""Hooks around a workflow: its run, each step attempt, and the agent runs inside steps."""

from __future__ import annotations

from typing import Any

import pytest

from llmkit import Agent
from llmkit.errors import HookError, ServerError, WorkflowError
from llmkit.hooks import Hook, HookContext
from llmkit.testing import ScriptedModel
from llmkit.types import Request
from llmkit.workflow import Retry, WorkflowResult, sequence, step

pytestmark = pytest.mark.anyio


class Log(Hook):
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def before_workflow(self, ctx: HookContext, state: Any) -> None:
        self.calls.append(("before_workflow", ctx.kind, ctx.path, dict(state)))

    def after_workflow(self, ctx: HookContext, result: Any) -> None:
        self.calls.append(("after_workflow", ctx.path, result.output))

    def before_step(self, ctx: HookContext, input: Any) -> None:
        self.calls.append(("before_step", ctx.path, ctx.attempt, ctx.step.attempt))

    def after_step(self, ctx: HookContext, output: Any) -> Any:
        self.calls.append(("after_step", ctx.path, output))
        return None

    def before_model(self, ctx: HookContext, request: Request) -> None:
        self.calls.append(("before_model", ctx.path, ctx.run.agent))

    def on_error(self, ctx: HookContext, error: BaseException) -> None:
        self.calls.append(("on_error", ctx.kind, ctx.path, type(error).__name__))


async def test_hooks_see_the_workflow_each_attempt_and_the_agent_runs_inside() -> None:
    log = Log()
    flaky_calls: list[int] = []

    def flaky(state: Any) -> int:
        flaky_calls.append(1)
        if len(flaky_calls) == 1:
            raise ServerError("busy", status=503)
        return 2

    writer = Agent(ScriptedModel(["hi"]), name="writer")
    flow = sequence(
        step(writer, output="text"),
        step(flaky, output="n", retry=Retry(attempts=2, delay=0)),
        name="doc",
    )
    result = await flow.run({"a": 1}, hooks=[log])
    assert log.calls == [
        ("before_workflow", "workflow", "doc", {"a": 1}),
        ("before_step", "doc", 1, 1),
        ("before_step", "doc/writer", 1, 1),
        ("before_model", "doc/writer", "writer"),
        ("after_step", "doc/writer", "hi"),
        ("before_step", "doc/flaky", 1, 1),
        ("on_error", "step", "doc/flaky", "ServerError"),
        ("before_step", "doc/flaky", 2, 2),
        ("after_step", "doc/flaky", 2),
        ("after_step", "doc", 2),
        ("after_workflow", "doc", 2),
    ]
    assert result.state == {"a": 1, "text": "hi", "n": 2}


async def test_after_step_may_change_the_output_and_after_workflow_the_result() -> None:
    class Change(Hook):
        def after_step(self, ctx: HookContext, output: Any) -> Any:
            return output * 10 if ctx.path == "s/f" else None

        def after_workflow(self, ctx: HookContext, result: WorkflowResult[Any]) -> Any:
            result.output = "changed"
            return result

    result = await sequence(step(lambda s: 2, name="f", output="n"), name="s").run(
        {}, hooks=[Change()]
    )
    assert result.state == {"n": 20} and result.output == "changed"


async def test_a_hook_raising_in_before_step_stops_the_run_unretried() -> None:
    calls: list[int] = []

    class Refuse(Hook):
        def before_step(self, ctx: HookContext, input: Any) -> None:
            if ctx.path == "s/f":
                calls.append(ctx.attempt)
                raise RuntimeError("not now")

    flow = sequence(step(lambda s: 1, name="f", retry=Retry(attempts=3, delay=0)), name="s")
    log = Log()
    with pytest.raises(WorkflowError) as info:
        await flow.run({}, hooks=[Refuse(), log])
    assert isinstance(info.value.__cause__, HookError) and "Refuse" in str(info.value)
    assert calls == [1]
    assert log.calls[-1] == ("on_error", "workflow", "s", "WorkflowError")

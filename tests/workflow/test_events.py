"""Workflow events on the bus: the five topics, their order per step, and the path agents' events carry."""

from __future__ import annotations

from typing import Any

import pytest

from llmkit import Agent
from llmkit.bus import Bus
from llmkit.errors import ServerError, WorkflowError
from llmkit.events import (
    ErrorEvent,
    Event,
    RunStart,
    WorkflowEnd,
    WorkflowStart,
    WorkflowStepEnd,
    WorkflowStepRetry,
    WorkflowStepStart,
)
from llmkit.testing import ScriptedModel
from llmkit.workflow import Retry, sequence, step

pytestmark = pytest.mark.anyio


def listening() -> tuple[Bus, list[Event]]:
    bus = Bus()
    seen: list[Event] = []
    bus.on("*", seen.append, inline=True)
    return bus, seen


async def test_agent_events_on_the_bus_carry_the_step_path_without_a_stream() -> None:
    bus, seen = listening()
    writer = Agent(ScriptedModel(["text"]), name="writer")
    await sequence(step(writer, output="draft"), name="doc").run({}, bus=bus)
    runs = [e for e in seen if isinstance(e, RunStart)]
    assert [e.path for e in runs] == ["doc/writer"]
    agent_events = [e for e in seen if not e.topic.startswith("workflow.")]
    assert agent_events and {e.path for e in agent_events} == {"doc/writer"}


async def test_the_order_of_events_of_a_run_with_a_retry() -> None:
    bus, seen = listening()
    calls: list[int] = []

    def flaky(state: Any) -> int:
        calls.append(1)
        if len(calls) == 1:
            raise ServerError("busy", status=503)
        return 7

    flow = sequence(step(flaky, output="n", retry=Retry(attempts=2, delay=0)), name="s")
    await flow.run({"a": 1}, bus=bus)
    shown = [(e.topic, e.path) for e in seen]
    assert shown == [
        ("workflow.start", "s"),
        ("workflow.step.start", "s"),
        ("workflow.step.start", "s/flaky"),
        ("workflow.step.retry", "s/flaky"),
        ("workflow.step.start", "s/flaky"),
        ("workflow.step.end", "s/flaky"),
        ("workflow.step.end", "s"),
        ("workflow.end", "s"),
    ]
    start, retry = seen[0], seen[3]
    assert isinstance(start, WorkflowStart) and start.state == {"a": 1} and start.workflow == "s"
    assert isinstance(retry, WorkflowStepRetry)
    assert (retry.attempt, retry.error_type, retry.delay) == (1, "ServerError", 0.0)
    second = seen[4]
    assert isinstance(second, WorkflowStepStart) and second.attempt == 2
    end_step = seen[5]
    assert isinstance(end_step, WorkflowStepEnd)
    assert (end_step.status, end_step.attempts, end_step.output, end_step.kind) == (
        "ok",
        2,
        7,
        "function",
    )
    end = seen[-1]
    assert isinstance(end, WorkflowEnd) and end.status == "complete"
    assert end.result.state == {"a": 1, "n": 7}
    assert len({e.run_id for e in seen if hasattr(e, "run_id")}) == 1


async def test_a_failed_run_ends_with_an_error_and_a_failed_end() -> None:
    bus, seen = listening()

    def boom(state: Any) -> None:
        raise KeyError("k")

    with pytest.raises(WorkflowError):
        await sequence(step(boom), name="s").run({}, bus=bus)
    error, end = seen[-2], seen[-1]
    assert isinstance(error, ErrorEvent) and error.path == "s/boom"
    assert error.error_type == "WorkflowError"
    assert isinstance(end, WorkflowEnd) and end.status == "failed" and end.path == "s"
    step_end = [e for e in seen if isinstance(e, WorkflowStepEnd) and e.path == "s/boom"]
    assert step_end[0].status == "failed" and step_end[0].error_type == "KeyError"


async def test_no_listener_no_event_and_the_default_bus_is_used() -> None:
    from llmkit.bus import use_bus

    bus, seen = listening()
    with use_bus(bus):
        await sequence(step(lambda s: 1, name="f"), name="s").run({})
    assert seen[0].topic == "workflow.start"

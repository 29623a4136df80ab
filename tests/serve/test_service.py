"""The run service: targets by name, runs per tenant, live events, approvals, cancel, limits, sessions."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from llmkit import Agent, tool
from llmkit.durable import SQLiteStore
from llmkit.errors import UsageError
from llmkit.serve import (
    RunService,
    RunStateError,
    TooManyRunsError,
    UnknownRunError,
    UnknownSessionError,
    UnknownTargetError,
    tenant_for,
)
from llmkit.serve._eventlog import EventLog
from llmkit.testing import ScriptedModel, tool_call
from llmkit.workflow import sequence, step

pytestmark = pytest.mark.anyio


@tool(requires_approval=True)
def refund(order: int) -> str:
    """Refund an order."""
    return f"refunded {order}"


@tool(errors="raise")
def broken(order: int) -> str:
    """A tool that crashes."""
    raise RuntimeError(f"database down at /srv/secret/{order}")


@tool
def flaky(order: int) -> str:
    """A tool that crashes; the model reads the error."""
    raise RuntimeError("flaky")


def agent(*script: object, name: str = "support", tools: list[object] | None = None) -> Agent:
    return Agent(ScriptedModel(list(script)), name=name, tools=tools or [])


async def collect(service: RunService, tenant: str, run_id: str, after: int = 0) -> list:
    return [item async for item in service.events(tenant, run_id, after=after)]


def test_targets_are_served_by_unique_names() -> None:
    flow = sequence(step(lambda s: 1, name="one"), name="report")
    service = RunService(agent("hi"), flow)
    assert service.names == ["support", "report"]
    with pytest.raises(UsageError, match="Two served targets are named 'support'"):
        RunService(agent("a"), agent("b"))
    with pytest.raises(UnknownTargetError, match="served names are: 'support', 'report'"):
        service.target("nobody")
    with pytest.raises(UsageError, match="not int"):
        RunService(3)  # type: ignore[arg-type]  # a wrong value on purpose


async def test_a_run_has_its_output_usage_and_numbered_events() -> None:
    service = RunService(agent("Order 42 shipped."))
    run = await service.start("t1", "support", "Where is order 42?", wait=True)
    assert run.status == "complete"
    data = run.to_dict()
    assert data["output"] == "Order 42 shipped."
    assert data["usage"]["requests"] == 1
    assert len(data["trace"]) == 1
    events = await collect(service, "t1", run.id)
    assert [event_id for event_id, _ in events] == list(range(1, len(events) + 1))
    assert events[0][1]["topic"] == "run.start"
    assert events[-1][1]["topic"] == "run.end"
    assert events[-1][1]["result"]["output"] == "Order 42 shipped."
    resumed = await collect(service, "t1", run.id, after=2)
    assert resumed == events[2:]


async def test_another_tenant_s_run_is_not_found() -> None:
    service = RunService(agent("secret answer"))
    run = await service.start(tenant_for("token-a"), "support", "hi", wait=True)
    with pytest.raises(UnknownRunError, match="No run"):
        service.get(tenant_for("token-b"), run.id)
    with pytest.raises(UnknownRunError):
        await service.cancel(tenant_for("token-b"), run.id)
    assert service.get(tenant_for("token-a"), run.id).result.output == "secret answer"
    assert tenant_for("token-a") != "token-a" and "token-a" not in tenant_for("token-a")


async def test_a_reader_follows_a_run_live_until_its_end() -> None:
    gate = asyncio.Event()

    @tool
    async def wait_for_gate() -> str:
        """Waits."""
        await gate.wait()
        return "open"

    service = RunService(agent(tool_call("wait_for_gate"), "done", tools=[wait_for_gate]))
    run = await service.start("t", "support", "go")
    reader = asyncio.create_task(collect(service, "t", run.id))
    for _ in range(100):
        await asyncio.sleep(0)
    assert not reader.done()
    assert run.status == "running"
    gate.set()
    events = await reader
    assert run.status == "complete"
    assert [e["topic"] for _, e in events if e["topic"].startswith("tool.")] == [
        "tool.call",
        "tool.result",
    ]


async def test_approvals_resume_the_run_and_its_events_go_on() -> None:
    service = RunService(agent(tool_call("refund", order=42), "Refunded.", tools=[refund]))
    run = await service.start("t", "support", "Refund 42", wait=True)
    assert run.status == "paused"
    pending = run.to_dict()["pending"]
    assert [call["name"] for call in pending] == ["refund"]
    last = run.events.last_id
    with pytest.raises(UsageError, match="No pending call has the id 'nope'"):
        await service.approve("t", run.id, {"nope": True})
    with pytest.raises(UsageError, match="true, false or an object"):
        await service.approve("t", run.id, {pending[0]["id"]: "yes"})
    assert run.status == "paused"
    await service.approve("t", run.id, {pending[0]["id"]: True}, wait=True)
    assert run.status == "complete"
    assert run.result.output == "Refunded."
    later = await collect(service, "t", run.id, after=last)
    assert later[0][0] == last + 1
    topics = [e["topic"] for _, e in later]
    assert "tool.result" in topics and topics[-1] == "run.end"
    with pytest.raises(RunStateError, match="not paused"):
        await service.approve("t", run.id, {pending[0]["id"]: True})


async def test_approvals_resume_from_the_store_when_one_is_configured(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "runs.db")
    service = RunService(agent(tool_call("refund", order=7), "Done.", tools=[refund]), store=store)
    run = await service.start("t", "support", "Refund 7", wait=True)
    assert (await store.get_run(run.id)).status == "paused"
    call_id = run.result.pending[0].id
    await service.approve("t", run.id, {call_id: False}, wait=True)
    assert run.status == "complete"
    assert (await store.get_run(run.id)).status == "finished"
    await store.close()


async def test_cancel_stops_a_running_run_and_keeps_its_events() -> None:
    @tool
    async def forever() -> str:
        """Never returns."""
        await asyncio.Event().wait()
        return ""

    service = RunService(
        agent(tool_call("forever"), "never", tools=[forever]), clock=lambda: 1_800_000_000.5
    )
    run = await service.start("t", "support", "go")
    while run.events.last_id < 4:
        await asyncio.sleep(0)
    await service.cancel("t", run.id)
    assert run.status == "cancelled"
    events = await collect(service, "t", run.id)
    assert events[-1][1] == {
        "topic": "error",
        "error_type": "Cancelled",
        "message": "The run was cancelled.",
        "run_id": run.id,
        "time": 1_800_000_000.5,
    }
    assert service.active == 0
    with pytest.raises(RunStateError, match="already cancelled"):
        await service.cancel("t", run.id)


async def test_a_disconnect_cancels_or_leaves_the_run_by_policy() -> None:
    gate = asyncio.Event()

    @tool
    async def slow() -> str:
        """Waits."""
        await gate.wait()
        return "ok"

    for policy, status in (("cancel", "cancelled"), ("continue", "complete")):
        gate.clear()
        service = RunService(agent(tool_call("slow"), "fine", tools=[slow]), on_disconnect=policy)
        run = await service.start("t", "support", "go")
        await asyncio.sleep(0)
        service.disconnected("t", run.id)
        gate.set()
        await run.settled()
        assert run.status == status
        assert service.get("t", run.id) is run


async def test_a_crashing_tool_fails_the_run_with_no_traceback() -> None:
    service = RunService(agent(tool_call("broken", order=1), tools=[broken]))
    run = await service.start("t", "support", "go", wait=True)
    assert run.status == "failed"
    assert run.error is not None and run.error["type"] == "ToolExecutionError"
    events = await collect(service, "t", run.id)
    assert events[-1][1]["topic"] == "error"
    assert "Traceback" not in str(events) and "Traceback" not in str(run.to_dict())


async def test_a_tool_error_the_model_reads_has_no_traceback_in_events() -> None:
    service = RunService(agent(tool_call("flaky", order=1), "sorry", tools=[flaky]))
    run = await service.start("t", "support", "go", wait=True)
    assert run.status == "complete"
    result = next(e for _, e in await collect(service, "t", run.id) if e["topic"] == "tool.result")
    assert result["error"] == {"type": "RuntimeError", "message": "flaky"}


async def test_too_many_runs_are_refused_or_queued_by_configuration() -> None:
    gate = asyncio.Event()

    @tool
    async def hold() -> str:
        """Waits."""
        await gate.wait()
        return "ok"

    script = [tool_call("hold"), "one", tool_call("hold"), "two"]
    refusing = RunService(agent(*script, tools=[hold]), max_runs=1)
    first = await refusing.start("t", "support", "a")
    with pytest.raises(TooManyRunsError, match="1 runs are going"):
        await refusing.start("t", "support", "b")
    gate.set()
    await first.settled()

    gate.clear()
    queueing = RunService(agent(*script, tools=[hold]), max_runs=1, when_full="queue")
    first = await queueing.start("t", "support", "a")
    second = await queueing.start("t", "support", "b")
    await asyncio.sleep(0)
    assert (first.status, second.status) == ("running", "queued")
    gate.set()
    await second.settled()
    assert (first.status, second.status) == ("complete", "complete")


async def test_sessions_are_kept_per_tenant() -> None:
    service = RunService(agent("Hi Ada.", "Your name is Ada."))
    await service.start("t", "support", "My name is Ada.", session="s1", wait=True)
    run = await service.start("t", "support", "My name?", session="s1", wait=True)
    assert run.result.history_length == 2
    assert [m.text for m in await service.session_messages("t", "s1")][-1] == "Your name is Ada."
    with pytest.raises(UnknownSessionError):
        await service.session_messages("other", "s1")
    with pytest.raises(UnknownSessionError):
        await service.delete_session("other", "s1")
    await service.delete_session("t", "s1")
    with pytest.raises(UnknownSessionError):
        await service.session_messages("t", "s1")
    with pytest.raises(UsageError, match="session id"):
        await service.start("t", "support", "x", session="")


async def test_a_workflow_is_served_too() -> None:
    flow = sequence(step(lambda s: s["n"] * 2, name="double", output="n"), name="doubler")
    service = RunService(flow)
    run = await service.start("t", "doubler", {"n": 21}, wait=True)
    assert run.status == "complete"
    assert run.to_dict()["output"] == 42
    events = await collect(service, "t", run.id)
    assert events[-1][1]["topic"] == "workflow.end"
    with pytest.raises(UsageError, match="sessions are for agents"):
        await service.start("t", "doubler", {}, session="s")


async def test_finished_runs_past_keep_runs_are_forgotten_oldest_first() -> None:
    service = RunService(agent("a", "b", "c"), keep_runs=2)
    runs = [await service.start("t", "support", "x", wait=True) for _ in range(3)]
    with pytest.raises(UnknownRunError):
        service.get("t", runs[0].id)
    assert service.get("t", runs[2].id) is runs[2]


async def test_the_event_buffer_is_bounded_and_a_late_reader_gets_the_newest() -> None:
    log = EventLog(limit=3)
    for n in range(5):
        log.append({"n": n})
    log.close()
    assert [event_id async for event_id, _ in log.follow(after=0)] == [3, 4, 5]
    assert [event_id async for event_id, _ in log.follow(after=4)] == [5]
    assert [event_id async for event_id, _ in log.follow(after=5)] == []
    with pytest.raises(UsageError):
        log.append({})


def test_options_are_checked() -> None:
    with pytest.raises(UsageError, match="max_runs"):
        RunService(agent("x"), max_runs=0)
    with pytest.raises(UsageError, match="when_full"):
        RunService(agent("x"), when_full="drop")  # type: ignore[arg-type]  # a wrong value on purpose
    with pytest.raises(UsageError, match="on_disconnect"):
        RunService(agent("x"), on_disconnect="ignore")  # type: ignore[arg-type]  # a wrong value on purpose

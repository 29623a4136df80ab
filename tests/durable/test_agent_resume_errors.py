"""Stored agent runs that no longer fit: a newer state, a tool or a handoff gone.

Each is refused with a clear error before anything runs, and the stored run
is left as it was (status, error, checkpoints), so the right agent, or the
right llmkit, can still resume it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from llmkit import Agent, tool
from llmkit.durable import SQLiteStore
from llmkit.errors import SerializationError, UsageError
from llmkit.testing import ScriptedModel, tool_call

pytestmark = pytest.mark.anyio


@tool
def book(city: str) -> str:
    """Book a trip (not safe to repeat)."""
    return f"booked {city}"


@tool
def crash(city: str) -> str:
    """A tool whose process dies (a kill stops the run mid-call)."""
    raise KeyboardInterrupt


@pytest.fixture
async def store(tmp_path: Path) -> Any:
    made = SQLiteStore(tmp_path / "runs.db")
    yield made
    await made.close()


async def snapshot(store: SQLiteStore, run_id: str) -> tuple[str, str | None, dict[str, Any]]:
    info = await store.get_run(run_id)
    assert info is not None
    return info.status, info.error, await store.load_checkpoints(run_id)


async def test_a_state_from_a_newer_llmkit_is_refused_and_left_untouched(
    store: SQLiteStore,
) -> None:
    claim = await store.start_run("r", kind="agent", name="travel")
    newer = {"version": 2, "agent": "travel", "messages": [], "shape": "unknown to this llmkit"}
    await store.checkpoint(claim, {"agent": newer}, steps=3)
    await store.finish_run(claim, status="failed", error="Died: the process is gone")
    before = await snapshot(store, "r")
    agent = Agent(ScriptedModel(["unreached"]), name="travel", tools=[book])
    with pytest.raises(
        SerializationError, match=r"newer llmkit \(state version 2; this one reads up to 1\)"
    ):
        await agent.resume("r", store=store)
    assert await snapshot(store, "r") == before
    info = await store.get_run("r")
    assert info is not None and info.holder is None and info.steps == 3


async def test_a_call_still_to_run_whose_tool_is_gone_is_refused_and_the_run_kept(
    store: SQLiteStore,
) -> None:
    model = ScriptedModel([tool_call("crash", city="Rome"), "Booked Rome."])
    with pytest.raises(KeyboardInterrupt):
        await Agent(model, name="travel", tools=[crash]).run("Book", store=store, run_id="r")
    before = await snapshot(store, "r")
    assert before[0] == "failed" and "started:call_1" in before[2]
    without = Agent(model, name="travel", tools=[book])
    with pytest.raises(
        UsageError, match="Agent 'travel' has no tool 'crash' to resume the run with"
    ):
        await without.resume("r", store=store)
    assert await snapshot(store, "r") == before
    assert len(model.requests) == 1

    # With the tool back (and the call decided, since it may have run) the run goes on.
    @tool(name="crash")
    def fixed(city: str) -> str:
        """The same tool, mended."""
        return f"booked {city}"

    again = Agent(model, name="travel", tools=[fixed])
    paused = await again.resume("r", store=store)
    assert paused.interrupted == ["call_1"]
    done = await again.resume("r", approvals={"call_1": True}, store=store)
    assert done.output == "Booked Rome." and len(model.requests) == 2


async def test_a_tool_gone_whose_calls_were_answered_is_not_needed(store: SQLiteStore) -> None:
    model = ScriptedModel(
        [tool_call("book", city="Rome"), tool_call("crash", city="Oslo"), "Done."]
    )
    with pytest.raises(KeyboardInterrupt):
        await Agent(model, name="travel", tools=[book, crash]).run("Go", store=store, run_id="r")

    @tool(name="crash")
    def safe(city: str) -> str:
        """The same call, now safe."""
        return f"booked {city}"

    # book's call was answered in a closed step: the agent resuming may lack it.
    resumed = Agent(model, name="travel", tools=[safe])
    paused = await resumed.resume("r", store=store)
    done = await resumed.resume("r", approvals={paused.interrupted[0]: True}, store=store)
    assert done.output == "Done."


async def test_a_run_with_an_agent_no_longer_reachable_is_refused_and_kept(
    store: SQLiteStore,
) -> None:
    model = ScriptedModel([tool_call("transfer_to_billing"), tool_call("crash", city="x"), "."])
    billing = Agent(model, name="billing", tools=[crash])
    triage = Agent(model, name="triage", handoffs=[billing])
    with pytest.raises(KeyboardInterrupt):
        await triage.run("refund me", store=store, run_id="r")
    before = await snapshot(store, "r")
    alone = Agent(model, name="triage")
    with pytest.raises(UsageError, match="Unknown handoff target 'billing'"):
        await alone.resume("r", store=store)
    assert await snapshot(store, "r") == before


async def test_a_handoff_in_progress_to_an_agent_gone_is_refused_and_kept(
    store: SQLiteStore,
) -> None:
    # The reply hands over and calls a tool; the process dies in the tool, before the handoff.
    model = ScriptedModel(
        [[tool_call("transfer_to_billing"), tool_call("crash", city="x")], "Refunded."]
    )
    billing = Agent(model, name="billing")
    triage = Agent(model, name="triage", tools=[crash], handoffs=[billing])
    with pytest.raises(KeyboardInterrupt):
        await triage.run("refund me", store=store, run_id="r")
    before = await snapshot(store, "r")
    assert before[2]["agent"]["handoff"] == "billing"
    alone = Agent(model, name="triage", tools=[book, crash])
    with pytest.raises(UsageError, match="to 'billing', a handoff that agent no longer has"):
        await alone.resume("r", store=store)
    assert await snapshot(store, "r") == before
    assert len(model.requests) == 1

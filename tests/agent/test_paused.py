"""The state a paused run keeps: a versioned JSON form that resumes, today's and the earlier one."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmkit import Agent, RunResult, tool
from llmkit._agent.paused import DoneCall, PausedState
from llmkit.errors import SerializationError
from llmkit.testing import ScriptedModel, tool_call
from llmkit.types import Response, ToolResult, Usage

pytestmark = pytest.mark.anyio


@tool(requires_approval=True)
def send_email(to: str) -> str:
    """Send an email."""
    return f"sent to {to}"


@tool
def lookup(name: str) -> str:
    """Find an address."""
    return f"{name}@example.com"


def mailer() -> Agent:
    script = [
        [tool_call("lookup", name="bob"), tool_call("send_email", to="bob@example.com")],
        "Email handled.",
    ]
    return Agent(ScriptedModel(script), tools=[lookup, send_email])


async def paused_run() -> tuple[Agent, RunResult[Any]]:
    agent = mailer()
    paused = await agent.run("email bob")
    assert paused.paused and paused.state is not None
    return agent, paused


def with_state(paused: RunResult[Any], state: Any) -> RunResult[Any]:
    """``paused`` as another process would read it, with ``state`` in place of its own."""
    data = json.loads(json.dumps(paused.to_dict()))
    data["state"] = state
    return RunResult.from_dict(data)


def approve_all(result: RunResult[Any]) -> dict[str, bool]:
    return {call.id: True for call in result.pending}


def test_the_state_round_trips_through_its_json_form() -> None:
    state = PausedState(
        step=3,
        agent="triage",
        retries={"lookup": 1},
        output_retries=1,
        results=(
            DoneCall(result=ToolResult("c1", "found", name="lookup"), kind="tool", bad=False),
            DoneCall(
                result=ToolResult("c2", "no such tool", is_error=True, name="x"),
                kind="error",
                bad=True,
            ),
        ),
        handoff="billing",
        response=Response.from_dict({"message": {"role": "assistant", "parts": []}}),
        tool_usage=Usage(input_tokens=5, output_tokens=2),
    )
    data = json.loads(json.dumps(state.to_dict()))
    assert data["version"] == PausedState.VERSION == 1
    assert PausedState.from_dict(data, steps=0) == state


async def test_a_paused_run_writes_version_1_holding_the_calls_done_before_the_pause() -> None:
    _, paused = await paused_run()
    assert paused.state is not None and paused.state["version"] == 1
    state = PausedState.from_dict(paused.state, steps=len(paused.steps))
    assert (state.step, state.agent, state.handoff) == (1, "agent", None)
    assert [(d.result.name, d.kind, d.bad) for d in state.results] == [("lookup", "tool", False)]
    assert state.to_dict() == paused.state


async def test_the_earlier_form_without_a_version_still_resumes() -> None:
    agent, paused = await paused_run()
    assert paused.state is not None
    earlier = {key: paused.state[key] for key in ("agent", "response", "results")}
    done = await agent.resume(with_state(paused, earlier), approvals=approve_all(paused))
    assert done.output == "Email handled."
    assert done.messages[2].tool_results[0].text == "bob@example.com"  # computed before the pause
    restored = PausedState.from_dict(earlier, steps=4)
    assert (restored.step, restored.retries, restored.output_retries) == (5, {}, 0)
    assert (restored.handoff, restored.tool_usage) == (None, Usage())


async def test_a_state_from_a_newer_llmkit_is_refused() -> None:
    agent, paused = await paused_run()
    assert paused.state is not None
    newer = with_state(paused, {**paused.state, "version": 2})
    with pytest.raises(SerializationError, match="version 2; this llmkit reads versions up to 1"):
        await agent.resume(newer, approvals=approve_all(paused))


async def test_a_state_without_its_response_is_incomplete() -> None:
    agent, paused = await paused_run()
    assert paused.state is not None
    state = {key: value for key, value in paused.state.items() if key != "response"}
    with pytest.raises(SerializationError, match="The paused run's state is incomplete: KeyError"):
        await agent.resume(with_state(paused, state), approvals=approve_all(paused))


async def test_a_call_of_unknown_kind_is_refused() -> None:
    agent, paused = await paused_run()
    assert paused.state is not None
    results = [{**item, "kind": "magic"} for item in paused.state["results"]]
    odd = with_state(paused, {**paused.state, "results": results})
    with pytest.raises(SerializationError, match="unknown kind 'magic'"):
        await agent.resume(odd, approvals=approve_all(paused))

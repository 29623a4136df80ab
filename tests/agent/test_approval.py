"""Human approval: a run pauses before tool calls that need it and resumes where it stopped."""

from __future__ import annotations

import json

import pytest

from llmkit import Agent, RunResult, tool
from llmkit.errors import UsageError
from llmkit.events import ApprovalRequired, RunEnd
from llmkit.testing import ScriptedModel, tool_call
from llmkit.types import dump, load

pytestmark = pytest.mark.anyio

SENT: list[str] = []


@tool(requires_approval=True)
def send_email(to: str, body: str) -> str:
    """Send an email."""
    SENT.append(to)
    return f"sent to {to}"


@tool
def lookup(name: str) -> str:
    """Find an address."""
    return f"{name}@example.com"


def script() -> ScriptedModel:
    return ScriptedModel(
        [
            [
                tool_call("lookup", name="bob"),
                tool_call("send_email", to="bob@example.com", body="hi"),
            ],
            "Email handled.",
        ]
    )


@pytest.fixture(autouse=True)
def _clear() -> None:
    SENT.clear()


async def test_pause_then_approve() -> None:
    model = script()
    agent = Agent(model, tools=[lookup, send_email])
    paused = await agent.run("email bob")
    assert paused.status == "paused" and paused.paused and paused.output is None
    (pending,) = paused.pending
    assert pending.name == "send_email" and SENT == []
    assert len(model.requests) == 1
    done = await agent.resume(paused, approvals={pending.id: True})
    assert done.status == "complete" and done.output == "Email handled."
    assert SENT == ["bob@example.com"]
    results = {r.name: r.text for r in done.messages[2].tool_results}
    assert results == {"lookup": "bob@example.com", "send_email": "sent to bob@example.com"}
    assert [m.role for m in done.messages] == ["user", "assistant", "tool", "assistant"]
    assert len(done.steps) == 2 and done.usage.requests == 2
    assert paused.status == "paused" and len(paused.messages) == 2  # the paused result is unchanged


async def test_denied_call_gets_a_result_saying_so() -> None:
    agent = Agent(script(), tools=[lookup, send_email])
    paused = await agent.run("email bob")
    done = await agent.resume(paused, approvals={paused.pending[0].id: False})
    denied = done.messages[2].tool_results[1]
    assert denied.is_error and "denied" in denied.text
    assert SENT == [] and done.output == "Email handled."


async def test_edited_arguments_run_and_show_in_the_history() -> None:
    agent = Agent(script(), tools=[lookup, send_email])
    paused = await agent.run("email bob")
    call_id = paused.pending[0].id
    done = await agent.resume(
        paused, approvals={call_id: {"to": "alice@example.com", "body": "hi"}}
    )
    assert SENT == ["alice@example.com"]
    assert done.messages[1].tool_calls[1].arguments["to"] == "alice@example.com"
    with pytest.raises(UsageError, match="do not fit the tool"):
        await agent.resume(paused, approvals={call_id: {"to": 3}})


async def test_resume_in_another_process_after_json() -> None:
    agent = Agent(script(), tools=[lookup, send_email])
    paused = await agent.run("email bob")
    text = json.dumps(dump(paused))
    restored = load(json.loads(text))
    assert isinstance(restored, RunResult) and restored.paused
    fresh_agent = Agent(ScriptedModel(["Email handled."]), tools=[lookup, send_email])
    done = await fresh_agent.resume(restored, approvals={restored.pending[0].id: True})
    assert done.output == "Email handled." and SENT == ["bob@example.com"]
    assert done.messages[2].tool_results[0].text == "bob@example.com"  # computed before the pause


async def test_bad_approvals() -> None:
    agent = Agent(script(), tools=[lookup, send_email])
    paused = await agent.run("email bob")
    call_id = paused.pending[0].id
    with pytest.raises(UsageError, match=f"no decision for {call_id}"):
        await agent.resume(paused, approvals={})
    with pytest.raises(UsageError, match="nope is not pending"):
        await agent.resume(paused, approvals={call_id: True, "nope": True})
    with pytest.raises(UsageError, match="must be True, False or a dict"):
        await agent.resume(paused, approvals={call_id: "yes"})  # type: ignore[dict-item]
    done = await agent.resume(paused, approvals={call_id: True})
    with pytest.raises(UsageError, match="Only a paused run can be resumed"):
        await agent.resume(done, approvals={})
    other = Agent(ScriptedModel([]), name="other", tools=[send_email])
    with pytest.raises(UsageError, match="Unknown handoff target 'agent'"):
        await other.resume(paused, approvals={call_id: True})


async def test_stream_announces_the_pause() -> None:
    agent = Agent(script(), tools=[lookup, send_email])
    events = [e async for e in agent.stream("email bob")]
    approval = next(e for e in events if isinstance(e, ApprovalRequired))
    assert [c.name for c in approval.calls] == ["send_email"]
    assert isinstance(events[-1], RunEnd) and events[-1].result.paused


def test_resume_sync() -> None:
    agent = Agent(script(), tools=[lookup, send_email])
    paused = agent.run_sync("email bob")
    done = agent.resume_sync(paused, approvals={paused.pending[0].id: True})
    assert done.output == "Email handled."

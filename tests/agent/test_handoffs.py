"""Handoffs, agents as tools, and tools as agents."""

from __future__ import annotations

from contextlib import ExitStack

import pytest
from pydantic import BaseModel

from llmkit import Agent, Message, RunContext, handoff, tool
from llmkit.agent import AgentHandoff
from llmkit.errors import ToolExecutionError, UsageError
from llmkit.events import Handoff
from llmkit.testing import ScriptedModel, tool_call
from llmkit.types import Usage

pytestmark = pytest.mark.anyio


class Ticket(BaseModel):
    topic: str
    urgent: bool


@tool
def refund(order: str) -> str:
    """Refund an order."""
    return f"refunded {order}"


async def test_the_model_transfers_and_the_target_takes_over() -> None:
    billing_model = ScriptedModel(
        [tool_call("refund", order="A1"), '{"topic": "refund", "urgent": false}']
    )
    billing = Agent(
        billing_model,
        name="billing",
        description="Refunds and invoices.",
        instructions="You are billing.",
        tools=[refund],
        output_type=Ticket,
    )
    tech = Agent(ScriptedModel([]), name="tech")
    triage_model = ScriptedModel([tool_call("transfer_to_billing")])
    triage = Agent(triage_model, name="triage", instructions="Route.", handoffs=[billing, tech])

    result = await triage.run("I want my money back for A1")
    assert result.output == Ticket(topic="refund", urgent=False)
    assert result.agent == "billing"
    assert [s.agent for s in result.steps] == ["triage", "billing", "billing"]
    specs = {t.name: t for t in triage_model.requests[0].tools}
    assert set(specs) == {"transfer_to_billing", "transfer_to_tech"}
    assert "Refunds and invoices." in specs["transfer_to_billing"].description
    # The target sees the history with its own instructions, tools and output type.
    sent = billing_model.requests[0]
    assert sent.messages[0].text == "You are billing."
    assert [m.role for m in sent.messages[1:]] == ["user", "assistant", "tool"]
    assert sent.messages[-1].tool_results[0].text == "Transferred to billing."
    assert [t.name for t in sent.tools] == ["refund"]
    assert sent.output_schema is not None
    assert result.usage.requests == 3


async def test_handoff_event_and_history_filter() -> None:
    target_model = ScriptedModel(["Hello from support."])
    support = Agent(target_model, name="support")

    def last_user_only(messages: list[Message]) -> list[Message]:
        return [m for m in messages if m.role == "user"][-1:]

    triage = Agent(
        ScriptedModel([tool_call("to_support")]),
        name="triage",
        handoffs=[handoff(support, tool_name="to_support", input_filter=last_user_only)],
    )
    events = [e async for e in triage.stream("help me")]
    (event,) = [e for e in events if isinstance(e, Handoff)]
    assert (event.source, event.target) == ("triage", "support")
    assert [m.text for m in target_model.requests[0].messages] == ["help me"]
    assert events[-1].result.output == "Hello from support."  # type: ignore[union-attr]


def test_handoff_misconfiguration() -> None:
    a = Agent(ScriptedModel([]), name="a")
    with pytest.raises(UsageError, match="Unknown handoff target 'billing'"):
        Agent(ScriptedModel([]), handoffs=["billing"])  # type: ignore[list-item]
    with pytest.raises(UsageError, match="Two handoffs use the tool name 'transfer_to_a'"):
        Agent(ScriptedModel([]), handoffs=[a, Agent(ScriptedModel([]), name="a")])

    @tool(name="transfer_to_a")
    def clash() -> None: ...

    with pytest.raises(UsageError, match="taken by a handoff"):
        Agent(ScriptedModel([]), tools=[clash], handoffs=[a])


def test_reachable_agents_walks_the_handoffs_breadth_first_listing_each_agent_once() -> None:
    refunds = Agent(ScriptedModel([]), name="refunds")
    billing = Agent(ScriptedModel([]), name="billing", handoffs=[refunds])
    tech = Agent(ScriptedModel([]), name="tech", handoffs=[billing])
    triage = Agent(ScriptedModel([]), name="triage", handoffs=[billing, handoff(tech)])
    reached = triage.reachable_agents()
    assert [agent.name for agent in reached] == ["triage", "billing", "tech", "refunds"]
    assert reached[1] is billing and reached[3] is refunds
    assert refunds.reachable_agents() == [refunds]
    assert tech.reachable_agents() == [tech, billing, refunds]


async def test_reachable_agents_ends_at_a_handoff_cycle_and_a_run_can_go_round_it() -> None:
    first = Agent(ScriptedModel([]), name="first")
    second = Agent(ScriptedModel([]), name="second", handoffs=[first])
    # Handoffs are fixed when an agent is built, so the cycle is closed by hand.
    back = AgentHandoff(second)
    first._handoffs[back.tool_name] = back
    assert first.reachable_agents() == [first, second]
    assert second.reachable_agents() == [second, first]
    scripts = {
        "first": [tool_call("transfer_to_second"), "first again"],
        "second": [tool_call("transfer_to_first")],
    }
    with ExitStack() as stack:
        for agent in first.reachable_agents():
            stack.enter_context(agent.override(model=ScriptedModel(scripts[agent.name])))
        result = await first.run("go round")
    assert (result.agent, result.output) == ("first", "first again")
    assert [h.agent for h in first.handoffs] == [second]  # the walk changed nothing


async def test_a_target_changed_after_a_run_answers_the_next_handoff_as_it_is_now() -> None:
    billing_model = ScriptedModel(["first", "second"])
    billing = Agent(billing_model, name="billing", instructions="Old rules.")
    triage_model = ScriptedModel(
        [tool_call("transfer_to_billing"), tool_call("transfer_to_billing")]
    )
    triage = Agent(triage_model, name="triage", handoffs=[billing])
    assert (await triage.run("help")).output == "first"
    billing.instructions = "New rules."
    assert (await triage.run("help again")).output == "second"
    assert [r.messages[0].text for r in billing_model.requests] == ["Old rules.", "New rules."]


async def test_agent_as_tool_rolls_usage_up_and_passes_deps() -> None:
    @tool
    def secret(ctx: RunContext[str]) -> str:
        """The secret."""
        return ctx.deps

    researcher_model = ScriptedModel([tool_call("secret"), "Research: the secret is s3."])
    researcher = Agent(researcher_model, name="researcher", tools=[secret])
    research = researcher.as_tool(description="Research a topic")
    assert research.spec.description == "Research a topic"
    assert list(research.spec.parameters["properties"]) == ["input"]

    writer_model = ScriptedModel([tool_call("researcher", input="find the secret"), "Done."])
    writer = Agent(writer_model, name="writer", tools=[research])
    result = await writer.run("write", deps="s3")
    assert result.output == "Done."
    assert result.messages[2].tool_results[0].text == "Research: the secret is s3."
    assert researcher_model.requests[0].messages[0].text == "find the secret"
    assert result.usage.requests == 4  # 2 of the writer + 2 of the researcher
    assert result.steps[0].usage.requests == 3


async def test_a_failing_sub_agent_still_counts_its_usage() -> None:
    sub = Agent(ScriptedModel(lambda r: tool_call("nothing")), name="sub", max_steps=1)
    model = ScriptedModel([tool_call("sub", input="go"), "sub failed"])
    result = await Agent(model, tools=[sub.as_tool()]).run("x")
    assert result.messages[2].tool_results[0].is_error
    assert "MaxStepsExceeded" in result.messages[2].tool_results[0].text
    assert result.usage.requests == 3


async def test_tool_as_agent_validates_input_and_returns_the_value() -> None:
    @tool
    def convert(amount: float, currency: str = "EUR") -> dict[str, object]:
        """Convert to a currency."""
        return {"amount": amount * 2, "currency": currency}

    agent = Agent.from_tool(convert)
    assert agent.name == "convert" and agent.model is None
    result = await agent.run('{"amount": "2.5"}')
    assert result.output == {"amount": 5.0, "currency": "EUR"}
    assert result.messages[-1].text == '{"amount":5.0,"currency":"EUR"}'
    assert result.usage == Usage()
    with pytest.raises(UsageError, match="does not fit the tool 'convert'"):
        await agent.run('{"amount": "lots"}')
    with pytest.raises(UsageError, match="pass a dict or a JSON object"):
        await agent.run("just text")

    @tool
    def shout(text: str) -> str:
        """Shout."""
        return text.upper()

    loud = Agent.from_tool(shout)
    assert loud.run_sync("hey").output == "HEY"
    events = [type(e).__name__ for e in loud.stream_sync("hey")]
    assert events == ["RunStart", "ToolCallEvent", "ToolResultEvent", "RunEnd"]

    @tool
    def fail(x: int) -> int:
        """Fails."""
        raise ValueError("bad")

    with pytest.raises(ToolExecutionError) as info:
        await Agent.from_tool(fail).run({"x": 1})
    assert info.value.messages[0].text == '{"x": 1}'


async def test_tool_agent_used_as_a_tool_of_another_agent() -> None:
    @tool
    def echo(text: str) -> str:
        """Echo."""
        return text

    echo_agent = Agent.from_tool(echo)
    as_tool = echo_agent.as_tool()
    model = ScriptedModel([tool_call("echo", input="ping"), "got it"])
    result = await Agent(model, tools=[as_tool]).run("x")
    assert result.messages[2].tool_results[0].text == "ping"
    with pytest.raises(UsageError, match="model-free agent"):
        Agent(ScriptedModel([]), handoffs=[echo_agent])

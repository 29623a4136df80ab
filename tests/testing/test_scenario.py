"""Scenarios: scripted model turns, expectations, and failure messages that show both trajectories."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from llmkit import Agent, tool
from llmkit.errors import RateLimitError, UsageError, UsageLimitExceeded
from llmkit.run import UsageLimits
from llmkit.testing import (
    FakeProviderServer,
    Fault,
    Scenario,
    ScenarioFailed,
    ScriptExhaustedError,
    approx,
    calls_tool,
    calls_tools,
    event,
    has,
    output_matches,
    raises,
    says,
    tool_call,
    usage,
)

ORDERS = {42: {"status": "delivered", "total": 19.99}}


@tool
def lookup_order(order_id: int) -> dict:
    """Look up an order by its number."""
    if order_id not in ORDERS:
        from llmkit import ToolError

        raise ToolError(f"No order {order_id}.")
    return {"order_id": order_id, **ORDERS[order_id]}


@tool
def refund(order_id: int, amount: float) -> str:
    """Refund an order."""
    return f"Refunded {amount:.2f} EUR on order {order_id}."


support = Agent("openai/gpt-4.1-mini", name="support", tools=[lookup_order, refund])


def refund_scenario(**options: object) -> Scenario:
    s = Scenario(support, name="refund", **options)  # type: ignore[arg-type]
    s.user("I want a refund for order 42")
    s.model_calls_tool("lookup_order", order_id=42)
    s.model_calls_tool("refund", order_id=42, amount=19.99)
    s.model_says("Your refund of 19.99 EUR is on its way.")
    return s


def test_a_scenario_runs_the_agent_and_its_tools() -> None:
    s = refund_scenario()
    s.expect(
        calls_tools("lookup_order", "refund", order="exact"),
        calls_tool("refund", amount=approx(19.99)),
        says(contains="refund"),
        event("tool.result", result=has(is_error=False)).times(2),
        usage(requests=3),
    )
    result = s.run()
    assert result.passed and len(result) == 1
    exchange = result[0]
    assert [r.text for _, r in exchange.results] == [
        '{"order_id":42,"status":"delivered","total":19.99}',
        "Refunded 19.99 EUR on order 42.",
    ]
    assert exchange.model_calls == 3
    assert result.result is not None and result.result.output.startswith("Your refund")
    assert support.model == "openai/gpt-4.1-mini"  # the override ended with the run


def test_a_failure_shows_expected_and_actual_side_by_side() -> None:
    s = Scenario(support, name="refund")
    s.user("I want a refund for order 42")
    s.model_calls_tool("lookup_order", order_id=41)
    s.model_says("Sorry, I cannot find it.")
    s.expect(calls_tool("lookup_order", order_id=42), says(contains="refund"), usage(requests=2))
    with pytest.raises(ScenarioFailed) as caught:
        s.run()
    assert str(caught.value) == "\n".join(
        [
            "Scenario 'refund' failed: 2 problems.",
            "",
            "user turn 1 of 1: FAILED",
            "  expected                                  │ actual",
            "  ──────────────────────────────────────────┼─────────────────────────────────────────",
            "                                            │ user: I want a refund for order 42",
            "  ✗ calls_tool('lookup_order', order_id=42) │ model → lookup_order(order_id=41)",
            "                                            │ tool ← lookup_order (error) → No order 41.",
            "  ✗ says(contains='refund')                 │ model: Sorry, I cannot find it.",
            "  ✓ usage(requests=2)                       │",
            "",
            "  ✗ calls_tool('lookup_order', order_id=42)",
            "      lookup_order(order_id=41): order_id: expected 42, got 41",
            "  ✗ says(contains='refund')",
            "      no 'refund': the answer was 'Sorry, I cannot find it.'",
        ]
    )
    assert isinstance(caught.value, AssertionError)
    exchange = caught.value.result[0]  # nothing is lost: the whole run is there
    assert [m.role for m in exchange.messages] == ["user", "assistant", "tool", "assistant"]


def test_unused_turns_fail_the_scenario() -> None:
    s = refund_scenario()
    s.model_says("An answer the agent never asks for.")
    with pytest.raises(ScenarioFailed, match="1 turn was not asked for: 'An answer the agent"):
        s.run()


def test_too_few_turns_name_the_user_turn() -> None:
    s = Scenario(support)
    s.user("refund 42")
    s.model_calls_tool("lookup_order", order_id=42)
    with pytest.raises(ScenarioFailed) as caught:
        s.run()
    message = str(caught.value)
    assert (
        "it raised ScriptExhaustedError: The agent asked its model for answer 2 in user turn 1"
        in message
    )
    assert "│ model → lookup_order(order_id=42)" in message  # the run so far is shown
    s.expect(raises(ScriptExhaustedError))
    assert s.run().passed


def test_user_turns_continue_the_conversation() -> None:
    s = refund_scenario()
    s.user("Thanks! And order 7?")
    s.model_calls_tool("lookup_order", order_id=7)
    s.model_says("I cannot find order 7.")
    s.expect(
        calls_tool("lookup_order", order_id=7).once(),
        calls_tool("refund").never(),  # only this user turn's run is checked
        event("tool.result", result=has(is_error=True)),
    )
    result = s.run()
    second = result[1]
    assert second.lines[0].text == "Thanks! And order 7?"
    assert result.result is not None and len(result.result.messages) == 10


def test_expected_errors_and_usage_limits() -> None:
    s = Scenario(support)
    s.user("refund 42", usage_limits=UsageLimits(max_requests=1))
    s.model_calls_tool("lookup_order", order_id=42)
    s.expect_error(UsageLimitExceeded, match="request")
    s.user("try again")  # continues from the conversation the error kept
    s.model_says("Done.")
    s.expect(says(equals="Done."))
    result = s.run()
    assert result[0].error is not None and result[0].error_expected
    assert [m.role for m in result[1].result.messages][:3] == ["user", "assistant", "tool"]  # type: ignore[union-attr]


def test_an_unexpected_error_stops_the_scenario() -> None:
    s = Scenario(support)
    s.user("refund 42")
    s.model_fails(Fault.status(429, retry_after=0))
    s.user("never runs")
    s.model_says("unused")
    with pytest.raises(ScenarioFailed) as caught:
        s.run()
    assert "it stopped after user turn 1 of 2" in str(caught.value)
    assert "it raised RateLimitError" in str(caught.value)
    s2 = Scenario(support)
    s2.user("refund 42")
    s2.model_fails(RateLimitError)
    s2.expect(raises(RateLimitError))
    assert s2.run().passed


class Refund(BaseModel):
    order_id: int
    amount: float


@pytest.mark.parametrize("mode", ["native", "tool", "prompted"])
def test_model_outputs_answers_the_way_the_agent_asks(mode: str) -> None:
    agent = Agent("openai/gpt-4.1-mini", output_type=Refund, output_mode=mode)  # type: ignore[arg-type]
    s = Scenario(agent)
    s.user("refund 42 for 19.99")
    s.model_outputs(Refund(order_id=42, amount=19.99))
    s.expect(output_matches(Refund, amount=approx(19.99)), Refund(order_id=42, amount=19.99))
    assert s.run().passed


def test_handoff_targets_play_the_same_script() -> None:
    billing = Agent("openai/gpt-4.1-mini", name="billing", tools=[refund])
    triage = Agent("anthropic/claude-sonnet-4-5", name="triage", handoffs=[billing])
    s = Scenario(triage)
    s.user("refund 42")
    s.model_calls_tool("transfer_to_billing")
    s.model_calls_tool("refund", order_id=42, amount=5)
    s.model_says("Refunded.")
    s.expect(event("handoff", source="triage", target="billing"), calls_tool("refund"))
    result = s.run()
    assert result.result is not None and result.result.agent == "billing"


def test_without_streaming_there_are_no_events() -> None:
    s = refund_scenario(stream=False)
    s.expect(says(contains="refund"))
    result = s.run()
    assert result[0].events is None
    s2 = refund_scenario(stream=False)
    s2.expect(event("tool.call"))
    with pytest.raises(ScenarioFailed, match="no events were recorded"):
        s2.run()


@pytest.mark.parametrize("protocol", ["openai", "anthropic", "gemini", "ollama"])
def test_over_http_on_every_protocol(protocol: str, llmkit_fake_server: FakeProviderServer) -> None:
    s = refund_scenario(over_http=protocol, server=llmkit_fake_server)
    s.expect(calls_tool("refund", order_id=42), says(contains="on its way"))
    assert s.run().passed
    assert len(llmkit_fake_server.requests) == 3
    assert not llmkit_fake_server.errors


def test_over_http_starts_its_own_server_and_reports_a_short_script() -> None:
    s = Scenario(support, over_http=True)
    s.user("refund 42")
    s.model_calls_tool("lookup_order", order_id=42)
    with pytest.raises(ScenarioFailed, match="ScriptExhaustedError: The agent asked its model"):
        s.run()


@pytest.mark.anyio
async def test_run_async() -> None:
    s = refund_scenario()
    s.expect(says(contains="refund"))
    assert (await s.run_async()).passed


def test_parallel_calls_in_one_turn() -> None:
    s = Scenario(support)
    s.user("refund 42 twice")
    s.model_calls_tools(
        tool_call("refund", order_id=42, amount=1), tool_call("refund", order_id=42, amount=2)
    )
    s.model_says("Both done.")
    s.expect(
        calls_tool("refund").times(2),
        calls_tools(
            calls_tool("refund", amount=2), calls_tool("refund", amount=1), order="any_order"
        ),
    )
    assert s.run().passed


def test_bad_declarations_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="takes an Agent"):
        Scenario("openai/gpt-4.1-mini")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="over_http='grpc'"):
        Scenario(support, over_http="grpc")
    with pytest.raises(UsageError, match="Unknown run options: temperature"):
        Scenario(support, temperature=0)
    s = Scenario(support)
    with pytest.raises(UsageError, match="call s.user"):
        s.model_says("hi")
    with pytest.raises(UsageError, match="call s.user"):
        s.expect(says(contains="x"))
    with pytest.raises(UsageError, match="no user turn"):
        s.run()
    s.user("hi")
    with pytest.raises(UsageError, match="not a script turn"):
        s.model_turn(42)
    with pytest.raises(UsageError, match="tool_call"):
        s.model_calls_tools()
    with pytest.raises(UsageError, match="Fault or an exception"):
        s.model_fails("boom")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="needs at least one matcher"):
        s.expect()

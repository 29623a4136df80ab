"""Testing the support agent with llmkit's testing kit: scenarios, matchers, fixtures, evaluations.

    pytest examples/evals

Every test here runs offline: the model's turns are scripted (in-process or
through the fake provider server), and the ``llmkit_block_network`` marker
fails any test that would reach a real provider.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from offline_model import reply
from support_agent import agent

from llmkit.eval import assert_passed, evaluate_sync
from llmkit.testing import (
    FakeProviderServer,
    FunctionModel,
    Scenario,
    approx,
    calls_tool,
    calls_tools,
    event,
    has,
    says,
)

pytestmark = pytest.mark.llmkit_block_network

HERE = Path(__file__).resolve().parent


def test_refund_flow() -> None:
    s = Scenario(agent, name="refund")
    s.user("I want a refund for order 42")
    s.model_calls_tool("lookup_order", order_id=42)  # what the model does at each step
    s.model_calls_tool("refund", order_id=42, amount_eur=189.0)
    s.model_says("Your refund of 189.00 EUR has started.")
    s.expect(
        calls_tools("lookup_order", "refund", order="exact"),
        calls_tool("refund", amount_eur=approx(189.0)),
        says(contains="refund"),
    )
    s.run()  # on failure: an AssertionError showing expected and actual side by side


def test_unknown_order_reaches_the_model_as_a_tool_error() -> None:
    s = Scenario(agent)
    s.user("Where is order 9?")
    s.model_calls_tool("lookup_order", order_id=9)
    s.model_says("I could not find order 9.")
    s.expect(event("tool.result", result=has(is_error=True)), calls_tool("refund").never())
    s.run()


@pytest.mark.parametrize("protocol", ["openai", "anthropic", "gemini", "ollama"])
def test_refund_flow_over_each_wire_protocol(
    protocol: str, llmkit_fake_server: FakeProviderServer
) -> None:
    s = Scenario(agent, over_http=protocol, server=llmkit_fake_server)
    s.user("I want a refund for order 42")
    s.model_calls_tool("lookup_order", order_id=42)
    s.model_says("It was delivered; shall I refund it?")
    s.user("Yes please.")
    s.model_calls_tool("refund", order_id=42, amount_eur=189.0)
    s.model_says("Done: the refund has started.")
    s.expect(calls_tool("refund", order_id=42), says(contains="refund"))
    s.run()


def test_yaml_scenario() -> None:
    Scenario.from_yaml(HERE / "refund.yaml").run()


def test_the_evaluation_set_passes() -> None:
    report = evaluate_sync(HERE / "support.yaml", model=FunctionModel(reply))
    assert_passed(report)
    assert report.cases[0].tool_calls == [
        "lookup_order(order_id=42)",
        "refund(order_id=42, amount_eur=189.0)",
    ]

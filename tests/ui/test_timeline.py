"""The timeline's other entries: a handoff between agents, and a run that fails."""

from __future__ import annotations

from typing import Any

import pytest

from llmkit import Agent, tool
from llmkit.testing import ScriptedModel, tool_call

pytestmark = pytest.mark.browser


@tool(errors="raise")
def charge(amount: float) -> str:
    """Charge the customer's card."""
    raise ConnectionError("the card network did not answer")


def test_a_handoff_shows_who_took_over(ui: Any) -> None:
    billing = Agent(
        ScriptedModel(["Your refund is on its way."]), name="billing", description="Refunds."
    )
    triage = Agent(
        ScriptedModel([tool_call("transfer_to_billing")]), name="triage", handoffs=[billing]
    )
    with ui.served(triage) as server:
        ui.open(server.url)
        ui.send("I was charged twice.")
        ui.run_status("complete")
        assert "Handoff · triage → billing" in ui.text(".entry.handoff")
        assert "Your refund is on its way." in ui.text(".message.assistant")


def test_a_failed_run_shows_its_error_in_the_chat_and_the_timeline(ui: Any) -> None:
    agent = Agent(ScriptedModel([tool_call("charge", amount=5)]), name="cashier", tools=[charge])
    with ui.served(agent) as server:
        ui.open(server.url)
        ui.send("Charge me 5 EUR.")
        ui.run_status("failed")
        assert "the card network did not answer" in ui.text(".entry.error")
        assert "the card network did not answer" in ui.text(".message.assistant .error")
        assert "Traceback" not in ui.driver.page_source

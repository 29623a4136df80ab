"""Pending tool calls in the browser: approve one and the run goes on; deny one and the tool never runs."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser


def test_approving_a_pending_call_resumes_the_run(ui: Any) -> None:
    with ui.served(ui.support_agent()) as server:
        ui.open(server.url)
        ui.send("Please refund order 7.")
        ui.wait_for(lambda d: ui.text(".approval-box"), "the pending call")
        assert "refund" in ui.text(".approval .call")
        assert '"amount": 19.5' in ui.text(".approval pre")
        assert "Waiting for approval · refund" in ui.text(".entry.approval")
        assert ui.body("data-run-status") is None  # paused: the events go on after the decision

        ui.driver.find_element("css selector", ".approval .approve").click()
        ui.wait_for(
            lambda d: "Refunded 19.50 EUR on order 7." in ui.text(".message.assistant"),
            "the answer after the approved call",
        )
        ui.run_status("complete")
        assert "Refunded 19.50 EUR on order 7." in ui.text(".entry.tool .result")
        assert not ui.driver.find_elements("css selector", ".approval-box")


def test_denying_a_pending_call_keeps_the_tool_from_running(ui: Any) -> None:
    with ui.served(ui.support_agent()) as server:
        ui.open(server.url)
        ui.send("Please refund order 7.")
        ui.wait_for(
            lambda d: ui.driver.find_elements("css selector", ".approval .deny"), "the pending call"
        )
        ui.driver.find_element("css selector", ".approval .deny").click()
        ui.run_status("complete")
        assert "Refunded" not in ui.text(".entry.tool .result")
        assert "denied" in ui.text(".entry.tool .result").lower()

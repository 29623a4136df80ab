"""Pending tool calls in the browser: approve one and the run goes on; deny one and the tool never runs."""

from __future__ import annotations

from typing import Any

import httpx
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


def test_a_new_message_keeps_the_pending_calls_of_the_run_that_waits(ui: Any) -> None:
    with ui.served(ui.support_agent()) as server:
        ui.open(server.url)
        ui.send("Please refund order 7.")
        ui.wait_for(lambda d: ui.text(".approval-box"), "the pending call")
        waiting = ui.driver.execute_script("return location.hash").removeprefix("#run=")
        ui.send("Where is order 42?")
        ui.run_status("complete")
        assert "left the warehouse" in ui.text(".message.assistant")
        (box,) = ui.driver.find_elements("css selector", ".approval-box")
        assert box.get_attribute("data-run") == waiting
        ui.driver.find_element("css selector", ".approval .approve").click()
        ui.wait_for(
            lambda d: d.find_element("id", "status").get_attribute("data-state") == "decided",
            "the decisions to be sent",
        )
        assert not ui.driver.find_elements("css selector", ".approval-box")
        headers = {"Authorization": f"Bearer {ui.TOKEN}"}
        ui.wait_for(
            lambda d: (
                httpx.get(f"{server.url}/v1/runs/{waiting}", headers=headers).json()["status"]
                == "complete"
            ),
            "the approved run to finish",
        )


def test_the_session_is_kept_across_a_reload(ui: Any) -> None:
    with ui.served(ui.support_agent()) as server:
        ui.open(server.url)
        ui.send("Where is order 42?")
        ui.run_status("complete")
        run = ui.driver.execute_script("return location.hash").removeprefix("#run=")
        ui.driver.refresh()
        ui.wait_for(lambda d: ui.body("data-ready") == "yes", "the page to start again")
        ui.send("Where is order 7?")
        ui.wait_for(
            lambda d: ui.driver.execute_script("return location.hash") != f"#run={run}",
            "the second run",
        )
        ui.run_status("complete")
        second = ui.driver.execute_script("return location.hash").removeprefix("#run=")
        headers = {"Authorization": f"Bearer {ui.TOKEN}"}
        first_session = httpx.get(f"{server.url}/v1/runs/{run}", headers=headers).json()
        second_session = httpx.get(f"{server.url}/v1/runs/{second}", headers=headers).json()
        assert first_session["session"] and first_session["session"] == second_session["session"]

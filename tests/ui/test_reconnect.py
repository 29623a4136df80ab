"""The server going away mid-run: the page says so, reconnects, and reads the missed events again."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import pytest

pytestmark = pytest.mark.browser


def test_the_page_reconnects_and_replays_the_events_it_missed(ui: Any) -> None:
    gate = ui.Gate()
    with ui.served(ui.support_agent(gate)) as server:
        proxy = ui.Proxy(("127.0.0.1", urlsplit(server.url).port))
        try:
            ui.open(proxy.url)
            ui.send("Where is order 42?")
            ui.wait_for(
                lambda d: "Found it: Order 42" in ui.text(".message.assistant"), "the first piece"
            )
            run_id = unquote(ui.driver.execute_script("return location.hash").removeprefix("#run="))

            proxy.cut()  # the server is gone, as the page sees it
            status = ui.wait_for(
                lambda d: (
                    ui.driver.find_element("id", "status").get_attribute("data-state") == "lost"
                    and ui.text("#status")
                ),
                "the page to say the connection is lost",
            )
            assert "lost" in status and "reconnecting" in status

            # The run ends while the page cannot see it: its last events wait on the server.
            gate.opened.set()
            headers = {"Authorization": f"Bearer {ui.TOKEN}"}
            ui.wait_for(
                lambda d: (
                    httpx.get(f"{server.url}/v1/runs/{run_id}", headers=headers).json()["status"]
                    == "complete"
                ),
                "the run to end on the server",
            )
            assert "left the warehouse" not in ui.text(".message.assistant")

            proxy.resume()
            ui.wait_for(
                lambda d: (
                    ui.driver.find_element("id", "status").get_attribute("data-state") == "back"
                ),
                "the page to reconnect",
            )
            ui.wait_for(
                lambda d: "Found it: Order 42 left the warehouse." in ui.text(".message.assistant"),
                "the replayed end of the answer",
            )
            ui.run_status("complete")
            # Each event shows once: the replay resumed after the last one seen.
            assert ui.text(".entry.tool").count("Tool call · lookup") == 1
            assert ui.text(".entry.model").count("Model call · step 2") == 1
        finally:
            proxy.cut()

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


def test_a_run_longer_than_the_server_keeps_says_events_were_dropped_and_shows_its_output(
    ui: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from collections.abc import AsyncIterator

    from llmkit import Agent, Request
    from llmkit.serve import RunService
    from llmkit.testing import FunctionModel

    # The server keeps the last 5 events only: the model.request and the first words are gone.
    defaults = RunService.__init__.__kwdefaults__
    assert defaults is not None
    monkeypatch.setitem(defaults, "event_limit", 5)
    words = [f"w{i} " for i in range(40)]

    async def stream(request: Request) -> AsyncIterator[str]:
        for word in words:
            yield word

    agent = Agent(FunctionModel(lambda r: "".join(words), stream_fn=stream), name="chatty")
    with ui.served(agent) as server:
        headers = {"Authorization": f"Bearer {ui.TOKEN}"}
        body = {"agent": "chatty", "input": "Talk.", "wait": True}
        run = httpx.post(f"{server.url}/v1/runs", json=body, headers=headers, timeout=60).json()
        assert run["status"] == "complete" and run["last_event_id"] > 5
        ui.open(server.url, f"run={run['id']}")
        ui.run_status("complete")
        status = ui.driver.find_element("id", "status")
        assert status.get_attribute("data-state") == "dropped"
        assert "no longer kept" in ui.text("#status")
        assert ui.text(".message.assistant .text") == "".join(words).strip()
        # The response whose request is gone still has its entry, with its tokens.
        assert "tokens" in ui.text(".entry.model .meta")


def test_an_event_the_page_fails_to_show_is_not_a_lost_connection(ui: Any) -> None:
    with ui.served(ui.support_agent()) as server:
        ui.open(server.url)
        # The first model response's entry throws once, as a bug in the page would.
        ui.driver.execute_script(
            """
            const real = Element.prototype.querySelector;
            Element.prototype.querySelector = function (selector) {
              if (selector === ".meta" && !window.__thrown) {
                window.__thrown = true;
                throw new Error("planted page error");
              }
              return real.call(this, selector);
            };
            """
        )
        ui.send("Where is order 42?")
        ui.run_status("complete")
        assert ui.driver.execute_script("return window.__thrown") is True
        status = ui.driver.find_element("id", "status")
        assert status.get_attribute("data-state") == "broken"
        assert "planted page error" in ui.text("#status")
        assert "left the warehouse" in ui.text(".message.assistant")

"""How long the page takes to show a run of 1,000 events, by the browser's own timing.

The figure is printed (run with ``-s``) and kept in docs/ui.md; nothing here
asserts a duration, so a loaded machine cannot fail it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from llmkit import Agent, Request
from llmkit.testing import FunctionModel

pytestmark = pytest.mark.browser

WORDS = 1000


def chatty_agent() -> Agent[Any]:
    """Answers with 1,000 words, each its own text delta: a run of over 1,000 events."""

    async def stream(request: Request) -> AsyncIterator[str]:
        for index in range(WORDS):
            yield f"word{index} "

    return Agent(FunctionModel(lambda r: "", stream_fn=stream), name="chatty")


def test_a_run_of_1000_events_is_shown_and_the_time_it_took_printed(ui: Any) -> None:
    with ui.served(chatty_agent()) as server:
        headers = {"Authorization": f"Bearer {ui.TOKEN}"}
        run = httpx.post(
            f"{server.url}/v1/runs",
            json={"agent": "chatty", "input": "Talk.", "wait": True},
            headers=headers,
        ).json()
        assert run["status"] == "complete" and run["last_event_id"] > WORDS

        ui.open(server.url, f"run={run['id']}")
        ui.run_status("complete")
        ui.wait_for(
            lambda d: ui.body("data-last-event") == str(run["last_event_id"]), "every event"
        )
        assert f"word{WORDS - 1}" in ui.text(".message.assistant")
        timing = ui.driver.execute_script(
            "const nav = performance.getEntriesByType('navigation')[0];"
            "const shown = performance.getEntriesByName('llmkit-run-shown')[0];"
            "return {load: nav.loadEventEnd, ready: nav.domContentLoadedEventEnd, shown: shown.startTime};"
        )
        print(
            f"\nA run of {run['last_event_id']} events: DOMContentLoaded {timing['ready']:.0f} ms, "
            f"load {timing['load']:.0f} ms, every event shown {timing['shown']:.0f} ms after navigation start"
        )

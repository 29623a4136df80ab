"""Chatting in the browser: streamed text, markdown, the tool call in the timeline, raw views."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser


def test_a_message_streams_its_answer_and_the_tool_call_shows_in_the_timeline(ui: Any) -> None:
    gate = ui.Gate()
    with ui.served(ui.support_agent(gate)) as server:
        ui.open(server.url)
        ui.send("Where is order 42?")
        assert "Where is order 42?" in ui.text(".message.user")

        tool = ui.wait_for(
            lambda d: (
                "Order 42 left the warehouse." in ui.text(".entry.tool") and ui.text(".entry.tool")
            ),
            "the tool call and its result in the timeline",
        )
        assert 'lookup({"order":42})' in tool
        # The first piece of the answer is on the page while the model still holds the rest.
        ui.wait_for(
            lambda d: "Found it: Order 42" in ui.text(".message.assistant"), "the first piece"
        )
        assert gate.reached.is_set()
        assert "left the warehouse" not in ui.text(".message.assistant")
        strong = ui.driver.find_elements("css selector", ".message.assistant strong")
        assert [s.text for s in strong] == ["Order 42"]  # markdown, rendered

        gate.opened.set()
        ui.wait_for(
            lambda d: "Found it: Order 42 left the warehouse." in ui.text(".message.assistant"),
            "the rest of the answer",
        )
        ui.run_status("complete")
        models = ui.text(".entry.model")
        assert "Model call · step 1" in models and "Model call · step 2" in models
        assert " ms" in models and "tokens" in models

        # The raw request of the first model call, expanded on demand.
        ui.driver.find_element("css selector", ".entry.model .raw-request summary").click()
        raw = ui.wait_for(lambda d: ui.text(".entry.model .raw-request pre"), "the raw request")
        assert '"text": "Where is order 42?"' in raw
        assert '"name": "lookup"' in raw


def test_reopening_a_run_reads_its_events_again_from_the_api(ui: Any) -> None:
    with ui.served(ui.support_agent()) as server:
        ui.open(server.url)
        ui.send("Where is order 42?")
        ui.run_status("complete")
        run_hash = ui.driver.execute_script("return location.hash")
        assert run_hash.startswith("#run=run_")

        ui.driver.get("about:blank")
        ui.open(server.url, run_hash[1:])
        ui.wait_for(
            lambda d: "left the warehouse." in ui.text(".message.assistant"), "the replayed answer"
        )
        assert "Order 42 left the warehouse." in ui.text(".entry.tool")


PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


def test_an_answer_s_markdown_images_and_lists_are_shown(ui: Any) -> None:
    answer = f"# Chart\n\n- one\n- two\n\n![a pixel](data:image/png;base64,{PIXEL})\n\n```\ncode <b>\n```"
    with ui.served(ui.echo_agent(answer)) as server:
        ui.open(server.url)
        ui.send("Draw it.")
        ui.run_status("complete")
        (image,) = ui.driver.find_elements("css selector", ".message.assistant img")
        assert image.get_attribute("src") == f"data:image/png;base64,{PIXEL}"
        assert image.get_attribute("alt") == "a pixel"
        assert ui.driver.execute_script("return arguments[0].naturalWidth", image) == 1  # decoded
        assert ui.text(".message.assistant h1") == "Chart"
        assert ui.text(".message.assistant li") == "one\ntwo"
        assert ui.text(".message.assistant pre") == "code <b>"

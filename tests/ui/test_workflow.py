"""A workflow in the browser: its structure drawn, its steps lighting up, a retry in the timeline."""

from __future__ import annotations

from typing import Any

import pytest

from llmkit import Agent
from llmkit.testing import ScriptedModel
from llmkit.workflow import Retry, sequence, step

pytestmark = pytest.mark.browser


def article_flow() -> Any:
    writer = Agent(ScriptedModel(["Tides rise twice a day."]), name="writer")
    tries: list[int] = []

    @step(output="words", retry=Retry(attempts=2, delay=0, jitter=False))
    def count_words(state: dict[str, Any]) -> int:
        tries.append(1)
        if len(tries) == 1:
            raise ConnectionError("the counter was busy")
        return len(state["notes"].split())

    return sequence(
        step(writer, input=lambda s: s["topic"], output="notes"), count_words, name="article"
    )


def test_a_workflow_run_lights_up_its_steps(ui: Any) -> None:
    with ui.served(ui.echo_agent("hi"), article_flow()) as server:
        ui.open(server.url)
        from selenium.webdriver.support.ui import Select

        Select(ui.driver.find_element("id", "target")).select_by_value("article")
        tree = ui.text(".workflow-tree")
        assert "article" in tree and "writer" in tree and "count_words" in tree
        ui.send('{"topic": "tides"}')
        ui.run_status("complete")
        rows = {
            row.get_attribute("data-path"): row.get_attribute("data-status")
            for row in ui.driver.find_elements("css selector", ".workflow-steps .step")
        }
        assert rows == {"article": "ok", "article/writer": "ok", "article/count_words": "ok"}
        assert "Retry · article/count_words attempt 1 failed: ConnectionError" in ui.text(".entry.retry")
        assert ui.text(".workflow-output") == "output:\n5"


def test_a_workflow_input_that_is_not_json_gets_a_message(ui: Any) -> None:
    with ui.served(article_flow()) as server:
        ui.open(server.url)
        ui.send("tides")
        status = ui.wait_for(lambda d: ui.text("#status"), "the message")
        assert status.startswith("The workflow's input is JSON")
        assert not ui.driver.find_elements("css selector", ".message.assistant")

"""A workflow in the browser: its structure drawn, its steps lighting up, a retry in the timeline."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser


def test_a_workflow_run_lights_up_its_steps(ui: Any) -> None:
    with ui.served(ui.echo_agent("hi"), ui.article_flow()) as server:
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
        assert "Retry · article/count_words attempt 1 failed: ConnectionError" in ui.text(
            ".entry.retry"
        )
        assert ui.text(".workflow-output") == "output:\n5"


def test_a_workflow_input_that_is_not_json_gets_a_message(ui: Any) -> None:
    with ui.served(ui.article_flow()) as server:
        ui.open(server.url)
        ui.send("tides")
        status = ui.wait_for(lambda d: ui.text("#status"), "the message")
        assert status.startswith("The workflow's input is JSON")
        assert not ui.driver.find_elements("css selector", ".message.assistant")

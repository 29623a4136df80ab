"""The screenshots of docs/ui.md, taken from the real page.

``make ui-screenshots`` sets ``LLMKIT_UI_SCREENSHOTS=docs/images`` and this test
writes ``ui-chat.png``, ``ui-workflow.png``, ``ui-runs.png``, ``ui-recording.png``
and ``ui-report.png`` there; in the plain suite they go to a temporary folder, so the
views they show are exercised on every run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    where = os.environ.get("LLMKIT_UI_SCREENSHOTS")
    path = Path(where) if where else tmp_path / "shots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def shoot(ui: Any, path: Path) -> None:
    assert ui.driver.save_screenshot(str(path)), path
    assert path.stat().st_size > 10_000  # a page, not a blank


def test_screenshots_of_every_view(ui: Any, shots: Path, folder: Path) -> None:
    ui.driver.set_window_size(1400, 860)
    with ui.served(ui.support_agent(), ui.article_flow(), recordings=folder) as server:
        ui.open(server.url)
        ui.send("Where is order 42?")
        ui.run_status("complete")
        ui.send("Please refund order 7.")
        ui.wait_for(lambda d: ui.text(".approval-box"), "the pending call")
        shoot(ui, shots / "ui-chat.png")

        from selenium.webdriver.support.ui import Select

        Select(ui.driver.find_element("id", "target")).select_by_value("article")
        ui.send('{"topic": "tides"}')
        ui.wait_for(lambda d: ui.text(".workflow-output"), "the workflow's output")
        shoot(ui, shots / "ui-workflow.png")

        ui.driver.find_element("css selector", '#tabs button[data-view="runs"]').click()
        ui.wait_for(
            lambda d: d.find_element("id", "runs-view").get_attribute("data-rows") == "3",
            "the three runs in the list",
        )
        shoot(ui, shots / "ui-runs.png")

        ui.driver.find_element("css selector", '#tabs button[data-view="recordings"]').click()
        ui.wait_for(lambda d: ui.text(".files"), "the list of files")
        ui.driver.find_element("css selector", '.files button[data-name="monday.jsonl"]').click()
        ui.wait_for(
            lambda d: ui.driver.find_elements("css selector", "select.compare"), "the recording"
        )
        Select(ui.driver.find_element("css selector", "select.compare")).select_by_value(
            "tuesday.jsonl"
        )
        ui.wait_for(lambda d: ui.text(".diff .summary"), "the diff")
        shoot(ui, shots / "ui-recording.png")

        ui.driver.find_element(
            "css selector", '.files button[data-name="orders-report.json"]'
        ).click()
        ui.wait_for(lambda d: ui.text(".verdict"), "the report")
        ui.driver.find_elements("css selector", "details.case summary")[1].click()
        shoot(ui, shots / "ui-report.png")

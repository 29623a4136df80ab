"""Recordings and evaluation reports in the browser: open, step through, diff; bad files get a message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import llmkit
from llmkit import Agent, tool
from llmkit.testing import ScriptedModel, tool_call

pytestmark = pytest.mark.browser


def open_file(ui: Any, name: str) -> None:
    ui.driver.find_element("css selector", f'.files button[data-name="{name}"]').click()


def test_a_recording_opens_and_steps_line_by_line(ui: Any, folder: Path) -> None:
    with ui.served(recordings=folder) as server:
        ui.open(server.url)
        ui.wait_for(lambda d: ui.text(".files"), "the list of files")
        assert "monday.jsonl" in ui.text(".files") and "orders-report.json" in ui.text(".files")
        assert not ui.driver.find_element("id", "chat-view").is_displayed()  # no agent: no chat

        open_file(ui, "monday.jsonl")
        ui.wait_for(lambda d: "run.end" in ui.text(".position"), "the recording at its last line")
        assert "Tool call · lookup" in ui.text(".file-view .entry.tool")
        assert "Order 42 left the warehouse." in ui.text(".file-view .entry.tool")

        ui.driver.find_element("css selector", ".stepper .first").click()
        ui.wait_for(lambda d: "run.start" in ui.text(".position"), "the first line")
        assert not ui.driver.find_elements("css selector", ".file-view .entry.tool")
        ui.driver.find_element("css selector", ".stepper .next").click()
        ui.wait_for(lambda d: "model.request" in ui.text(".position"), "the second line")
        assert '"step": 1' in ui.text(".current-line")


def test_two_recordings_diff_at_the_first_event_that_differs(ui: Any, folder: Path) -> None:
    with ui.served(recordings=folder) as server:
        ui.open(server.url)
        ui.wait_for(lambda d: ui.text(".files"), "the list of files")
        open_file(ui, "monday.jsonl")
        ui.wait_for(
            lambda d: ui.driver.find_elements("css selector", "select.compare"), "the recording"
        )
        from selenium.webdriver.support.ui import Select

        Select(ui.driver.find_element("css selector", "select.compare")).select_by_value(
            "tuesday.jsonl"
        )
        summary = ui.wait_for(lambda d: ui.text(".diff .summary"), "the diff")
        assert "They part at event" in summary
        differs = ui.text(".diff-table tr.differs")
        assert "Order 42 left the warehouse." in differs and "Order 42 is on its way." in differs
        # The tool call and its result are the same in both.
        assert ui.driver.find_elements("css selector", ".diff-table tr.same")


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("truncated.jsonl", "truncated.jsonl, line"),
        ("newer.jsonl", "newer llmkit"),
        ("null-case.json", "metric 'm' is not an object"),
    ],
)
def test_an_unreadable_recording_gets_a_message_not_a_blank_page(
    ui: Any, folder: Path, name: str, says: str
) -> None:
    with ui.served(recordings=folder) as server:
        ui.open(server.url)
        ui.wait_for(lambda d: ui.text(".files"), "the list of files")
        open_file(ui, name)
        message = ui.wait_for(lambda d: ui.text(".error.unreadable"), "the message")
        assert says in message
        assert str(folder) not in message  # the server's disk is not shown
        # The page still works: another file opens.
        open_file(ui, "monday.jsonl")
        ui.wait_for(lambda d: "run.end" in ui.text(".position"), "the next file")


def test_an_evaluation_report_shows_scores_and_the_missed_threshold(ui: Any, folder: Path) -> None:
    with ui.served(recordings=folder) as server:
        ui.open(server.url)
        ui.wait_for(lambda d: ui.text(".files"), "the list of files")
        open_file(ui, "orders-report.json")
        verdict = ui.wait_for(lambda d: ui.text(".verdict"), "the verdict")
        assert verdict == "FAILED: trajectory 0.75 < 1.00"
        assert "refund-7" in ui.text("table.cases") and "0.50" in ui.text("table.cases td.low")
        ui.driver.find_elements("css selector", "details.case summary")[1].click()
        note = ui.wait_for(lambda d: ui.text(".note-trajectory"), "the trajectory note")
        assert "missing refund(order=7) after lookup" in note


@tool
def read_file(path: str) -> str:
    """A file's contents."""
    return "contents"


@tool
def stat(path: str) -> str:
    """A file's size."""
    return "12 bytes"


def record_reads(path: Path, *calls: Any) -> None:
    agent = Agent(ScriptedModel([list(calls), "ok"]), name="reader", tools=[read_file, stat])
    with llmkit.record(path):
        agent.run_sync("read it")


def diff_rows(ui: Any, first: str, second: str) -> list[str]:
    from selenium.webdriver.support.ui import Select

    open_file(ui, first)
    ui.wait_for(lambda d: d.find_elements("css selector", "select.compare"), "the recording")
    Select(ui.driver.find_element("css selector", "select.compare")).select_by_value(second)
    ui.wait_for(lambda d: ui.text(".diff .summary"), "the diff")
    rows = ui.driver.find_elements("css selector", ".diff-table tr")[1:]
    return [row.text for row in rows]


def test_the_diff_compares_a_tool_argument_called_path_and_aligns_an_extra_call(
    ui: Any, tmp_path: Path
) -> None:
    record_reads(tmp_path / "a.jsonl", tool_call("read_file", path="/etc/passwd"))
    record_reads(tmp_path / "b.jsonl", tool_call("read_file", path="notes.txt"))
    record_reads(
        tmp_path / "c.jsonl",
        tool_call("stat", path="/etc/passwd"),
        tool_call("read_file", path="/etc/passwd"),
    )
    with ui.served(recordings=tmp_path) as server:
        ui.open(server.url)
        ui.wait_for(lambda d: ui.text(".files"), "the list of files")
        rows = diff_rows(ui, "a.jsonl", "b.jsonl")
        assert any("tool.call tool.call" in r and "path" in r and "notes.txt" in r for r in rows)
        # The extra call stands alone; the read_file call pairs with read_file (ids aside).
        rows = diff_rows(ui, "a.jsonl", "c.jsonl")
        assert [r for r in rows if "only in" in r] == [
            "tool.call only in the second",
            "tool.result only in the second",
        ]
        assert 'tool.call tool.call call.id: "call_1" → "call_2"' in rows
        assert 'tool.result tool.result result.call_id: "call_1" → "call_2"' in rows
        assert rows[0] == "run.start run.start same"

"""The runs panel (the token's runs from GET /v1/runs), and latencies from the server's clock."""

from __future__ import annotations

import itertools
import json
from datetime import datetime
from typing import Any

import httpx
import pytest

from llmkit import Agent, Response, Usage
from llmkit.serve import Server
from llmkit.testing import FunctionModel
from llmkit.types import Message
from llmkit.ui import ui_app

pytestmark = pytest.mark.browser

START = 1_800_000_000.0


def priced_agent(name: str = "pricer") -> Agent[Any]:
    """Answers "Priced." at a known cost of $0.0042 a call."""
    usage = Usage(input_tokens=12, output_tokens=3, cost=0.0042)
    return Agent(
        FunctionModel(lambda request: Response(Message.assistant("Priced."), usage=usage)),
        name=name,
    )


def ticking(step: float) -> Any:
    """A clock that moves ``step`` seconds each time it is read."""
    counter = itertools.count()
    return lambda: START + step * next(counter)


def start_run(url: str, token: str, target: str, text: str) -> dict[str, Any]:
    body = {"agent": target, "input": text, "wait": True}
    headers = {"Authorization": f"Bearer {token}"}
    run: dict[str, Any] = httpx.post(f"{url}/v1/runs", json=body, headers=headers).json()
    assert run["status"] == "complete"
    return run


def show_runs(ui: Any, rows: int) -> None:
    ui.driver.find_element("css selector", '#tabs [data-view="runs"]').click()
    ui.wait_for(
        lambda d: (
            d.find_element("id", "runs-view").get_attribute("data-loading") == "no"
            and d.find_element("id", "runs-view").get_attribute("data-rows") == str(rows)
        ),
        f"{rows} runs in the list",
    )


def test_the_runs_panel_lists_this_token_s_runs_and_a_click_opens_one(ui: Any) -> None:
    other = "another-token-2"
    app = ui_app(
        priced_agent(), ui.echo_agent("Hello."), tokens=[ui.TOKEN, other], clock=ticking(0.5)
    )
    with Server(app) as server:
        first = start_run(server.url, ui.TOKEN, "pricer", "how much?")
        start_run(server.url, other, "echo", "not yours")
        second = start_run(server.url, ui.TOKEN, "echo", "hi")
        ui.open(server.url)
        show_runs(ui, 2)
        rows = ui.driver.find_elements("css selector", ".run-row")
        assert [row.get_attribute("data-run") for row in rows] == [second["id"], first["id"]]
        cells = [cell.text for cell in rows[1].find_elements("css selector", "td")]
        started = datetime.fromtimestamp(first["created"]).strftime("%Y-%m-%d %H:%M:%S")
        seconds = first["duration"]
        assert seconds >= 1  # clock readings half a second apart, several per run
        assert cells == [
            "complete",
            "pricer",
            started,
            f"{seconds:.1f} s",
            "$0.004200",
            first["id"],
        ]
        assert [c.text for c in rows[0].find_elements("css selector", "td")][4] == "—"
        rows[1].click()
        ui.run_status("complete")
        assert ui.driver.execute_script("return location.hash") == f"#run={first['id']}"
        assert not ui.driver.find_element("id", "chat-view").get_attribute("hidden")
        assert "pricer" in ui.text("#target-title")
        assert "Priced." in ui.text(".message.assistant")
        assert ui.text(".message.user") == "how much?"  # what the run was asked
        assert "$0.004200" in ui.text(".entry.model")


def test_more_reads_the_next_page_of_runs(ui: Any) -> None:
    with ui.served(ui.echo_agent("ok")) as server:
        ids = [start_run(server.url, ui.TOKEN, "echo", f"q{n}")["id"] for n in range(27)]
        ui.open(server.url)
        show_runs(ui, 25)
        more = ui.driver.find_element("css selector", ".runs-panel .more")
        assert more.is_displayed()
        more.click()
        ui.wait_for(
            lambda d: d.find_element("id", "runs-view").get_attribute("data-rows") == "27",
            "the second page",
        )
        listed = [
            r.get_attribute("data-run") for r in ui.driver.find_elements("css selector", ".run-row")
        ]
        assert listed == ids[::-1]
        assert not more.is_displayed()


def test_a_reopened_run_shows_the_model_s_latency_by_the_server_s_clock(ui: Any) -> None:
    # Every reading of the server's clock moves it 7 s: no arrival time could look like it.
    with ui.served(ui.echo_agent("Hello."), clock=ticking(7.0)) as server:
        run = start_run(server.url, ui.TOKEN, "echo", "hi")
        headers = {"Authorization": f"Bearer {ui.TOKEN}"}
        with httpx.stream("GET", f"{server.url}/v1/runs/{run['id']}/events", headers=headers) as r:
            sent = [json.loads(line[6:]) for line in r.iter_lines() if line.startswith("data: ")]
        times = {event["topic"]: event["time"] for event in sent}
        latency = round((times["model.response"] - times["model.request"]) * 1000)
        assert latency >= 7000
        ui.open(server.url, f"run={run['id']}")
        ui.run_status("complete")
        assert ui.text(".entry.model .meta").startswith(f"{latency} ms")


def test_events_without_the_server_s_time_are_timed_as_they_arrive(ui: Any) -> None:
    with ui.served(ui.echo_agent("ok")) as server:
        ui.open(server.url)
        shown = ui.driver.execute_async_script(
            """
            const done = arguments[arguments.length - 1];
            import("/ui/timeline.js").then(({ Timeline }) => {
              const metas = [];
              for (const stamp of [[100.0, 100.75], [null, null]]) {
                const root = document.createElement("ol");
                const timeline = new Timeline(root);
                const at = (t) => (t === null ? {} : { time: t });
                timeline.add({ topic: "model.request", step: 1, request: {}, ...at(stamp[0]) });
                timeline.add({ topic: "model.response", response: {}, ...at(stamp[1]) });
                metas.push(root.querySelector(".meta").textContent);
              }
              done(metas);
            });
            """
        )
        with_time, without = shown
        assert with_time == "750 ms"
        assert without.endswith(" ms") and without[:-3].isdigit()


def test_a_workflow_run_opened_from_the_list_shows_its_state_and_its_steps(ui: Any) -> None:
    with ui.served(ui.echo_agent("ok"), ui.article_flow()) as server:
        body = {"workflow": "article", "input": {"topic": "tides"}, "wait": True}
        headers = {"Authorization": f"Bearer {ui.TOKEN}"}
        run = httpx.post(f"{server.url}/v1/runs", json=body, headers=headers).json()
        assert run["status"] == "complete"
        ui.open(server.url)
        show_runs(ui, 1)
        assert ui.text(".run-row .target") == "article (workflow)"
        ui.driver.find_element("css selector", ".run-row").click()
        ui.wait_for(lambda d: ui.text(".workflow-output"), "the workflow's output")
        assert ui.driver.find_element("id", "target").get_attribute("value") == "article"
        assert '"topic": "tides"' in ui.text(".message.user")
        assert ui.text(".message.user").count("tides") == 1  # the steps' agent runs add none
        assert "count_words" in ui.text("#diagram")

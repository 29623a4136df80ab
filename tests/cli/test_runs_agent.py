"""``llmkit runs show`` and ``llmkit runs resume`` with a real agent run left in a SQLite file.

A subprocess runs the agent of an app file against the fake provider server
(in this process, so its request log covers both processes) and dies in the
middle of a tool call (``os._exit``: no cleanup, as after ``kill -9``). The
command line then shows the stored run in words and resumes it with the same
app; the model is not asked again for what it already answered.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from llmkit.cli import main
from llmkit.testing import FakeProviderServer
from llmkit.types import Message, Response, ToolCall

APP = textwrap.dedent(
    """
    import os, sys
    import llmkit
    from llmkit import Agent, tool
    from llmkit.durable import SQLiteStore

    @tool(idempotent=True)
    def lookup(city: str) -> str:
        "The weather in a city (safe to repeat)."
        if os.environ.get("DIE_IN_LOOKUP") == city:
            os._exit(9)  # the process dies mid-call
        return "sunny in " + city

    model = llmkit.model(
        "openai/gpt-4.1-mini", base_url=os.environ["FAKE_BASE_URL"], api_key="sk-test"
    )
    agent = Agent(model, name="weather", tools=[lookup])

    if __name__ == "__main__":
        agent.run_sync("Weather in Oslo and Rome?", store=SQLiteStore(sys.argv[1]), run_id="w-1")
    """
)


@pytest.fixture
def app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, llmkit_fake_server: FakeProviderServer
) -> Path:
    path = tmp_path / "app.py"
    path.write_text(APP, encoding="utf-8")
    monkeypatch.setenv("FAKE_BASE_URL", llmkit_fake_server.openai_base_url)
    return path


def test_an_agent_run_that_died_is_shown_in_words_then_resumed_by_the_command(
    app: Path,
    tmp_path: Path,
    llmkit_fake_server: FakeProviderServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = llmkit_fake_server
    # One call per reply, so the run dies at one point whatever the scheduling: Oslo's
    # result is stored, Rome's call has started and has no result.
    oslo = Response(
        Message.assistant(
            "Oslo first.", tool_calls=[ToolCall("call_1", "lookup", {"city": "Oslo"})]
        ),
        finish_reason="tool_calls",
    )
    rome = Response(
        Message.assistant("Now Rome.", tool_calls=[ToolCall("call_2", "lookup", {"city": "Rome"})]),
        finish_reason="tool_calls",
    )
    server.script([oslo, rome, "Sunny in Oslo and in Rome."])
    db = tmp_path / "runs.db"
    env = {**os.environ, "DIE_IN_LOOKUP": "Rome"}
    died = subprocess.run(
        [sys.executable, str(app), str(db)], env=env, capture_output=True, text=True, timeout=120
    )
    assert died.returncode == 9, died.stderr
    assert len(server.requests) == 2

    assert main(["runs", "show", "w-1", "--store", str(db)]) == 0
    shown = capsys.readouterr().out
    assert "run       w-1 (agent 'weather')" in shown and "status    running" in shown
    assert "  agent: agent 'weather', step 2, 4 messages (0 from the history)" in shown
    assert '    last model text: "Now Rome."' in shown
    assert '    pending calls: lookup {"city":"Rome"} (call_2)' in shown
    assert "checkpoints (2)" in shown  # call_1's own keys went with its finished step
    assert "call_1" not in shown
    assert "  started:call_2: started, no result kept: it may have run" in shown

    target = f"{app}:agent"
    assert main(["runs", "resume", "w-1", "--app", target, "--store", str(db)]) == 0
    assert capsys.readouterr().out == "Sunny in Oslo and in Rome.\n"
    assert len(server.requests) == 3  # the first two replies were not asked for again
    last = server.requests[2].json
    assert last is not None
    results = [m for m in last["messages"] if m["role"] == "tool"]
    assert [r["content"] for r in results] == ["sunny in Oslo", "sunny in Rome"]

    assert main(["runs", "show", "w-1", "--store", str(db)]) == 0
    shown = capsys.readouterr().out
    assert "status    finished" in shown
    assert "  agent: agent 'weather', step 3, 6 messages" in shown
    assert '    output: "Sunny in Oslo and in Rome."' in shown
    assert main(["runs", "show", "w-1", "--store", str(db), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["result"]["output"] == "Sunny in Oslo and in Rome."


def test_show_falls_back_to_a_summary_for_agent_keys_it_cannot_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    from llmkit.durable import SQLiteStore

    async def fill() -> None:
        async with SQLiteStore(tmp_path / "runs.db") as store:
            claim = await store.start_run("odd", kind="agent", name="x")
            await store.checkpoint(claim, {"agent": {"version": 99, "agent": "x"}, "done:c": 3})

    asyncio.run(fill())
    assert main(["runs", "show", "odd", "--store", str(tmp_path / "runs.db")]) == 0
    shown = capsys.readouterr().out
    assert "  agent: object of 2 keys: version, agent" in shown
    assert "  done:c: 3" in shown

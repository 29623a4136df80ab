"""Recordings of agent runs made outside any workflow are written exactly as before workflows.

``saved/agent-only.jsonl`` holds the lines an earlier llmkit wrote for two agent runs (one
with tool calls, one failing at its model), with the times, the version and tracebacks
blanked. A change to the recorder that adds a key (a step path, a workflow id) or changes a
value of these lines fails here. Run this module as a script to write the file again, only
when such a change is meant.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from llmkit import Agent, tool
from llmkit.errors import ServerError
from llmkit.recording import Recording, record
from llmkit.testing import ScriptedModel, tool_call

SAVED = Path(__file__).parent / "saved" / "agent-only.jsonl"


@tool(run_in_thread=False)
def get_weather(city: str) -> dict[str, Any]:
    """Current weather in a city."""
    return {"city": city, "temperature_c": 18}


@tool(run_in_thread=False)
def broken(city: str) -> str:
    """Always fails."""
    raise RuntimeError("no data")


def _blank(line: str, first: bool) -> str:
    data = json.loads(line)
    if first:
        data["created"] = data["llmkit"] = "-"
    for key in ("t", "duration"):
        if key in data:
            data[key] = 0
    error = data.get("error")
    if isinstance(error, dict) and "traceback" in error:
        error["traceback"] = "-"
    return json.dumps(data, ensure_ascii=False)


def recorded_text(path: Path) -> str:
    """Two agent runs recorded to ``path``, read back with what differs between runs blanked."""
    weather = Agent(
        ScriptedModel(
            [
                [tool_call("get_weather", city="Paris"), tool_call("broken", city="Paris")],
                "18 °C in Paris.",
            ]
        ),
        name="weather",
        tools=[get_weather, broken],
        instructions="Be brief.",
    )
    failing = Agent(ScriptedModel([ServerError("upstream down")]), name="failing")
    with record(path):
        with weather.override(run_id="run-1"):
            weather.run_sync("Paris?")
        try:
            with failing.override(run_id="run-2"):
                failing.run_sync("Hello")
        except ServerError:
            pass
    lines = path.read_text(encoding="utf-8").splitlines()
    return "".join(_blank(line, i == 0) + "\n" for i, line in enumerate(lines))


def test_agent_runs_outside_workflows_record_the_same_lines_as_before(tmp_path: Path) -> None:
    assert recorded_text(tmp_path / "run.jsonl") == SAVED.read_text(encoding="utf-8")


def test_an_agent_only_recording_holds_no_workflow(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    recorded_text(path)
    recording = Recording.load(path)
    assert recording.workflows == []
    assert [run.run_id for run in recording.runs] == ["run-1", "run-2"]


if __name__ == "__main__":  # pragma: no cover - rewrites the saved file
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else SAVED
    target.write_text(recorded_text(target.with_suffix(".raw")), encoding="utf-8")
    target.with_suffix(".raw").unlink()

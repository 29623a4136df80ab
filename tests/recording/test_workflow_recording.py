"""Recording workflow runs: the lines written, the runs read back, the tree ``llmkit replay`` prints."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from llmkit import Agent
from llmkit._recording.trace import play_recording
from llmkit.cli import main
from llmkit.errors import UsageError, WorkflowError
from llmkit.recording import Recording, record
from llmkit.testing import ScriptedModel
from llmkit.workflow import Retry, map_each, parallel, sequence, step

pytestmark = pytest.mark.anyio


class Article(BaseModel):
    topic: str
    notes: str = ""
    score: float = 0.0


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[1:]]


def shape(lines: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Each line as (topic, path, kind, attempt or attempts), for comparing orders."""
    out = []
    for d in lines:
        number = d.get("attempt", d.get("attempts"))
        out.append((d["topic"], d.get("path", ""), d.get("kind", d.get("where", "")), number))
    return out


def flaky() -> Any:
    seen: list[int] = []

    def score(state: Article) -> float:
        seen.append(1)
        if len(seen) == 1:
            raise ConnectionError("warming up")
        return 0.5

    return score


def article() -> Any:
    researcher = Agent(ScriptedModel(["Notes."]), name="researcher")
    return sequence(
        step(researcher, input=lambda s: s.topic, output="notes"),
        step(flaky(), name="score", output="score", retry=Retry(attempts=2, delay=0)),
        name="article",
        state=Article,
    )


async def test_the_lines_of_a_flow_with_an_agent_and_a_retry(tmp_path: Path) -> None:
    path = tmp_path / "flow.jsonl"
    with record(path):
        result = await article().run({"topic": "tides"}, run_id="wf-1", clock=lambda: 0.0)
    lines = lines_of(path)
    assert shape(lines) == [
        ("workflow.start", "article", "", None),
        ("workflow.step.start", "article", "sequence", 1),
        ("workflow.step.start", "article/researcher", "agent", 1),
        ("run.start", "article/researcher", "", 1),
        ("model.request", "article/researcher", "", None),
        ("model.response", "article/researcher", "", None),
        ("run.end", "article/researcher", "", None),
        ("workflow.step.end", "article/researcher", "agent", 1),
        ("workflow.step.start", "article/score", "function", 1),
        ("error", "article/score", "function", 1),
        ("workflow.step.start", "article/score", "function", 2),
        ("workflow.step.end", "article/score", "function", 2),
        ("workflow.step.end", "article", "sequence", 1),
        ("workflow.end", "article", "", None),
    ]
    start, run_start, score_start, error, end = (lines[i] for i in (0, 3, 8, 9, -1))
    assert start["run_id"] == "wf-1" and start["state"] == {
        "topic": "tides",
        "notes": "",
        "score": 0.0,
    }
    assert run_start["workflow"] == "wf-1" and run_start["attempt"] == 1
    assert score_start["input"] == {"topic": "tides", "notes": "Notes.", "score": 0.0}
    assert "input" not in lines[2]  # an agent's input is on its run.start
    assert error["where"] == "step" and error["error_type"] == "ConnectionError"
    assert error["message"] == "warming up"
    assert error["error_class"] == "builtins:ConnectionError"
    assert lines[11]["output"] == 0.5
    assert end["status"] == "complete" and end["result"] == result.to_dict()


async def test_a_failed_run_ends_with_its_error_state_and_trace(tmp_path: Path) -> None:
    def broken(state: dict[str, Any]) -> None:
        raise ValueError("bad score")

    flow = sequence(step(lambda s: 1, name="one", output="a"), step(broken), name="fails")
    path = tmp_path / "flow.jsonl"
    with record(path), pytest.raises(WorkflowError) as info:
        await flow.run({}, run_id="wf-2")
    lines = lines_of(path)
    errors = [(d["path"], d["kind"], d["error_type"]) for d in lines if d["topic"] == "error"]
    # The sequence's line names what its step raised, not how the workflow passed it up.
    assert errors == [
        ("fails/broken", "function", "ValueError"),
        ("fails", "sequence", "ValueError"),
    ]
    end = lines[-1]
    assert end["topic"] == "workflow.end" and end["status"] == "failed"
    assert end["error_type"] == "WorkflowError" and end["message"] == str(info.value)
    assert end["failed_at"] == "fails/broken"
    assert end["state"] == {"a": 1}
    assert [r["path"] for r in end["trace"]] == ["fails", "fails/one", "fails/broken"]
    flow_read = Recording.load(path).workflow()
    assert flow_read.status == "failed" and flow_read.result_data is None
    assert [r["status"] for r in flow_read.trace_data or []] == ["failed", "ok", "failed"]


async def test_recording_workflows_and_lookups(tmp_path: Path) -> None:
    path = tmp_path / "flow.jsonl"
    with record(path):
        first = await article().run({"topic": "tides"})
        second = await article().run({"topic": "moons"})
    recording = Recording.load(path)
    assert [f.run_id for f in recording.workflows] == [first.run_id, second.run_id]
    assert recording.workflow(1) is recording.workflow(second.run_id)
    flow = recording.workflow()
    assert (flow.name, flow.status, flow.state_data["topic"]) == ("article", "complete", "tides")
    assert flow.result_data == first.to_dict()
    assert [run.agent for run in flow.runs] == ["researcher"]
    assert flow.agent_run("article/researcher", 1) is flow.runs[0]
    assert flow.agent_run("article/researcher", 2) is None
    assert flow.step_input("article/score", 2) == {
        "topic": "tides",
        "notes": "Notes.",
        "score": 0.0,
    }
    outcome = flow.step_outcome("article/score", 1)
    assert outcome is not None and outcome.data["error_type"] == "ConnectionError"
    assert flow.step_outcome("article/nothing", 1) is None
    assert len(recording.runs) == 2  # the agent runs inside workflows are runs too
    assert "workflows=2" in repr(recording)
    with pytest.raises(UsageError, match="holds 2 workflow runs; workflow\\(5\\) does not exist"):
        recording.workflow(5)
    with pytest.raises(UsageError, match="holds no workflow run with id 'nope'"):
        recording.workflow("nope")


def test_a_recording_without_workflows_says_so(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with record(path):
        Agent(ScriptedModel(["Hi."]), name="a").run_sync("Hello")
    with pytest.raises(UsageError, match="holds no workflow run"):
        Recording.load(path).workflow()


async def test_the_lines_of_a_parallel_and_a_map(tmp_path: Path) -> None:
    flow = sequence(
        parallel(step(lambda s: "a", name="a"), step(lambda s: "b", name="b"), output="both"),
        map_each(step(lambda item: item * 2, name="double"), over="items", output="doubled"),
        name="fan",
    )
    path = tmp_path / "flow.jsonl"
    with record(path):
        await flow.run({"items": [1, 2]})
    starts = sorted(
        (d["path"], d["kind"]) for d in lines_of(path) if d["topic"] == "workflow.step.start"
    )
    assert starts == [
        ("fan", "sequence"),
        ("fan/both", "parallel"),
        ("fan/both[0]/a", "function"),
        ("fan/both[1]/b", "function"),
        ("fan/doubled", "map"),
        ("fan/doubled[0]/double", "function"),
        ("fan/doubled[1]/double", "function"),
    ]


# ------------------------------------------------------------------------- the tree

TREE = """\
workflow 'article' run wf-3: complete
  article (sequence) ok, 0.00 s, 2+2 tokens
    researcher (agent) ok, 0.00 s, 2+2 tokens
      run <id> agent 'researcher' on test/scripted
        user: tides
        [1] -> test/scripted (researcher): 1 message, 0 tools
        [1] <- stop: "Notes." (2+2 tokens)
        => complete: Notes.
           1 model call, 2+2 tokens
    score (function) ok, 2 attempts, 0.00 s
  => complete: 0.5
     2+2 tokens
"""


def _ids(text: str) -> str:
    return re.sub(r"run [0-9a-f]{12} agent", "run <id> agent", text)


async def test_llmkit_replay_prints_a_workflow_as_a_tree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "flow.jsonl"
    with record(path):
        await article().run({"topic": "tides"}, run_id="wf-3", clock=lambda: 0.0)
    assert main(["replay", str(path)]) == 0
    assert _ids(capsys.readouterr().out) == TREE
    assert main(["replay", str(path), "--run", "0"]) == 0
    assert _ids(capsys.readouterr().out) == TREE
    assert main(["replay", str(path), "--run", "wf-3"]) == 0
    assert _ids(capsys.readouterr().out) == TREE


async def test_a_tree_shows_failures_and_the_agent_runs_outside_workflows(
    tmp_path: Path,
) -> None:
    def broken(state: dict[str, Any]) -> None:
        raise ValueError("bad score")

    path = tmp_path / "flow.jsonl"
    with record(path):
        await Agent(ScriptedModel(["Hi."]), name="alone").run("Hello")
        with pytest.raises(WorkflowError):
            await sequence(step(broken), name="fails").run({}, run_id="wf-4", clock=lambda: 0.0)
    out = io.StringIO()
    play_recording(Recording.load(path), out=out)
    text = out.getvalue()
    assert text.startswith("run ")  # the agent run outside the workflow, printed as before
    assert (
        "workflow 'fails' run wf-4: failed\n"
        "  fails (sequence) failed, 0.00 s: ValueError: bad score\n"
        "    broken (function) failed, 0.00 s: ValueError: bad score\n"
        "  => failed at fails/broken: WorkflowError: Workflow 'fails' failed at fails/broken: "
        "ValueError: bad score\n"
    ) in text


def test_a_tree_is_built_from_the_step_lines_when_the_run_did_not_end(tmp_path: Path) -> None:
    path = tmp_path / "flow.jsonl"
    with record(path):
        article().run_sync({"topic": "tides"}, run_id="wf-5")
    cut = [
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if '"workflow.end"' not in line
        and '"topic": "workflow.step.end", "run_id": "wf-5", "kind": "sequence"' not in line
    ]
    path.write_text("\n".join(cut) + "\n", encoding="utf-8")
    out = io.StringIO()
    play_recording(Recording.load(path), out=out)
    text = out.getvalue()
    assert text.startswith("workflow 'article' run wf-5: unfinished\n")
    assert "  article (sequence) unfinished\n" in text
    assert "    score (function) ok, 2 attempts" in text

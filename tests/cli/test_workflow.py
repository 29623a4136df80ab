"""``llmkit workflow run|show``: targets, input, output, progress lines, recording, every exit status."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from llmkit.cli import main

APP = """
import asyncio

from pydantic import BaseModel

from llmkit import Agent
from llmkit.errors import NetworkBlockedError
from llmkit.testing import TestModel
from llmkit.workflow import Retry, sequence, step


class Doc(BaseModel):
    topic: str
    notes: str = ""
    n: int = 0


attempts = []


def flaky(state):
    attempts.append(1)
    if len(attempts) == 1:
        raise TimeoutError("slow")
    return len(attempts)


article = sequence(
    step(Agent(TestModel(), name="researcher"), input="topic", output="notes"),
    step(flaky, output="n", retry=Retry(attempts=3, delay=0)),
    name="article",
    state=Doc,
)


def boom(state):
    raise ValueError("no luck")


fails = sequence(step(lambda s: 1, name="one", output="x"), boom, name="fails")
went_on = sequence(step(boom, on_error="continue"), step(lambda s: 2, name="two", output="y"), name="went_on")


def late(state):
    raise TimeoutError("the service did not answer")


times_out = sequence(late, name="times_out")


async def waits(state):
    await asyncio.Event().wait()


hangs = sequence(waits, name="hangs")


def refused(state):
    raise NetworkBlockedError("no network here")


sandboxed = sequence(refused, name="sandboxed")


def interrupt(state):
    raise KeyboardInterrupt


interrupted = sequence(step(lambda s: 1, name="first", output="x"), interrupt, name="interrupted")
typed_wrong = sequence(step(lambda s: 1, name="one", output="missing"), name="typed_wrong", state=Doc)
names = {"double": lambda n: n * 2}
not_a_flow = 42
"""


@pytest.fixture
def app(tmp_path: Path) -> str:
    path = tmp_path / "wfapp.py"
    path.write_text(APP, encoding="utf-8")
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["workflow", *argv])
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------------------- run


def test_run_prints_the_final_state_and_plain_progress(
    app: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "run", f"{app}:article", "--input", '{"topic": "tides"}', "--progress", "plain"
    )
    assert code == 0
    assert json.loads(out) == {"topic": "tides", "notes": "success (no tool calls)", "n": 2}
    lines = err.splitlines()
    patterns = [
        r"^ +\d+\.\d\ds start   article$",
        r"^ +\d+\.\d\ds start   article/researcher$",
        r"^ +\d+\.\d\ds ok      article/researcher  \(1 attempt, \d+ tokens\)$",
        r"^ +\d+\.\d\ds start   article/flaky$",
        r"^ +\d+\.\d\ds retry   article/flaky  attempt 1 failed: TimeoutError: slow; "
        r"next in 0\.0s$",
        r"^ +\d+\.\d\ds start   article/flaky  attempt 2$",
        r"^ +\d+\.\d\ds ok      article/flaky  \(2 attempts\)$",
        r"^ +\d+\.\d\ds ok      article  \(1 attempt, \d+ tokens\)$",
        r"^ +\d+\.\d\ds done    article$",
    ]
    assert len(lines) == len(patterns), err
    for line, pattern in zip(lines, patterns, strict=True):
        assert re.match(pattern, line), (line, pattern)


def test_auto_progress_off_a_terminal_is_plain(
    app: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "run", f"{app}:article", "--input", '{"topic": "tides"}')
    assert code == 0
    assert re.search(r"^ +\d+\.\d\ds done    article$", err, flags=re.M)


def test_json_prints_the_whole_result(app: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys,
        "run",
        f"{app}:article",
        "--input",
        '{"topic": "tides"}',
        "--json",
        "--progress",
        "off",
    )
    assert code == 0 and err == ""
    result = json.loads(out)
    assert result["name"] == "article" and result["state"]["n"] == 2
    assert [r["path"] for r in result["trace"]] == [
        "article",
        "article/researcher",
        "article/flaky",
    ]
    assert result["trace"][2]["attempts"] == 2


def test_input_from_a_file_and_from_stdin(
    app: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    given = tmp_path / "state.json"
    given.write_text('{"topic": "waves"}', encoding="utf-8")
    code, out, _ = run(capsys, "run", f"{app}:article", "--input", f"@{given}", "--progress", "off")
    assert code == 0 and json.loads(out)["topic"] == "waves"
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO('{"topic": "tides"}'))
    code, out, _ = run(capsys, "run", f"{app}:article", "--input", "-", "--progress", "off")
    assert code == 0 and json.loads(out)["topic"] == "tides"


def test_a_module_target_on_the_path(
    app: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "wfapp", raising=False)
    code, out, _ = run(capsys, "run", "wfapp:went_on", "--progress", "off")
    assert code == 1  # it completed, but a step failed and the run went on
    assert json.loads(out) == {"y": 2}


def test_record_writes_the_run_to_a_file(
    app: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recording = tmp_path / "run.jsonl"
    code, _, _ = run(
        capsys,
        "run",
        f"{app}:article",
        "--input",
        '{"topic": "tides"}',
        "--progress",
        "off",
        "--record",
        str(recording),
    )
    assert code == 0
    topics = [json.loads(line).get("topic") for line in recording.read_text().splitlines()]
    assert "run.start" in topics and "run.end" in topics


# ------------------------------------------------------------------------ exit statuses


def test_a_failed_run_exits_1_with_the_error_line(
    app: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "run", f"{app}:fails", "--progress", "plain")
    assert code == 1 and out == ""
    assert re.search(r"failed  fails/boom  \(1 attempt\): ValueError: no luck$", err, flags=re.M)
    assert err.splitlines()[-1] == (
        "error: Workflow 'fails' failed at fails/boom: ValueError: no luck"
    )


def test_a_run_that_went_on_after_a_failure_exits_1(
    app: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "run", f"{app}:went_on", "--progress", "off")
    assert code == 1 and json.loads(out) == {"y": 2}
    assert err == (
        "error: 1 step failed and the run went on; first at went_on/boom: ValueError: no luck\n"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "{app}:nothing"], "TARGET: '{app}' has no 'nothing'."),
        (["run", "{app}:not_a_flow"], "TARGET '{app}:not_a_flow' is a int, not a workflow"),
        (["run", "{app}"], "TARGET takes MODULE:NAME or path/to/file.py:NAME"),
        (["run", "no_such_module_here:flow"], "TARGET: no module named 'no_such_module_here'."),
        (["run", "{app}:article", "--input", "{{nope"], "--input (--input) is not valid JSON"),
        (["run", "{app}:article", "--input", "[1]"], "takes a JSON object (the state's fields)"),
        (["run", "{app}:article", "--input", '{{"topic": 3}}'], "--input does not fit Doc: topic:"),
        (["run", "{app}:article", "--input", "@missing.json"], "--input: cannot read"),
        (["run", "{app}:article", "--registry", "{app}:names"], "--registry is for definition"),
        (["run", "{app}:hangs", "--timeout", "-1"], "timeout=...) takes seconds"),
        (["run", "{app}:hangs", "--progress", "fancy"], ""),
        (["show"], ""),
        ([], ""),
    ],
)
def test_command_line_mistakes_exit_2(
    app: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *[part.format(app=app) for part in argv])
    assert code == 2 and out == ""
    assert message.format(app=app) in err


def test_a_module_that_fails_to_import_exits_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken_wf.py"
    broken.write_text("raise RuntimeError('half written')\n", encoding="utf-8")
    code, _, err = run(capsys, "show", f"{broken}:flow")
    assert code == 3
    assert "importing" in err and "RuntimeError: half written" in err
    assert "broken_wf" not in sys.modules


def test_a_definition_problem_found_at_run_start_exits_3(
    app: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "run", f"{app}:typed_wrong", "--input", '{"topic": "t"}')
    assert code == 3 and out == ""
    assert "missing" in err and "Doc" in err


def test_a_timeout_exits_4(app: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "run", f"{app}:times_out", "--progress", "off")
    assert code == 4 and "TimeoutError: the service did not answer" in err
    code, _, err = run(capsys, "run", f"{app}:hangs", "--progress", "off", "--timeout", "0.05")
    assert code == 4
    assert err == "error: Workflow 'hangs' took longer than its timeout of 0.05 s.\n"


def test_a_sandbox_refusal_exits_5(app: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "run", f"{app}:sandboxed", "--progress", "off")
    assert code == 5 and "NetworkBlockedError: no network here" in err


def test_ctrl_c_exits_130_saying_where_the_run_stopped(
    app: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for progress in ("off", "plain"):
        code, out, err = run(capsys, "run", f"{app}:interrupted", "--progress", progress)
        assert code == 130 and out == ""
        assert err.splitlines()[-1] == (
            "error: interrupted; the run stopped at interrupted/interrupt"
        )


# ------------------------------------------------------------------------------- show


def test_show_prints_the_tree_and_the_mermaid_chart(
    app: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "show", f"{app}:article")
    assert code == 0
    assert out == (
        "article (sequence) state=Doc\n"
        "├── researcher (agent) input=topic -> notes\n"
        "└── flaky (function) -> n [retry 3 exponential]\n"
    )
    code, out, _ = run(capsys, "show", f"{app}:article", "--mermaid")
    assert code == 0
    assert out.startswith('flowchart TD\n    subgraph n0["article<br/>sequence"]\n')
    assert "        n1 --> n2\n" in out


def test_help_lists_the_workflow_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert re.search(
        r"^    workflow +run a workflow with live progress", capsys.readouterr().out, re.M
    )


# ------------------------------------------------------------------------ definitions


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_a_definition_target_with_its_registry(
    app: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    definition = tmp_path / f"double{suffix}"
    data = {"name": "doubled", "steps": [{"function": "double", "input": "n", "output": "n"}]}
    definition.write_text(json.dumps(data), encoding="utf-8")  # JSON is YAML too
    code, out, _ = run(
        capsys,
        "run",
        str(definition),
        "--registry",
        f"{app}:names",
        "--input",
        '{"n": 4}',
        "--progress",
        "off",
    )
    assert code == 0 and json.loads(out) == {"n": 8}
    code, out, _ = run(capsys, "show", str(definition), "--registry", f"{app}:names")
    assert code == 0 and out.startswith("doubled (sequence)")


def test_a_definition_mistake_exits_3_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    definition = tmp_path / "bad.yaml"
    definition.write_text("name: bad\nsteps:\n  - {paralel: []}\n", encoding="utf-8")
    code, _, err = run(capsys, "show", str(definition))
    assert code == 3 and "bad.yaml, line 3" in err


def test_a_missing_definition_file_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "show", "nowhere.yaml")
    assert code == 2 and "no file 'nowhere.yaml'" in err

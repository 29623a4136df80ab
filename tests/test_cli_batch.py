"""``llmkit batch``: every line of an inputs file through a target, results file, resume, a malformed
line reported by number while the others run, and the exit statuses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from llmkit.cli import ExitCode, main

APP = """
from llmkit import Agent
from llmkit.testing import FunctionModel
from llmkit.workflow import sequence, step


def shout(request):
    return (request.messages[-1].text or "").upper()


agent = Agent(FunctionModel(shout), name="shouter")
ran = []


def square(value):
    ran.append(value)
    if value < 0:
        raise ValueError("negative")
    return value * value


flow = sequence(step(lambda state: state["n"] + 1, name="plus"), name="plus_one")
not_a_target = 42
"""


@pytest.fixture
def app(tmp_path: Path) -> str:
    path = tmp_path / "batch_app.py"
    path.write_text(APP)
    return str(path)


def write_lines(path: Path, *lines: str) -> Path:
    path.write_text("".join(line + "\n" for line in lines))
    return path


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_an_agent_over_every_line_into_a_results_file_then_resumed(
    app: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = write_lines(tmp_path / "in.jsonl", '"one"', '{"input": "two"}', '"three"')
    out = tmp_path / "results.jsonl"
    code = main(["batch", f"{app}:agent", str(inputs), "--out", str(out), "--concurrency", "2"])
    assert code == ExitCode.OK
    by_index = {line["index"]: line["output"] for line in read_lines(out)}
    assert by_index == {0: "ONE", 1: "TWO", 2: "THREE"}
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("batch: 3 ok, 0 failed,")
    code = main(["batch", f"{app}:agent", str(inputs), "--out", str(out)])
    assert code == ExitCode.OK
    assert "3 resumed" in capsys.readouterr().err
    assert len(read_lines(out)) == 3


def test_a_malformed_line_is_named_and_the_other_items_still_run(
    app: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = write_lines(tmp_path / "in.jsonl", '"one"', "{not json", "", "7", '"four"')
    out = tmp_path / "results.jsonl"
    code = main(["batch", f"{app}:agent", str(inputs), "--out", str(out)])
    assert code == ExitCode.FAILURE
    err = capsys.readouterr().err
    assert f"error: line 2 of {inputs} is not an input" in err
    assert f"error: line 4 of {inputs} is not an input: an agent takes a JSON string" in err
    assert "batch: 2 ok, 2 failed" in err
    lines = sorted(read_lines(out), key=lambda line: int(line["index"]))
    assert [line.get("output") for line in lines] == ["ONE", None, None, "FOUR"]
    assert lines[1]["error"]["type"] == "UsageError"
    assert "line 2 of" in lines[1]["error"]["message"]


def test_without_out_the_results_go_to_stdout_in_input_order(
    app: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = write_lines(tmp_path / "in.jsonl", *(str(n) for n in range(6)), "-1")
    code = main(["batch", f"{app}:square", str(inputs), "--concurrency", "3", "--progress", "off"])
    assert code == ExitCode.FAILURE
    results = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["index"] for r in results] == list(range(7))
    assert [r.get("output") for r in results] == [0, 1, 4, 9, 16, 25, None]
    assert results[6]["error"] == {"type": "ValueError", "message": "negative"}


def test_a_workflow_takes_an_object_per_line(
    app: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = write_lines(tmp_path / "in.jsonl", '{"n": 1}', '{"n": 10}', '"text"')
    code = main(["batch", f"{app}:flow", str(inputs), "--timeout", "30"])
    assert code == ExitCode.FAILURE
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r.get("output") for r in out] == [2, 11, None]
    assert "a workflow takes a JSON object" in out[2]["error"]["message"]


def test_plain_progress_is_a_line_per_item(
    app: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = write_lines(tmp_path / "in.jsonl", "2", "3")
    main(["batch", f"{app}:square", str(inputs), "--concurrency", "1", "--progress", "plain"])
    err = capsys.readouterr().err.splitlines()
    assert err[:2] == ["[1/2] item 0 ok", "[2/2] item 1 ok"]


def test_fail_fast_stops_at_the_first_error_with_its_status(
    app: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = write_lines(tmp_path / "in.jsonl", "-1", "2")
    code = main(["batch", f"{app}:square", str(inputs), "--fail-fast", "--concurrency", "1"])
    assert code == ExitCode.FAILURE
    assert "error: an item failed: ValueError: negative" in capsys.readouterr().err


def test_a_results_file_from_other_inputs_is_refused_and_kept(
    app: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results.jsonl"
    main(
        [
            "batch",
            f"{app}:square",
            str(write_lines(tmp_path / "a.jsonl", "1", "2")),
            "--out",
            str(out),
        ]
    )
    before = out.read_bytes()
    other = write_lines(tmp_path / "b.jsonl", "1", "5")
    code = main(["batch", f"{app}:square", str(other), "--out", str(out)])
    assert code == ExitCode.USAGE
    assert "holds results for other inputs" in capsys.readouterr().err
    assert out.read_bytes() == before


@pytest.mark.parametrize(
    ("argv", "status", "message"),
    [
        (["{app}:not_a_target", "{inputs}"], ExitCode.USAGE, "TARGET names a int"),
        (["{app}:nothing", "{inputs}"], ExitCode.USAGE, "has no 'nothing'"),
        (["{app}:square", "{missing}"], ExitCode.USAGE, "INPUTS: no file"),
        (["{app}:square", "{inputs}", "--concurrency", "0"], ExitCode.USAGE, "--concurrency"),
        (["{app}", "{inputs}"], ExitCode.USAGE, "TARGET takes MODULE:NAME"),
    ],
)
def test_command_line_mistakes_get_the_usage_status(
    app: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    status: ExitCode,
    message: str,
) -> None:
    inputs = write_lines(tmp_path / "in.jsonl", "1")
    names = {"app": app, "inputs": str(inputs), "missing": str(tmp_path / "none.jsonl")}
    code = main(["batch", *(arg.format(**names) for arg in argv)])
    assert code == status
    assert message in capsys.readouterr().err


def test_a_line_that_is_not_utf8_is_named_and_the_other_items_still_run(
    app: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = tmp_path / "in.jsonl"
    inputs.write_bytes(b'"one"\n"\xff\xfe two"\n"three"\n')
    code = main(["batch", f"{app}:agent", str(inputs), "--progress", "off"])
    assert code == ExitCode.FAILURE
    captured = capsys.readouterr()
    assert f"error: line 2 of {inputs} is not an input: 'utf-8' codec" in captured.err
    outputs = [line.get("output") for line in map(json.loads, captured.out.splitlines())]
    assert outputs == ["ONE", None, "THREE"]


def test_a_byte_order_mark_at_the_start_of_the_inputs_is_accepted(
    app: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = tmp_path / "in.jsonl"
    inputs.write_bytes(b'\xef\xbb\xbf"one"\r\n"two"\r\n')
    assert main(["batch", f"{app}:agent", str(inputs), "--progress", "off"]) == ExitCode.OK
    outputs = [json.loads(line)["output"] for line in capsys.readouterr().out.splitlines()]
    assert outputs == ["ONE", "TWO"]

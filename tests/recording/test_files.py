"""Bad recording files give typed errors naming the line; ``llmkit replay`` prints a trace."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from llmkit import Agent, tool
from llmkit._recording.trace import play
from llmkit.cli import main
from llmkit.errors import RecordingError, RecordingVersionError, SerializationError
from llmkit.recording import Recording, record
from llmkit.testing import ScriptedModel, tool_call


@tool(run_in_thread=False)
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    path = tmp_path / "run.jsonl"
    model = ScriptedModel([tool_call("add", a=2, b=3), "The sum is 5."])
    with record(path):
        Agent(model, tools=[add], name="calc").run_sync("What is 2+3?")
    return path


def test_a_corrupt_line_is_reported_with_its_number(recorded: Path) -> None:
    lines = recorded.read_text().splitlines(keepends=True)
    lines[3] = '{"topic": "model.response", "response": {oops}\n'
    recorded.write_text("".join(lines))
    before = recorded.read_text()
    with pytest.raises(RecordingError) as caught:
        Recording.load(recorded)
    err = caught.value
    assert type(err) is RecordingError and isinstance(err, SerializationError)
    assert err.line == 4 and err.path == str(recorded)
    assert f"{recorded}, line 4: not valid JSON" in str(err)
    assert recorded.read_text() == before  # nothing is written to a file being read


@pytest.mark.parametrize("number", [1, 4])
def test_a_deeply_nested_line_is_a_recording_error_naming_the_line(
    recorded: Path, number: int
) -> None:
    lines = recorded.read_text().splitlines(keepends=True)
    depth = 100_000
    lines[number - 1] = '{"topic": "model.response", "x": ' + "[" * depth + "]" * depth + "}\n"
    recorded.write_text("".join(lines))
    with pytest.raises(RecordingError) as caught:
        Recording.load(recorded)
    err = caught.value
    assert err.line == number and err.path == str(recorded)
    assert f"{recorded}, line {number}: " in str(err) and "nested too deeply" in str(err)


def test_a_truncated_recording_says_so_and_names_the_last_line(recorded: Path) -> None:
    text = recorded.read_text()
    recorded.write_text(text[: len(text) - 40])  # cut in the middle of the last line
    with pytest.raises(RecordingError) as caught:
        Recording.load(recorded)
    err = caught.value
    assert type(err) is RecordingError
    assert err.line == len(text.splitlines())
    assert "cut short" in str(err) and "events before it are readable" in str(err)


def test_an_unknown_event_is_reported_with_its_line(recorded: Path) -> None:
    with recorded.open("a") as file:
        file.write('{"topic": "model.telepathy", "t": 1}\n')
    with pytest.raises(RecordingError, match=r"line 10: not a valid event: Unknown event topic"):
        Recording.load(recorded)


def test_a_recording_from_a_newer_format_says_to_upgrade(recorded: Path) -> None:
    lines = recorded.read_text().splitlines(keepends=True)
    header = json.loads(lines[0])
    header["llmkit_recording"] = 99
    header["llmkit"] = "9.0.0"
    lines[0] = json.dumps(header) + "\n"
    recorded.write_text("".join(lines))
    with pytest.raises(RecordingVersionError) as caught:
        Recording.load(recorded)
    err = caught.value
    assert type(err) is RecordingVersionError and err.line == 1
    assert "newer llmkit (9.0.0, recording format 99)" in str(err)
    assert "Upgrade llmkit" in str(err)


@pytest.mark.parametrize(
    "content",
    ["", "hello\n", '{"not": "a recording"}\n', '{"llmkit_recording": "1"}\n'],
    ids=["empty", "text", "other-json", "bad-version"],
)
def test_files_that_are_not_recordings(tmp_path: Path, content: str) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(content)
    with pytest.raises(RecordingError) as caught:
        Recording.load(path)
    assert type(caught.value) is RecordingError and caught.value.line == 1


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="No recording at"):
        Recording.load(tmp_path / "nope.jsonl")


def test_picking_runs(recorded: Path) -> None:
    recording = Recording.load(recorded)
    run = recording.run(0)
    assert recording.run(run.run_id) is run
    from llmkit.errors import UsageError

    with pytest.raises(UsageError, match="holds 1 run;"):
        recording.run(3)
    with pytest.raises(UsageError, match="no run with id"):
        recording.run("nope")


# ----------------------------------------------------------------------- CLI


def test_llmkit_replay_prints_the_run_as_a_trace(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", str(recorded), "--speed", "0"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("run ") and "agent 'calc' on test/scripted" in out[0]
    assert out[1] == "  user: What is 2+3?"
    assert out[2] == "  [1] -> test/scripted (calc): 1 message, 1 tool"
    assert out[3].startswith('  [1] <- tool_calls: add({"a": 2, "b": 3})')
    assert out[4] == '  [1]    tool add({"a": 2, "b": 3})'
    assert out[5].startswith("  [1]    ok add: 5 (")
    assert out[7].startswith('  [2] <- stop: "The sum is 5."')
    assert out[8] == "  => complete: The sum is 5."
    assert out[9].startswith("     2 model calls, ")


def test_llmkit_replay_says_1_model_call_not_1_model_calls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "one.jsonl"
    with record(path):
        Agent(ScriptedModel(["Hi."]), name="greeter").run_sync("Hello")
    assert main(["replay", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[2].endswith(": 1 message, 0 tools")
    assert out[-1].startswith("     1 model call, ")


def test_llmkit_replay_reports_a_bad_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("nonsense\n")
    assert main(["replay", str(path)]) == 1
    assert "line 1" in capsys.readouterr().err


def test_speed_paces_the_trace_by_the_recorded_timing(recorded: Path) -> None:
    lines = Recording.load(recorded).lines
    waits: list[float] = []
    out: list[str] = []

    class Sink:
        def write(self, text: str) -> None:
            out.append(text)

        def flush(self) -> None:
            pass

    play(lines, speed=2, out=Sink(), sleep=waits.append)  # type: ignore[arg-type]
    expected = [(b.t - a.t) / 2 for a, b in itertools.pairwise(lines) if b.t > a.t]
    assert waits == pytest.approx(expected)
    waits.clear()
    play(lines, speed=0, out=Sink(), sleep=waits.append)  # type: ignore[arg-type]
    assert waits == []

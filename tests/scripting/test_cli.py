"""``llmkit script run|repl|test``: output, parameters, limits and the exit codes of the one table."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from llmkit._cli.script import watch_loop, watched
from llmkit.cli import main


def _file(tmp_path: Path, code: str, name: str = "s.lua") -> str:
    path = tmp_path / name
    path.write_text(code)
    return str(path)


def test_run_prints_the_output_and_takes_params(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = _file(tmp_path, 'print("hi " .. params.name)\noutput({ n = tonumber(params.n) })')
    assert main(["script", "run", script, "-p", "name=bo", "-p", "n=3"]) == 0
    assert capsys.readouterr().out == 'hi bo\n{"n": 3}\n'


def test_run_json_prints_the_whole_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = _file(tmp_path, 'log.info("x")\nprint("p")\nreturn 4')
    assert main(["script", "run", script, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "value": 4,
        "outputs": [],
        "printed": "p\n",
        "logs": [{"level": "info", "message": "x"}],
    }


@pytest.mark.parametrize(
    ("code", "options", "status"),
    [
        ("error('boom')", [], 1),
        ("x = = 1", [], 1),
        ("os.execute('true')", [], 5),
        ("io.open('/etc/passwd')", [], 5),
        ("while true do end", ["--timeout", "1ms"], 4),
        ("local s = string.rep('x', 2^30)", ["--max-memory", "8MB"], 1),
        ("while true do end", ["--max-instructions", "10000"], 1),
        ("return 1", ["--timeout", "soon"], 2),
        ("return 1", ["--max-memory", "lots"], 2),
    ],
)
def test_exit_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], code: str, options: list[str], status: int
) -> None:
    assert main(["script", "run", _file(tmp_path, code), *options]) == status
    assert capsys.readouterr().err.startswith("error: ")


def test_a_missing_script_or_bad_param_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["script", "run", str(tmp_path / "none.lua")]) == 2
    assert main(["script", "run", _file(tmp_path, "return 1"), "-p", "novalue"]) == 2


def test_run_fake_answers_from_the_offline_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = _file(
        tmp_path, 'return llm.generate{ model = "openai/gpt-4.1-mini", prompt = "hi" }.text'
    )
    assert main(["script", "run", script, "--fake"]) == 0
    assert "fake server" in capsys.readouterr().out


def test_repl_keeps_globals_between_lines(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("x = 2\nx * 3\nerror('oops')\nx + 1\n"))
    assert main(["script", "repl"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "6\n3\n"
    assert "oops" in captured.err


def test_watch_runs_again_when_a_script_changes() -> None:
    stamps = iter([1, 1, 2, 2])
    runs: list[int] = []
    status = watch_loop(
        lambda: next(stamps), lambda: runs.append(1) or 0, sleep=lambda _: None, runs=2
    )
    assert (status, len(runs)) == (0, 2)


def test_test_reports_like_pytest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _file(
        tmp_path,
        """describe("calc", function()
             it("adds", function() expect(1 + 1).to_be(2) end)
             it("is wrong", function() expect(1 + 1).to_be(3) end)
           end)""",
        name="calc_spec.lua",
    )
    assert main(["script", "test", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "calc_spec.lua::calc adds PASSED" in out
    assert "calc_spec.lua::calc is wrong FAILED" in out
    assert "expected 2 to be 3" in out
    assert out.rstrip().splitlines()[-1].startswith("1 passed, 1 failed in ")


def test_test_runs_javascript_spec_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _file(
        tmp_path,
        """describe("calc", () => {
             it("adds", async () => { expect(await json.decode("2") + 1).toBe(3); });
             it("is wrong", () => { expect(1 + 1).toBe(3); });
           });""",
        name="calc_spec.js",
    )
    _file(tmp_path, 'it("passes", function() expect(1).to_be(1) end)', name="more_spec.lua")
    assert main(["script", "test", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "calc_spec.js::calc adds PASSED" in out
    assert "calc_spec.js::calc is wrong FAILED" in out
    assert "calc_spec.js:3: expected 2 to be 3" in out
    assert "more_spec.lua::passes PASSED" in out
    assert out.rstrip().splitlines()[-1].startswith("2 passed, 1 failed in ")
    _file(tmp_path, 'it("fails no more", () => { expect(1 + 1).toBe(2); });', name="calc_spec.js")
    assert main(["script", "test", str(tmp_path)]) == 0


def test_test_leaves_spec_files_of_no_engine_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _file(tmp_path, 'it("passes", function() expect(1).to_be(1) end)', name="a_spec.lua")
    _file(tmp_path, 'it("passes", () => { expect(1).toBe(1); });', name="a_spec.js")
    _file(tmp_path, "def test_it(): pass\n", name="x_spec.py")
    assert main(["script", "test", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "a_spec.lua::passes PASSED" in out
    assert "a_spec.js::passes PASSED" in out
    assert "x_spec.py" not in out
    assert out.rstrip().splitlines()[-1].startswith("2 passed in ")
    alone = tmp_path / "alone"
    alone.mkdir()
    _file(alone, "", name="x_spec.py")
    assert main(["script", "test", str(alone)]) == 2
    assert f"No spec files (*_spec.js, *_spec.lua) under {alone}." in capsys.readouterr().err


def _touch(path: Path, text: str) -> None:
    path.write_text(text)
    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + 10))  # a new mtime, however coarse the clock


def test_watch_sees_every_extension_of_the_scripts_language(tmp_path: Path) -> None:
    script = _file(tmp_path, "return 1;", name="main.js")
    (tmp_path / "helper.mjs").write_text("export const x = 1;")
    (tmp_path / "notes.txt").write_text("-")
    (tmp_path / "other.lua").write_text("return 1")
    stamp = watched([script], engines=["js"])
    first = stamp()
    assert sorted(Path(name).name for name, _ in first) == ["helper.mjs", "main.js"]
    _touch(tmp_path / "notes.txt", "+")
    _touch(tmp_path / "other.lua", "return 2")
    assert stamp() == first
    _touch(tmp_path / "helper.mjs", "export const x = 2;")
    assert stamp() != first


def test_test_watch_runs_the_specs_again_when_a_module_below_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _file(
        tmp_path,
        'describe("calc", () => { it("adds", () => { expect(1 + 1).toBe(2); }); });',
        name="calc_spec.js",
    )
    (tmp_path / "lib").mkdir()
    module = tmp_path / "lib" / "helper.mjs"
    module.write_text("export const x = 1;")
    naps: list[float] = []

    def nap(seconds: float) -> None:
        naps.append(seconds)
        assert len(naps) < 5, "the change was not seen"
        if len(naps) == 2:
            _touch(module, "export const x = 2;")

    def twice(stamp: Any, run: Any) -> int:
        return watch_loop(stamp, run, sleep=nap, runs=2)

    monkeypatch.setattr("llmkit._cli.script.watch_loop", twice)
    assert main(["script", "test", str(tmp_path), "--watch"]) == 0
    assert capsys.readouterr().out.count("calc_spec.js::calc adds PASSED") == 2
    assert len(naps) == 2

"""``llmkit script repl`` (Lua and JavaScript) with piped input, ``run`` of a .js file, ``run --watch`` (both)."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

import pytest

GUARD = 60  # seconds: only a failure guard, never a synchronisation


def _llmkit(*args: str, stdin: int | None = None) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    return subprocess.Popen(
        [sys.executable, "-m", "llmkit", "script", *args],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_the_repl_reads_a_chunk_over_several_lines() -> None:
    lines = [
        "function twice(x)",
        "  return 2 * x",
        "end",
        "twice(21)",
        "t = {",
        "  1, 2,",
        "  3 }",
        "#t",
        "1 +",
        "  2",
        "x = = 1",
        "t[1] + 10",
        "for i = 1, 2 do",
    ]
    process = _llmkit("repl", stdin=subprocess.PIPE)
    out, err = process.communicate("\n".join(lines) + "\n", timeout=GUARD)
    assert process.returncode == 0
    assert out.splitlines() == ["42", "3", "3", "11"]
    errors = err.splitlines()
    assert len(errors) == 2
    assert "unexpected symbol near '='" in errors[0]  # a plain error: the next line starts anew
    assert "'end' expected" in errors[1]  # the input ended inside the loop


def test_the_js_repl_reads_a_chunk_over_several_lines_and_keeps_names() -> None:
    lines = [
        "function twice(x) {",
        "  return 2 * x",
        "}",
        "twice(21)",
        "let t = [1,",
        "  2, 3]",
        "t.length",
        "1 +",
        "  2",
        "let y = = 1",
        "t[0] + 10",
        "for (let i = 0; i < 2; i++) {",
    ]
    process = _llmkit("repl", "--lang", "js", stdin=subprocess.PIPE)
    out, err = process.communicate("\n".join(lines) + "\n", timeout=GUARD)
    assert process.returncode == 0
    assert out.splitlines() == ["42", "3", "3", "11"]
    errors = err.splitlines()
    assert len(errors) == 2
    assert "Unexpected token '='" in errors[0]  # a plain error: the next line starts anew
    assert "SyntaxError" in errors[1]  # the input ended inside the loop


def test_run_picks_the_js_engine_by_the_extension(tmp_path: Path) -> None:
    script = tmp_path / "hello.js"
    script.write_text('print("hi " + params.name);\nawait output({ n: Number(params.n) * 2 });')
    process = _llmkit("run", str(script), "-p", "name=bo", "-p", "n=21")
    out, err = process.communicate(timeout=GUARD)
    assert (process.returncode, err) == (0, "")
    assert out == 'hi bo\n{"n": 42}\n'


def _reader(stream: IO[str], into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line.rstrip("\n"))


def _until(lines: queue.Queue[str], wanted: str) -> list[str]:
    seen: list[str] = []
    while wanted not in seen:
        seen.append(lines.get(timeout=GUARD))
    return seen


WATCHED = {  # a language: its extension, a first and a second version, a module beside it
    "lua": (".lua", 'output("first version")', 'output("second version, " .. 6 * 7)', "return 1"),
    "js": (
        ".js",
        'await output("first version")',
        'await output("second version, " + 6 * 7)',
        "module.exports = 1",
    ),
}


@pytest.mark.parametrize("lang", sorted(WATCHED))
def test_watch_runs_again_when_the_script_changes(tmp_path: Path, lang: str) -> None:
    suffix, first, second, helper = WATCHED[lang]
    script = tmp_path / ("tool" + suffix)
    script.write_text(first)
    process = _llmkit("run", str(script), "--watch")
    out: queue.Queue[str] = queue.Queue()
    err: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None and process.stderr is not None
    for stream, into in ((process.stdout, out), (process.stderr, err)):
        threading.Thread(target=_reader, args=(stream, into), daemon=True).start()
    try:
        assert _until(out, "first version") == ["first version"]
        _until(err, "watching for changes (Ctrl-C to stop)")
        before = script.stat().st_mtime_ns
        script.write_text(second)
        os.utime(script, ns=(before + 10**9, before + 10**9))  # a later time on any file system
        assert _until(out, "second version, 42") == ["second version, 42"]
        module = tmp_path / ("helper" + suffix)  # a new script beside it counts as a change too
        module.write_text(helper)
        assert _until(out, "second version, 42") == ["second version, 42"]
    finally:
        process.send_signal(signal.SIGINT)
        status = process.wait(timeout=GUARD)
    assert status == 130

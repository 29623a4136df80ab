"""Zig drives libllmkit.so: examples/capi/agent.zig is built against llmkit.h (translate-c) and run.

The compiler is the ``ziglang`` package of the dev group. Its global cache (the compiled
C library glue and std) lives in ``.cache/zig`` of the repository, so only the first
build on a machine pays for it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from llmkit.capi import Built
from llmkit.testing import FakeProviderServer

from ._langs import (
    EXAMPLES,
    PARIS,
    ROOT,
    example_env,
    script_weather,
    succeeded,
    tool_results,
)
from .conftest import RunProgram

pytestmark = pytest.mark.capi

ZIG = [sys.executable, "-m", "ziglang"]


def _zig(args: list[str], cache: Path) -> str:
    env = dict(os.environ)
    env["ZIG_GLOBAL_CACHE_DIR"] = str(ROOT / ".cache" / "zig")
    env["ZIG_LOCAL_CACHE_DIR"] = str(cache)
    done = subprocess.run([*ZIG, *args], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"zig {args[0]} failed:\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def zig_agent(capi_library: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/capi/agent.zig built as the example's comment says, into a temporary folder."""
    capi_dir = capi_library.library.parent
    out = tmp_path_factory.mktemp("zig")
    bindings = out / "llmkit.zig"
    bindings.write_text(_zig(["translate-c", str(capi_dir / "llmkit.h")], out / "cache"))
    program = out / "agent-zig"
    _zig(
        [
            "build-exe",
            "--dep",
            "llmkit",
            f"-Mroot={EXAMPLES / 'agent.zig'}",
            f"-Mllmkit={bindings}",
            f"-L{capi_dir}",
            "-lllmkit",
            "-lc",
            "-rpath",
            str(capi_dir),
            f"-femit-bin={program}",
        ],
        out / "cache",
    )
    return program


def test_the_zig_example_runs_a_zig_tool_streams_and_reports_an_error(
    zig_agent: Path,
    capi_library: Built,
    llmkit_fake_server: FakeProviderServer,
    run_program: RunProgram,
) -> None:
    script_weather(llmkit_fake_server)
    env = example_env(capi_library, llmkit_fake_server)
    out = succeeded(run_program(zig_agent, env=env))
    lines = out.splitlines()
    assert lines[0].startswith("llmkit ") and lines[0].endswith(", ABI 1")
    assert "[zig tool] get_weather(Paris)" in lines
    assert "[run] kind run_result" in lines
    assert f"[run] output: {PARIS}" in lines
    assert "[zig tool] get_weather(Rome)" in lines
    count, kinds = next(line for line in lines if line.startswith("[stream] ")).split(": ", 1)
    kinds_list = kinds.split()
    assert count == f"[stream] {len(kinds_list)} events"
    assert kinds_list[0] == "run.start" and kinds_list[-1] == "run.end"
    assert kinds_list.index("tool.call") < kinds_list.index("tool.result")
    assert "[error] status 2: " in out  # LLMKIT_ERR_JSON, with a message
    assert lines[-1] == "done"
    results = tool_results(llmkit_fake_server)
    assert any("sunny" in r for r in results), results


def test_the_zig_example_says_what_to_set_without_a_server(
    zig_agent: Path, run_program: RunProgram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LLMKIT_BASE_URL", raising=False)
    done = run_program(zig_agent)
    assert done.returncode == 2
    assert "set LLMKIT_BASE_URL" in done.stdout


def test_the_zig_example_is_formatted_as_zig_fmt_writes_it(tmp_path: Path) -> None:
    _zig(["fmt", "--check", str(EXAMPLES / "agent.zig")], tmp_path)

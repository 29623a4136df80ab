"""A C program built against llmkit.h and libllmkit.so runs agents and provokes every error status.

The checks are in test_capi.c, one subcommand per behaviour; each prints ``ok NAME`` when they
all hold. The program talks to the fake provider server over 127.0.0.1.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from llmkit.durable import SQLiteStore

pytestmark = pytest.mark.capi

SOURCE = Path(__file__).with_name("test_capi.c")


@pytest.fixture(scope="module")
def program(compile_c: Callable[[Path], Path]) -> Path:
    return compile_c(SOURCE)


@pytest.mark.parametrize(
    "subcommand",
    [
        "agent",  # a run with a C-callback tool, its RunResult as versioned JSON
        "stream",  # events in order on the calling thread; sessions kept per client
        "arguments",  # NULL pointers, wrong JSON shapes, invalid JSON and UTF-8, unknown ids
        "handles",  # freed, reused, foreign and double-freed handles; shutdown and restart
        "tools",  # callbacks returning NULL, non-JSON, non-UTF-8; a provider that is down
        "slow",  # a callback longer than tool_timeout
        "cancel",  # llmkit_cancel from another thread
        "freed",  # a client freed, and llmkit shut down, while a call runs
        "threads",  # 8 threads running agents at once, on shared and own clients
        "json",  # values read out of JSON text by JSON Pointer
    ],
)
def test_c_program(program: Path, subcommand: str, fake_base_url: str, run_program: Any) -> None:
    done = run_program(program, subcommand, fake_base_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == f"ok {subcommand}"
    # Nothing of Python reaches the host's output: failures are statuses and messages.
    assert done.stderr == ""


def test_sessions_are_llmkit_durable_sessions(
    program: Path, fake_base_url: str, run_program: Any, tmp_path: Path
) -> None:
    path = tmp_path / "sessions.db"
    done = run_program(program, "store", fake_base_url, env={"LLMKIT_TEST_STORE": str(path)})
    assert done.returncode == 0, done.stdout + done.stderr

    async def read() -> list[str]:
        store = SQLiteStore(str(path))
        try:
            return [m.text for m in await store.session("user-42").messages()]
        finally:
            await store.close()

    assert asyncio.run(read()) == ["Remember me", "Hello! This is the llmkit fake server."]


def test_a_missing_environment_fails_every_call_with_init(
    program: Path, tmp_path: Path, run_program: Any
) -> None:
    done = run_program(program, "init-fails", env={"LLMKIT_PYTHON_ENV": str(tmp_path)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "ok init-fails"
    assert done.stderr == ""


def test_a_python_that_cannot_start_fails_every_call_with_init(
    program: Path, tmp_path: Path, run_program: Any
) -> None:
    done = run_program(program, "python-fails", env={"PYTHONHOME": str(tmp_path)})
    # The host goes on (Python's own report of its path configuration is on stderr).
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "ok python-fails"

"""A C program built against llmkit.h and libllmkit.so runs agents and provokes every error status.

The checks are in test_capi.c and the files of its topics (``SOURCES``), one subcommand per
behaviour; each prints ``ok NAME`` when they all hold. The program talks to the fake provider
server over 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from llmkit.capi import Built
from llmkit.cli import main
from llmkit.durable import SQLiteStore
from llmkit.testing import FakeProviderServer

pytestmark = pytest.mark.capi

SOURCE = Path(__file__).with_name("test_capi.c")
SOURCES = [
    SOURCE,
    *(SOURCE.with_name(f"capi_{topic}.c") for topic in ("runs", "errors", "threads", "process")),
]


@pytest.fixture(scope="module")
def program(compile_c: Callable[..., Path]) -> Path:
    return compile_c(SOURCES)


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
        "strict",  # lone surrogates, NaN and 1e400, U+0000, deep nesting; messages for C callers
        "nested",  # calls inside callbacks, on their own client; no shutdown from a nested callback
        "serial",  # a client's callbacks one at a time, across calls
        "fork",  # a child forked while llmkit runs gets ERR_STATE; after a shutdown it starts anew
        "options",  # run_timeout, max_steps: the client's, a request's for one run, null, refused
    ],
)
def test_c_program(program: Path, subcommand: str, fake_base_url: str, run_program: Any) -> None:
    done = run_program(program, subcommand, fake_base_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == f"ok {subcommand}"
    # Nothing of Python reaches the host's output: failures are statuses and messages.
    assert done.stderr == ""


def test_a_clients_settings_and_headers_reach_the_provider(
    program: Path, llmkit_fake_server: FakeProviderServer, fake_base_url: str, run_program: Any
) -> None:
    done = run_program(program, "wire", fake_base_url)
    assert done.returncode == 0, done.stdout + done.stderr
    sent = [r for r in llmkit_fake_server.requests if "x-llmkit-test" in r.headers]
    assert len(sent) == 1
    assert sent[0].headers["x-llmkit-test"] == "from C"
    assert sent[0].json["temperature"] == 0.25
    assert sent[0].json["seed"] == 7


def test_llmkit_capi_build_env_names_the_environment_the_library_runs(
    compile_c: Callable[..., Path],
    fake_base_url: str,
    run_program: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    elsewhere = tmp_path / "no-env"
    elsewhere.mkdir()
    assert main(["capi", "build", "--out", str(tmp_path / "out"), "--env", str(elsewhere)]) == 0
    library = capsys.readouterr().out.splitlines()[0]
    host = compile_c(SOURCE.with_name("dlopen_host.c"), link=False)
    done = run_program(host, library, fake_base_url)
    assert done.returncode == 1
    assert f"llmkit could not start in {str(elsewhere)!r}" in done.stdout
    assert "no Python" in done.stdout
    # $LLMKIT_PYTHON_ENV, when set, wins over the environment the build named.
    done = run_program(host, library, fake_base_url, env={"LLMKIT_PYTHON_ENV": sys.prefix})
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "ok dlopen"


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


def test_a_failed_start_of_cffi_is_a_message_and_nothing_on_stderr(
    program: Path, tmp_path: Path, run_program: Any
) -> None:
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    site = tmp_path / "lib" / version / "site-packages"
    site.mkdir(parents=True)
    (site / "_cffi_backend.py").write_text('raise ImportError("a broken cffi backend")\n')
    done = run_program(program, "init-fails", env={"LLMKIT_PYTHON_ENV": str(tmp_path)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "cffi's start-up failed (ImportError: a broken cffi backend)" in done.stdout
    assert done.stderr == ""


def test_a_python_that_cannot_start_fails_every_call_with_init(
    program: Path, tmp_path: Path, run_program: Any
) -> None:
    done = run_program(program, "python-fails", env={"PYTHONHOME": str(tmp_path)})
    # The host goes on (Python's own report of its path configuration is on stderr).
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "ok python-fails"


def test_a_host_that_dlopens_the_library_rtld_local_runs_agents_and_may_dlclose_it(
    compile_c: Callable[..., Path], capi_library: Built, fake_base_url: str, run_program: Any
) -> None:
    host = compile_c(SOURCE.with_name("dlopen_host.c"), link=False)
    done = run_program(host, str(capi_library.library), fake_base_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "ok dlopen"
    assert done.stderr == ""


def test_the_library_is_marked_never_to_be_unloaded(capi_library: Built) -> None:
    readelf = shutil.which("readelf")
    if readelf is None:
        pytest.skip("no readelf: binutils comes with gcc (`make capi-deps`)")
    dynamic = subprocess.run(
        [readelf, "-d", str(capi_library.library)], capture_output=True, text=True, check=True
    ).stdout
    assert "NODELETE" in dynamic

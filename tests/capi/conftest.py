"""Fixtures of the C ABI tests: libllmkit.so built once per session, a C compiler, programs run on it.

Programs built here run against the session's fake provider server (``llmkit_fake_server``); the
variables that would send them to a real provider are left out of their environment.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from llmkit.capi import Built, build, compiler
from llmkit.errors import UsageError
from llmkit.testing import FakeProviderServer, default_responder

# A hung program fails its test instead of stopping the suite (a bound, not a timing check:
# each program takes about a second).
PROGRAM_BOUND = 90

_REAL = (
    "LLMKIT_MODEL",
    "LLMKIT_PYTHON_ENV",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "OLLAMA_HOST",
)


def _compiler() -> list[str]:
    try:
        return compiler()
    except UsageError as exc:
        pytest.skip(f"{exc} (`make capi-deps` installs Debian's gcc)")


@pytest.fixture(scope="session")
def capi_library(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """libllmkit.so and llmkit.h, built once for the session into a temporary folder."""
    _compiler()
    return build(tmp_path_factory.mktemp("capi"))


@pytest.fixture(scope="session")
def compile_c(capi_library: Built, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Compile a C program against llmkit.h and libllmkit.so (warnings are errors); its path.

    ``source`` is one C file, or several compiled together into the program named after
    the first. ``compile_c(source, link=False)`` leaves the library out of the link, for
    a program that loads it with ``dlopen``.
    """
    folder = capi_library.library.parent
    out = tmp_path_factory.mktemp("programs")

    def compile_program(source: Path | Sequence[Path], *, link: bool = True) -> Path:
        sources = [source] if isinstance(source, Path) else list(source)
        program = out / sources[0].stem
        library = ["-lllmkit", f"-Wl,-rpath,{folder}"] if link else ["-ldl"]
        command = [
            *_compiler(),
            "-std=c11",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pthread",
            f"-I{folder}",
            *map(str, sources),
            "-o",
            str(program),
            f"-L{folder}",
            *library,
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{shlex.join(command)}\n{done.stderr}"
        return program

    return compile_program


@pytest.fixture
def fake_base_url(llmkit_fake_server: FakeProviderServer) -> str:
    """The OpenAI base URL of the fake server, answering every request as a cooperative model."""
    llmkit_fake_server.script(default_responder)
    return llmkit_fake_server.openai_base_url


RunProgram = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture(scope="session")
def run_program() -> RunProgram:
    """Run a compiled program (``run_program(path, *args, env={...})``), reaching no real provider."""

    def run(
        program: Path, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        base = {k: v for k, v in os.environ.items() if k not in _REAL}
        return subprocess.run(
            [str(program), *args],
            env={**base, **(env or {})},
            capture_output=True,
            text=True,
            timeout=PROGRAM_BOUND,
            check=False,
        )

    return run

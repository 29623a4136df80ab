"""Helpers of the tests that drive libllmkit.so from other languages (LuaJIT, Zig) and valgrind.

The library, the compiler and the program runner are the fixtures of ``conftest.py``
(``capi_library``, ``compile_c``, ``run_program``); here: the conversation every
language's example has with the fake provider server (``script_weather``), what reached
the model as tool results, and a check of a program's run.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from llmkit.capi import Built
from llmkit.testing import FakeProviderServer, tool_call

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "capi"

PARIS = "It is 18 degrees and sunny in Paris."
ROME = "Rome is sunny too."


def example_env(library: Built, server: FakeProviderServer, **extra: str) -> dict[str, str]:
    """What the examples read: the library's folder and the fake server's base URL."""
    return {
        "LLMKIT_CAPI_DIR": str(library.library.parent),
        "LLMKIT_BASE_URL": server.openai_base_url,
        **extra,
    }


def script_weather(server: FakeProviderServer, *, stream_tool: bool = True) -> None:
    """The conversation of the examples: a tool call and an answer (the run), then the stream:
    a tool call and an answer, or only the answer (``stream_tool=False``)."""
    stream = [tool_call("get_weather", city="Rome"), ROME] if stream_tool else [ROME]
    server.script([tool_call("get_weather", city="Paris"), PARIS, *stream])


def tool_results(server: FakeProviderServer) -> list[str]:
    """The content of every tool message the server received, in order."""
    found: list[str] = []
    for request in server.requests:
        body: Any = request.json
        if not isinstance(body, dict):
            continue
        for message in body.get("messages", []):
            if message.get("role") == "tool":
                found.append(str(message.get("content")))
    return found


def succeeded(done: subprocess.CompletedProcess[str]) -> str:
    """The stdout of a program that exited 0 (the assertion shows its output otherwise)."""
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def which_or_skip(program: str, install: str) -> str:
    """The path of ``program``, or skip the test saying which make target installs it."""
    found = shutil.which(program)
    if found is None:
        pytest.skip(f"{program} is not installed: `{install}` installs it (needs root)")
    return found

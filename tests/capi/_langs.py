"""Helpers of the tests that drive libllmkit.so from other languages (LuaJIT, Zig, valgrind).

The library is built once per session into a temporary folder (``build_library``);
programs run as subprocesses with an environment that cannot reach a real provider
(``program_env``), against the session's fake provider server, scripted by
``script_weather`` so every language's example sees the same conversation.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from llmkit.testing import FakeProviderServer, tool_call

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "capi"

# Variables that would send a program's model calls to a real provider.
_REAL = (
    "LLMKIT_MODEL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "OLLAMA_HOST",
    "OLLAMA_API_KEY",
)

PARIS = "It is 18 degrees and sunny in Paris."
ROME = "Rome is sunny too."


def build_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build libllmkit.so and llmkit.h into a fresh folder; the folder."""
    from llmkit.capi import build

    out = tmp_path_factory.mktemp("capi")
    build(out)
    return out


def program_env(capi_dir: Path, server: FakeProviderServer, **extra: str) -> dict[str, str]:
    """The environment of a program under test: the library's folder and the fake server's URL."""
    env = {k: v for k, v in os.environ.items() if k not in _REAL}
    env["LLMKIT_CAPI_DIR"] = str(capi_dir)
    env["LLMKIT_BASE_URL"] = server.openai_base_url
    env.update(extra)
    return env


def script_weather(server: FakeProviderServer) -> None:
    """The conversation the examples have: a tool call and an answer, twice (run, then stream)."""
    server.script(
        [
            tool_call("get_weather", city="Paris"),
            PARIS,
            tool_call("get_weather", city="Rome"),
            ROME,
        ]
    )


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


def run(args: list[str], env: dict[str, str], *, timeout: float = 120) -> str:
    """Run a program to its end; its stdout (the assertion shows stderr when it fails)."""
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def which_or_skip(program: str, install: str) -> str:
    """The path of ``program``, or skip the test saying which make target installs it."""
    found = shutil.which(program)
    if found is None:
        pytest.skip(f"{program} is not installed: `{install}` installs it (needs root)")
    return found

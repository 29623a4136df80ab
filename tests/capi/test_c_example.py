"""examples/capi/agent.c builds against llmkit.h and runs offline on the fake provider server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from llmkit import __version__

pytestmark = pytest.mark.capi

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "capi" / "agent.c"


def test_the_c_example_runs_an_agent_with_a_c_tool_and_streams(
    compile_c: Callable[[Path], Path], fake_base_url: str, run_program: Any
) -> None:
    program = compile_c(EXAMPLE)
    done = run_program(program, env={"LLMKIT_BASE_URL": fake_base_url})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"llmkit {__version__} (ABI 1)",
        '[tool] square({"x":1.5})',
        "answer: The tool returned: 2.25",
        "stream: Hello! This is the llmkit fake server.",
        "(15 events)",
    ]
    assert done.stderr == ""

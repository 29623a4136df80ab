"""Refusals reach the model as error results it can act on, and the run goes on."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmkit import Agent
from llmkit.testing import ScriptedModel, tool_call
from llmkit.tools.builtin import calculator, files, process

pytestmark = pytest.mark.anyio


async def test_refusals_become_error_results_and_the_model_recovers(tmp_path: Path) -> None:
    root = tmp_path / "work"
    root.mkdir()
    (root / "notes.txt").write_text("inside")
    (tmp_path / "secret.txt").write_text("outside")
    model = ScriptedModel(
        [
            [
                tool_call("read_file", path="../secret.txt"),
                tool_call("calculator", expression="9**9**9**9"),
                tool_call("run_command", command="ls; rm -rf /"),
            ],
            [tool_call("read_file", path="notes.txt"), tool_call("calculator", expression="6*7")],
            "The notes say 'inside'; 6*7 is 42.",
        ]
    )
    agent = Agent(
        model, tools=[*files(root=root), calculator, *process(commands=["ls"], root=root)]
    )
    result = await agent.run("Go.")
    first, second = result.steps[0].tool_results, result.steps[1].tool_results
    assert [r.is_error for r in first] == [True, True, True]
    assert first[0].text.startswith("Refused (root): '../secret.txt' contains '..'")
    assert first[1].text.startswith("Refused (max_exponent)")
    assert first[2].text.startswith("Refused (allow_commands)")
    assert [(r.is_error, r.text) for r in second] == [(False, "inside"), (False, "42")]
    assert result.output == "The notes say 'inside'; 6*7 is 42."
    assert (root / "notes.txt").exists() and (tmp_path / "secret.txt").read_text() == "outside"

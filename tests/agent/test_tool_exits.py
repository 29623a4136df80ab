"""A tool that raises SystemExit or KeyboardInterrupt: the run ends cleanly, the sync loop survives.

argparse raises SystemExit on bad arguments, so a tool that parses a command
line can "exit". That must not end the process, nor kill the loop behind
``run_sync`` (every later ``*_sync`` call would hang). Each sync call here runs
through the ``no_hang`` fixture, so a regression fails instead of hanging.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from llmkit import Agent, tool
from llmkit.errors import ToolExecutionError
from llmkit.testing import ScriptedModel, tool_call

NoHang = Callable[[Callable[[], Any]], Any]


@tool
def parse(command_line: str) -> str:
    """Parse a command line like a CLI would (argparse exits on bad arguments)."""
    parser = argparse.ArgumentParser(prog="report")
    parser.add_argument("--year", type=int, required=True)
    return str(parser.parse_args(command_line.split()).year)


@tool
def interrupt() -> str:
    """Raises KeyboardInterrupt."""
    raise KeyboardInterrupt


@tool(run_in_thread=False)
def interrupt_inline() -> str:
    """Raises KeyboardInterrupt on the event loop's thread."""
    raise KeyboardInterrupt


def agent_calling(*calls: Any, raising: bool = False) -> Agent[str]:
    script: list[Any] = [list(calls), "Done."]
    parser = tool(errors="raise", name="parse")(parse.function) if raising else parse
    return Agent(ScriptedModel(script), tools=[parser, interrupt, interrupt_inline])


def still_works() -> str:
    return Agent(ScriptedModel(["fine"])).run_sync("ping").output


def test_system_exit_in_a_tool_is_an_error_result_under_run_sync(
    no_hang: NoHang, capsys: pytest.CaptureFixture[str]
) -> None:
    agent = agent_calling(tool_call("parse", command_line="--month 3"))
    result = no_hang(lambda: agent.run_sync("report"))
    (answer,) = result.messages[2].tool_results
    assert answer.is_error
    assert answer.text == "Tool parse raised SystemExit: 2."
    assert result.output == "Done."
    assert no_hang(still_works) == "fine"


def test_system_exit_in_a_raising_tool_stops_the_run_with_tool_execution_error(
    no_hang: NoHang, capsys: pytest.CaptureFixture[str]
) -> None:
    agent = agent_calling(tool_call("parse", command_line="--month 3"), raising=True)
    with pytest.raises(ToolExecutionError) as info:
        no_hang(lambda: agent.run_sync("report"))
    assert isinstance(info.value.__cause__, SystemExit)
    assert info.value.tool_name == "parse"
    assert [m.role for m in info.value.messages] == ["user", "assistant", "tool"]
    assert no_hang(still_works) == "fine"


@pytest.mark.parametrize("name", ["interrupt", "interrupt_inline"])
def test_keyboard_interrupt_in_a_tool_reaches_the_run_sync_caller(
    no_hang: NoHang, name: str
) -> None:
    agent = agent_calling(tool_call(name))
    with pytest.raises(KeyboardInterrupt):
        no_hang(lambda: agent.run_sync("go"))
    assert no_hang(still_works) == "fine"


def test_keyboard_interrupt_in_one_of_parallel_tools_reaches_the_caller(no_hang: NoHang) -> None:
    agent = agent_calling(
        tool_call("parse", command_line="--year 2024"),
        tool_call("interrupt"),
        tool_call("parse", command_line="--year 1"),
    )
    with pytest.raises(KeyboardInterrupt):
        no_hang(lambda: agent.run_sync("go"))
    assert no_hang(still_works) == "fine"


def test_keyboard_interrupt_in_a_stream_sync_tool_reaches_the_caller(no_hang: NoHang) -> None:
    agent = agent_calling(tool_call("interrupt"))
    with pytest.raises(KeyboardInterrupt):
        no_hang(lambda: list(agent.stream_sync("go")))
    assert no_hang(still_works) == "fine"


def test_the_async_run_turns_system_exit_into_an_error_result(
    no_hang: NoHang, capsys: pytest.CaptureFixture[str]
) -> None:
    agent = agent_calling(tool_call("parse", command_line="--month 3"))
    result = no_hang(lambda: asyncio.run(agent.run("report")))
    assert result.messages[2].tool_results[0].text == "Tool parse raised SystemExit: 2."


def test_the_async_run_lets_keyboard_interrupt_reach_the_caller(no_hang: NoHang) -> None:
    agent = agent_calling(tool_call("interrupt"))
    with pytest.raises(KeyboardInterrupt):
        no_hang(lambda: asyncio.run(agent.run("go")))

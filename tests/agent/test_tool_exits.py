"""A tool that raises SystemExit, GeneratorExit, KeyboardInterrupt …: the run ends cleanly.

argparse raises SystemExit on bad arguments, so a tool that parses a command
line can "exit". That must not end the process, nor kill the loop behind
``run_sync`` (every later ``*_sync`` call would hang). Each sync call here runs
through the ``no_hang`` fixture, so a regression fails instead of hanging.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
from collections.abc import Callable
from typing import Any

import pytest

from llmkit import Agent, tool
from llmkit.errors import ToolExecutionError
from llmkit.events import RunEnd, ToolResultEvent
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


@tool(name="close_it")
def close_in_thread() -> str:
    """Raises GeneratorExit in its worker thread."""
    raise GeneratorExit


@tool(name="close_it", run_in_thread=False)
def close_inline() -> str:
    """Raises GeneratorExit on the event loop's thread."""
    raise GeneratorExit


@tool(name="close_it")
async def close_async() -> str:
    """Raises GeneratorExit in a coroutine."""
    raise GeneratorExit


@tool(name="close_it")
def stop_in_thread() -> str:
    """Raises StopIteration in its worker thread (a future refuses to carry it)."""
    raise StopIteration


CLOSERS = [close_in_thread, close_inline, close_async]


def closing_agent(closer: Any) -> Agent[str]:
    return Agent(ScriptedModel([tool_call("close_it"), "Done."]), tools=[closer])


@pytest.mark.parametrize("closer", CLOSERS, ids=["thread", "inline", "async"])
def test_generator_exit_in_a_tool_is_an_error_result_under_run_sync(
    no_hang: NoHang, closer: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="llmkit"):
        result = no_hang(lambda: closing_agent(closer).run_sync("go"))
    (answer,) = result.messages[2].tool_results
    assert (answer.text, answer.is_error) == ("Tool close_it raised GeneratorExit.", True)
    assert result.output == "Done."
    (record,) = [r for r in caplog.records if r.name == "llmkit"]
    assert record.exc_info is not None and record.exc_info[0] is GeneratorExit
    assert no_hang(still_works) == "fine"


@pytest.mark.parametrize("closer", CLOSERS, ids=["thread", "inline", "async"])
def test_generator_exit_in_a_tool_is_an_error_result_under_stream_sync(
    no_hang: NoHang, closer: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        events = no_hang(lambda: list(closing_agent(closer).stream_sync("go")))
        (done,) = [e for e in events if isinstance(e, ToolResultEvent)]
        assert done.error is not None and done.error.type == "GeneratorExit"
        assert isinstance(events[-1], RunEnd) and events[-1].result.output == "Done."
        # Nothing was left half-closed for the garbage collector to finish on the loop
        # (an async generator stuck "running", a limit left in another context).
        gc.collect()
        assert no_hang(still_works) == "fine"
    assert "already running" not in caplog.text
    assert "different Context" not in caplog.text
    assert len([r for r in caplog.records if "'close_it'" in r.getMessage()]) == 1


def test_stop_iteration_in_a_tools_thread_is_an_error_result(no_hang: NoHang) -> None:
    # asyncio refuses StopIteration on a future: the call would never end.
    result = no_hang(lambda: closing_agent(stop_in_thread).run_sync("go"))
    (answer,) = result.messages[2].tool_results
    assert answer.is_error and "StopIteration" in answer.text
    assert result.output == "Done."


@pytest.mark.anyio
async def test_a_cancelled_error_of_the_tools_own_is_an_error_result() -> None:
    # Nobody cancelled the run: the tool's code raised it (it awaited something that
    # another party cancelled), so it is the tool's failure and the run goes on.
    @tool(name="close_it")
    async def awaits_a_cancelled_future() -> str:
        """Awaits a future that was cancelled."""
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        future.cancel()
        return await future

    result = await closing_agent(awaits_a_cancelled_future).run("go")
    (answer,) = result.messages[2].tool_results
    assert (answer.text, answer.is_error) == ("Tool close_it raised CancelledError.", True)
    assert result.output == "Done."

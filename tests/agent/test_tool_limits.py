"""Time limits reach a sync tool's worker thread: work that calls checkpoint() stops.

A Python thread cannot be stopped from outside. When a tool's time limit
passes, the run's timeout fires or the run is cancelled, the call is
abandoned and ``llmkit.tools.checkpoint()`` raises in the worker thread, so
the thread ends instead of running on in the background. The tests watch
the thread end through an Event (a bounded wait, no timing assertion); a
``release`` Event lets a regressed thread finish after its test.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator

import pytest

from llmkit import Agent, tool
from llmkit.errors import RunTimeoutError
from llmkit.testing import ScriptedModel, tool_call
from llmkit.tools import CallTimeoutError, Tool, checkpoint

pytestmark = pytest.mark.anyio

BOUND = 30.0
"""How long to wait for the thread to end (it takes milliseconds; a regression never ends)."""


class Spinner:
    """A sync tool that works in a loop and calls checkpoint() between steps."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.stopped = threading.Event()
        self.release = threading.Event()
        self.stopped_by: BaseException | None = None

    def work(self) -> str:
        """Work until told to stop."""
        self.started.set()
        try:
            while not self.release.is_set():
                checkpoint()
                self.release.wait(0.001)
            return "released"
        except BaseException as exc:
            self.stopped_by = exc
            raise
        finally:
            self.stopped.set()

    def tool(self, *, timeout: float | None = None) -> Tool[..., str]:
        return tool(name="work", timeout=timeout)(self.work)


@pytest.fixture
def spinner() -> Iterator[Spinner]:
    s = Spinner()
    yield s
    s.release.set()


def assert_stopped_by_checkpoint(spinner: Spinner, *, must_start: bool = False) -> None:
    try:
        # A limit's timer may fire before a busy machine starts the thread; then the work
        # never starts (the call is dropped from the queue) and there is nothing to stop.
        if must_start or spinner.started.is_set():
            assert spinner.stopped.wait(BOUND), "the tool's thread kept running"
            assert isinstance(spinner.stopped_by, TimeoutError)
    finally:
        # A regressed thread spins on; release it now, before the event loop's teardown
        # waits for its worker threads.
        spinner.release.set()


async def test_a_tools_time_limit_stops_its_thread(spinner: Spinner) -> None:
    model = ScriptedModel([tool_call("work"), "It took too long."])
    result = await Agent(model, tools=[spinner.tool(timeout=0.05)]).run("go")
    assert result.messages[2].tool_results[0].text == "Tool work timed out after 0.05 s."
    assert_stopped_by_checkpoint(spinner)


async def test_the_runs_timeout_stops_a_tools_thread(spinner: Spinner) -> None:
    model = ScriptedModel([tool_call("work"), "unreached"])
    with pytest.raises(RunTimeoutError):
        await Agent(model, tools=[spinner.tool()], timeout=0.05).run("go")
    assert_stopped_by_checkpoint(spinner)


async def test_cancelling_the_run_stops_a_tools_thread(spinner: Spinner) -> None:
    model = ScriptedModel([tool_call("work"), "unreached"])
    task = asyncio.create_task(Agent(model, tools=[spinner.tool()]).run("go"))
    assert await asyncio.to_thread(spinner.started.wait, BOUND), "the tool never started"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert_stopped_by_checkpoint(spinner, must_start=True)


def test_the_runs_timeout_stops_a_tool_on_the_loop_thread() -> None:
    # run_in_thread=False: the tool blocks the event loop, so no timer can fire; its
    # checkpoint() still sees the run's deadline and stops it.
    stopped: list[BaseException] = []

    @tool(run_in_thread=False)
    def block() -> str:
        """Works on the event loop's thread until its time is up."""
        give_up = time.monotonic() + BOUND  # a regression returns after BOUND instead
        try:
            while time.monotonic() < give_up:
                checkpoint()
        except TimeoutError as exc:
            stopped.append(exc)
            raise
        return "finished"

    model = ScriptedModel([tool_call("block"), "unreached"])
    with pytest.raises(RunTimeoutError):
        Agent(model, tools=[block], timeout=0.05).run_sync("go")
    assert len(stopped) == 1


def test_checkpoint_does_nothing_outside_a_tool_call() -> None:
    checkpoint()


def spin_on_the_loop_thread(stopped: list[BaseException]) -> Tool[..., str]:
    """A run_in_thread=False tool that works until checkpoint() stops it (or BOUND passes)."""

    @tool(run_in_thread=False)
    def block() -> str:
        """Works on the event loop's thread until its time is up."""
        give_up = time.monotonic() + BOUND  # a regression returns after BOUND instead
        try:
            while time.monotonic() < give_up:
                checkpoint()
        except TimeoutError as exc:
            stopped.append(exc)
            raise
        return "finished"

    return block


@pytest.mark.parametrize("tool_errors", ["return", "raise"])
def test_the_runs_timeout_in_a_tool_on_the_loop_thread_ends_the_run_and_is_no_tool_failure(
    tool_errors: str, caplog: pytest.LogCaptureFixture
) -> None:
    # The tool keeps the event loop busy, so only its checkpoint() sees the run's time
    # run out: that is the run's timeout, not the tool's failure (no warning, and
    # errors="raise" does not turn it into ToolExecutionError).
    stopped: list[BaseException] = []
    model = ScriptedModel([tool_call("block"), "unreached"])
    agent = Agent(
        model,
        tools=[spin_on_the_loop_thread(stopped)],
        timeout=0.05,
        tool_errors=tool_errors,  # type: ignore[arg-type]
    )
    with caplog.at_level(logging.DEBUG, logger="llmkit"), pytest.raises(RunTimeoutError) as info:
        agent.run_sync("go")
    assert str(info.value) == "Agent 'agent' stopped: the run took longer than 0.05 s."
    assert isinstance(stopped[0], CallTimeoutError)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    (answer,) = info.value.messages[-1].tool_results
    assert answer.text == "Not run: the run timed out."


def test_a_tools_own_time_limit_on_the_loop_thread_stays_the_tools_error() -> None:
    # Under a run timeout too: only the call's own limit ran out, so the model is told.
    stopped: list[BaseException] = []
    block = spin_on_the_loop_thread(stopped)
    timed = tool(name="block", timeout=0.05, run_in_thread=False)(block.function)
    model = ScriptedModel([tool_call("block"), "It took too long."])
    result = Agent(model, tools=[timed], timeout=BOUND).run_sync("go")
    assert result.messages[2].tool_results[0].text == "Tool block timed out after 0.05 s."
    assert result.output == "It took too long."
    assert isinstance(stopped[0], CallTimeoutError)


def test_the_outer_runs_timeout_in_a_nested_agents_tool_ends_the_outer_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stopped: list[BaseException] = []
    inner = Agent(
        ScriptedModel([tool_call("block"), "inner unreached"]),
        name="inner",
        tools=[spin_on_the_loop_thread(stopped)],
    )
    outer = Agent(
        ScriptedModel([tool_call("inner", input="go"), "unreached"]),
        name="outer",
        tools=[inner.as_tool()],
        timeout=0.05,
    )
    with caplog.at_level(logging.DEBUG, logger="llmkit"), pytest.raises(RunTimeoutError) as info:
        outer.run_sync("go")
    assert str(info.value) == "Agent 'outer' stopped: the run took longer than 0.05 s."
    assert len(stopped) == 1
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []

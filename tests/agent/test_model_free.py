"""Model-free agents (``Agent.from_tool``): which run options they honour, and which they refuse."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

import pytest

import llmkit
from llmkit import Agent, Message, RunContext, ToolError, ToolResult, UsageLimits, tool
from llmkit.errors import RunTimeoutError, ToolExecutionError, UsageError
from llmkit.events import ToolResultEvent
from llmkit.hooks import HookContext
from llmkit.recording import Recording

pytestmark = pytest.mark.anyio

BOUND = 30.0
"""How long a tool waits for what never comes: a run that ignores its timeout ends, and fails."""


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


class Trace:
    """A hook that notes every point it is called at."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def before_run(self, ctx: HookContext) -> None:
        self.seen.append(f"before_run {ctx.run.agent} model={ctx.model}")

    def after_run(self, ctx: HookContext, result: Any) -> None:
        self.seen.append(f"after_run {result.output}")

    def before_model(self, ctx: HookContext, request: Any) -> None:
        self.seen.append("before_model")

    def before_tool(self, ctx: HookContext, call: Any) -> None:
        self.seen.append(f"before_tool {call.name} {call.arguments}")

    def after_tool(self, ctx: HookContext, call: Any, result: ToolResult) -> None:
        self.seen.append(f"after_tool {result.text} error={ctx.tool_error is not None}")

    def on_error(self, ctx: HookContext, error: BaseException) -> None:
        self.seen.append(f"on_error {ctx.kind} {type(error).__name__}")


async def test_hooks_run_around_the_run_and_the_tool_call() -> None:
    trace = Trace()
    result = await Agent.from_tool(add).run({"a": 1, "b": 2}, hooks=[trace])
    assert result.output == 3
    assert trace.seen == [
        "before_run add model=None",
        "before_tool add {'a': 1, 'b': 2}",
        "after_tool 3 error=False",
        "after_run 3",
    ]


async def test_a_hook_that_answers_the_call_gives_the_output() -> None:
    class Cached:
        def before_tool(self, ctx: HookContext, call: Any) -> ToolResult:
            return ToolResult(call.id, "cached", name=call.name)

    ran: list[str] = []

    @tool
    def echo(text: str) -> str:
        """Echo."""
        ran.append(text)
        return text

    result = await Agent.from_tool(echo).run("hi", hooks=[Cached()])
    assert result.output == "cached" and ran == []


async def test_hooks_see_a_failing_tool() -> None:
    @tool
    def fail(x: int) -> int:
        """Fails."""
        raise ValueError("bad")

    trace = Trace()
    with pytest.raises(ToolExecutionError) as info:
        await Agent.from_tool(fail).run({"x": 1}, hooks=[trace])
    assert trace.seen[1:] == [
        "before_tool fail {'x': 1}",
        "on_error tool ToolExecutionError",
        "on_error run ToolExecutionError",
    ]
    assert [m.text for m in info.value.messages] == ['{"x": 1}']


async def test_the_timeout_bounds_the_tool_call() -> None:
    never = asyncio.Event()

    @tool
    async def wait(text: str) -> str:
        """Wait for an event nobody sets (bounded, so a run that ignores its timeout fails)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(never.wait(), BOUND)
        return text

    agent = Agent.from_tool(wait)
    with pytest.raises(RunTimeoutError, match="longer than 0.01 s") as info:
        await agent.run("x", timeout=0.01)
    assert [m.text for m in info.value.messages] == ["x"]
    agent.timeout = 0.01
    with pytest.raises(RunTimeoutError):
        await agent.run("x")


async def test_deps_reach_the_tool() -> None:
    @tool
    def greet(ctx: RunContext[str], name: str) -> str:
        """Greet."""
        return f"{ctx.deps}, {name}"

    assert (await Agent.from_tool(greet).run("Ada", deps="Hello")).output == "Hello, Ada"


async def test_a_recording_writes_the_run_and_replays_it(tmp_path: Path) -> None:
    ran: list[str] = []

    @tool
    def shout(text: str) -> str:
        """Shout."""
        ran.append(text)
        return text.upper()

    agent = Agent.from_tool(shout)
    path = tmp_path / "run.jsonl"
    with llmkit.record(path):
        result = await agent.run("hey")
    topics = [json.loads(line).get("topic") for line in path.read_text().splitlines()[1:]]
    assert topics == ["run.start", "tool.call", "tool.result", "run.end"]
    replayed = await Recording.load(path).replay(agent)
    assert replayed.output == result.output == "HEY"
    assert replayed.run_id == result.run_id and ran == ["hey"]


async def test_tool_errors_raise_by_default_a_tool_error_included() -> None:
    @tool
    def refuse(x: int) -> int:
        """Refuses."""
        raise ToolError("not today")

    with pytest.raises(ToolExecutionError, match="not today"):
        await Agent.from_tool(refuse).run({"x": 1})


async def test_tool_errors_return_ends_the_run_with_the_error_text() -> None:
    @tool
    def fail(x: int) -> int:
        """Fails."""
        raise ValueError("bad")

    events = [e async for e in Agent.from_tool(fail, tool_errors="return").stream({"x": 1})]
    result = events[-1].result  # type: ignore[attr-defined]  # the last event is RunEnd
    assert result.output == "Tool fail raised ValueError: bad."
    failed = [e for e in events if isinstance(e, ToolResultEvent)]
    assert failed[0].result.is_error and failed[0].error is not None

    @tool(errors="return")
    def fail_softly(x: int) -> int:
        """Fails, and says so."""
        raise ValueError("soft")

    # The tool's own errors= wins over the agent's.
    assert "soft" in (await Agent.from_tool(fail_softly).run({"x": 1})).output


@pytest.mark.parametrize(
    "option",
    [
        {"message_history": [Message.user("before")]},
        {"usage_limits": UsageLimits(max_requests=1)},
        {"max_steps": 3},
    ],
)
async def test_options_about_model_calls_are_refused(option: dict[str, Any]) -> None:
    agent = Agent.from_tool(add)
    name = next(iter(option))
    with pytest.raises(UsageError, match=f"model-free.*drop {name}="):
        await agent.run({"a": 1, "b": 2}, **option)
    with pytest.raises(UsageError, match=f"drop {name}="):
        [e async for e in agent.stream({"a": 1, "b": 2}, **option)]


async def test_options_that_say_nothing_are_accepted() -> None:
    agent = Agent.from_tool(add)
    result = await agent.run({"a": 1, "b": 2}, message_history=[], max_steps=None)
    assert result.output == 3


async def test_no_event_is_built_without_a_listener() -> None:
    run = Agent.from_tool(add)._start({"a": 1, "b": 2}, {}, stream=False)
    assert [e async for e in run.events()] == []
    assert run.result is not None and run.result.output == 3
    streamed = Agent.from_tool(add)._start({"a": 1, "b": 2}, {}, stream=True)
    assert len([e async for e in streamed.events()]) == 4


async def test_a_tool_that_requires_approval_is_refused_not_called() -> None:
    calls: list[int] = []

    @tool(requires_approval=True)
    def pay(amount: int) -> str:
        """Pay an amount."""
        calls.append(amount)
        return "paid"

    bot = Agent.from_tool(pay)
    with pytest.raises(UsageError, match="requires approval"):
        await bot.run({"amount": 5})
    with pytest.raises(UsageError, match="requires approval"):
        async for _ in bot.stream({"amount": 5}):
            pass
    assert calls == []

"""Limits, timeouts and cancellation: a typed error (or a clean stop) with the conversation kept."""

from __future__ import annotations

import asyncio

import pytest

import llmkit
from llmkit import Agent, Message, RunContext, UsageLimits, tool
from llmkit.errors import MaxStepsExceeded, RunTimeoutError, UsageError, UsageLimitExceeded
from llmkit.testing import FakeProviderServer, Fault, ScriptedModel, tool_call
from llmkit.types import Response, Usage

from .conftest import assert_every_call_answered

pytestmark = pytest.mark.anyio


@tool
def ping() -> str:
    """Ping."""
    return "pong"


def forever(request: object) -> object:
    return tool_call("ping")


async def test_max_steps_raises_with_the_messages_so_far() -> None:
    model = ScriptedModel(forever)
    with pytest.raises(MaxStepsExceeded) as info:
        await Agent(model, tools=[ping], max_steps=3).run("loop")
    err = info.value
    assert "no final answer after max_steps=3 model calls" in str(err)
    assert len(model.requests) == 3
    assert err.messages[0].text == "loop"
    assert [m.role for m in err.messages] == ["user", *["assistant", "tool"] * 3]
    assert err.usage.requests == 3
    assert_every_call_answered(err.messages)
    # The run can be continued from where it stopped.
    more = ScriptedModel(["finally done"])
    result = await Agent(more, tools=[ping]).run(message_history=err.messages)
    assert result.output == "finally done"


async def test_max_steps_per_run_overrides_the_agent() -> None:
    model = ScriptedModel(forever)
    with pytest.raises(MaxStepsExceeded):
        await Agent(model, tools=[ping]).run("x", max_steps=1)
    assert len(model.requests) == 1


async def test_request_limit_is_checked_before_calling() -> None:
    model = ScriptedModel(forever)
    limits = UsageLimits(max_requests=2)
    with pytest.raises(UsageLimitExceeded, match="limit of 2 model requests") as info:
        await Agent(model, tools=[ping], usage_limits=limits).run("x")
    assert len(model.requests) == 2 and info.value.usage.requests == 2
    assert_every_call_answered(info.value.messages)


async def test_token_limit_is_checked_after_each_call_and_open_calls_are_answered() -> None:
    response = Response(
        Message.assistant(tool_calls=[tool_call("ping")]), Usage(900, 200, requests=1), "tool_calls"
    )
    response.message.parts[0].id = "call_9"  # type: ignore[union-attr]
    model = ScriptedModel([response])
    agent = Agent(model, tools=[ping], usage_limits=UsageLimits(max_total_tokens=1000))
    with pytest.raises(
        UsageLimitExceeded, match="1100 total tokens, over its limit of 1000"
    ) as info:
        await agent.run("x")
    err = info.value
    assert err.usage.total_tokens == 1100
    assert [m.role for m in err.messages] == ["user", "assistant", "tool"]
    (result,) = err.messages[2].tool_results
    assert result.is_error and result.text.startswith("Not run:")


async def test_cost_limit() -> None:
    costly = Response(Message.assistant("hi"), Usage(10, 10, requests=1, cost=0.5))
    with pytest.raises(UsageLimitExceeded, match="cost"):
        await Agent(ScriptedModel([costly]), usage_limits=UsageLimits(max_cost=0.1)).run("x")
    with pytest.raises(UsageError, match="must be 0 or more"):
        UsageLimits(max_requests=-1)


async def test_run_timeout_raises_with_the_conversation() -> None:
    @tool
    async def sleepy() -> str:
        """Sleeps."""
        await asyncio.sleep(10)
        return "never"

    model = ScriptedModel([tool_call("sleepy"), "unreached"])
    with pytest.raises(RunTimeoutError, match="longer than 0.05 s") as info:
        await Agent(model, tools=[sleepy], timeout=0.05).run("x")
    err = info.value
    assert err.messages[0].text == "x"
    assert_every_call_answered(err.messages)
    assert err.messages[-1].tool_results[0].text == "Not run: the run timed out."


async def test_run_timeout_during_a_slow_model_call() -> None:
    model = ScriptedModel([Fault.slow(5, then="late")])
    with pytest.raises(RunTimeoutError) as info:
        await Agent(model).run("x", timeout=0.05)
    assert [m.text for m in info.value.messages] == ["x"]


class Stall:
    """A hook that waits, at one point of the run, for what never comes."""

    def __init__(self, point: str) -> None:
        self.point = point
        self.reached: list[str] = []

    async def _wait(self, point: str) -> None:
        self.reached.append(point)
        if point == self.point:
            await asyncio.Event().wait()

    async def before_run(self, ctx: object) -> None:
        await self._wait("before_run")

    async def after_run(self, ctx: object, result: object) -> None:
        await self._wait("after_run")


@pytest.mark.parametrize("point", ["before_run", "after_run"])
async def test_run_timeout_bounds_the_run_hooks(point: str) -> None:
    stall = Stall(point)
    # The run's limit leaves the rest of the run ample time to reach the stalled hook.
    with pytest.raises(RunTimeoutError, match="longer than 1.0 s"):
        async with asyncio.timeout(30):  # only a hook left unbounded could keep the run here
            await Agent(ScriptedModel(["done"]), hooks=[stall]).run("x", timeout=1.0)
    assert stall.reached[-1] == point


async def test_run_timeout_bounds_async_dynamic_instructions() -> None:
    async def instructions(ctx: RunContext[None]) -> str:
        await asyncio.Event().wait()
        return "never"

    agent = Agent(ScriptedModel(["done"]), instructions=instructions)
    with pytest.raises(RunTimeoutError):
        async with asyncio.timeout(30):
            await agent.run("x", timeout=0.05)


async def test_cancelling_the_task_stops_tools_and_keeps_history_consistent() -> None:
    history: list[list[Message]] = []
    cancelled: list[str] = []
    running = asyncio.Event()
    quick_done = asyncio.Event()

    @tool
    async def slow(ctx: RunContext[None], n: int) -> str:
        """Slow work."""
        history.append(ctx.messages)
        if len(history) == 2:
            await quick_done.wait()
            running.set()  # both slow calls are in progress, the quick one has finished
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(f"slow {n}")
            raise
        return "done"

    @tool
    async def quick() -> str:
        """Quick work."""
        quick_done.set()
        return "quick result"

    model = ScriptedModel(
        [[tool_call("slow", n=1), tool_call("slow", n=2), tool_call("quick")], "unreached"]
    )
    task = asyncio.create_task(Agent(model, tools=[slow, quick]).run("work"))
    await asyncio.wait_for(running.wait(), 60)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sorted(cancelled) == ["slow 1", "slow 2"]  # no orphaned tool tasks
    messages = history[0]
    assert_every_call_answered(messages)
    answers = {r.name: r.text for r in messages[-1].tool_results}
    assert answers["quick"] == "quick result"  # finished work is kept
    assert messages[-1].tool_results[0].text == "Not run: the run was cancelled."


async def test_a_provider_failure_keeps_the_run_so_far() -> None:
    from llmkit.errors import ServerError

    model = ScriptedModel([tool_call("ping"), Fault.status(500)])
    with pytest.raises(ServerError) as info:
        await Agent(model, tools=[ping]).run("x")
    err = info.value
    assert [m.role for m in err.messages] == ["user", "assistant", "tool"]  # type: ignore[attr-defined]
    assert err.usage.requests == 1  # type: ignore[attr-defined]


LONG_ANSWER = "A long answer that goes on well past the few output tokens the run may use."


@pytest.mark.parametrize("streaming", [False, True])
async def test_output_token_limit_stops_stream_as_it_stops_run_without_reported_usage(
    llmkit_fake_server: FakeProviderServer, streaming: bool
) -> None:
    server = llmkit_fake_server
    server.script([LONG_ANSWER])
    # Mistral's preset asks for no usage in streams: the stream's usage is counted from its text.
    model = llmkit.model(
        "mistral/mistral-small", base_url=server.openai_base_url, api_key="sk-test-0123456789"
    )
    agent = Agent(model, usage_limits=UsageLimits(max_output_tokens=5))
    with pytest.raises(UsageLimitExceeded, match="output tokens, over its limit of 5") as info:
        if streaming:
            [e async for e in agent.stream("Tell me everything.")]
        else:
            await agent.run("Tell me everything.")
    usage = info.value.usage
    assert usage.output_tokens > 5 and usage.estimated is streaming
    assert [m.role for m in info.value.messages] == ["user", "assistant"]

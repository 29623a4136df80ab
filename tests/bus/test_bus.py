"""The event bus: patterns, filters, sync and async handlers, and agents publishing to it."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest

import llmkit
from llmkit import Agent, tool
from llmkit.bus import Bus, active_bus, reset_bus, use_bus
from llmkit.errors import UsageError
from llmkit.events import ErrorEvent, Event, RunEnd, TextDelta, ToolCallEvent
from llmkit.testing import FakeProviderServer, ScriptedModel, tool_call

pytestmark = pytest.mark.anyio


@tool(run_in_thread=False)
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def agent(bus: Bus | None = None, **options: Any) -> Agent[str]:
    model = ScriptedModel([tool_call("add", a=1, b=2), "3"])
    return Agent(model, tools=[add], bus=bus, **options)


@pytest.fixture(autouse=True)
def _fresh_default_bus() -> Iterator[None]:
    reset_bus()
    yield
    reset_bus()


async def test_glob_patterns_pick_topics() -> None:
    bus = Bus()
    tools: list[str] = []
    everything: list[str] = []
    bus.on("tool.*", lambda e: tools.append(e.topic), inline=True)
    bus.on("*", lambda e: everything.append(e.topic), inline=True)
    await agent(bus).run("1+2?")
    assert tools == ["tool.call", "tool.result"]
    assert everything == [
        "run.start",
        "model.request",
        "model.response",
        "tool.call",
        "tool.result",
        "step.end",
        "model.request",
        "model.response",
        "step.end",
        "run.end",
    ]


async def test_a_filter_narrows_a_subscription() -> None:
    bus = Bus()
    seen: list[int] = []
    bus.on("step.end", lambda e: seen.append(e.step), filter=lambda e: e.step > 1, inline=True)
    await agent(bus).run("1+2?")
    assert seen == [2]


async def test_the_bus_gets_the_same_events_agent_stream_yields() -> None:
    bus = Bus()
    published: list[Event] = []
    bus.on("*", published.append, inline=True)
    yielded = [event async for event in agent(bus).stream("1+2?")]
    assert published == yielded
    assert any(isinstance(e, TextDelta) for e in published)


async def test_sync_handlers_run_off_the_loop_in_order_and_async_ones_as_tasks() -> None:
    bus = Bus()
    threads: set[str] = set()
    sync_seen: list[str] = []
    async_seen: list[str] = []

    def on_sync(event: Event) -> None:
        threads.add(threading.current_thread().name)
        sync_seen.append(event.topic)

    async def on_async(event: Event) -> None:
        await asyncio.sleep(0)
        async_seen.append(event.topic)

    bus.on("*", on_sync)
    bus.on("*", on_async)
    await agent(bus).run("1+2?")
    await bus.drain(timeout=5)
    assert sync_seen[0] == "run.start" and sync_seen[-1] == "run.end" and len(sync_seen) == 10
    assert sorted(async_seen) == sorted(sync_seen)
    assert threading.current_thread().name not in threads


async def test_a_failing_handler_never_breaks_the_run_and_is_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = Bus()
    errors: list[ErrorEvent] = []

    def broken(event: Event) -> None:
        raise RuntimeError("handler bug")

    bus.on("tool.call", broken, inline=True)
    bus.on("error", errors.append, inline=True)
    result = await agent(bus).run("1+2?")
    assert result.output == "3"
    assert [e.error_type for e in errors] == ["HandlerError"]
    assert "handler bug" in errors[0].message and errors[0].run_id == result.run_id
    assert "handler bug" in caplog.text


async def test_a_blocking_sync_handler_cannot_stall_the_run() -> None:
    bus = Bus(timeout=0.1)
    release = threading.Event()
    returned = threading.Event()
    errors: list[ErrorEvent] = []

    def stuck(event: Event) -> None:
        release.wait(60)
        returned.set()

    bus.on("run.start", stuck)
    bus.on("error", errors.append, inline=True)
    result = await agent(bus).run("1+2?")
    assert result.output == "3"
    assert not returned.is_set()  # the run ended while the handler was still stuck
    for _ in range(6000):  # the timeout report comes from the loop, 0.1 s after the event
        if errors:
            break
        await asyncio.sleep(0.01)
    assert [e.error_type for e in errors] == ["HandlerTimeout"]
    assert "took longer than 0.1 s" in errors[0].message
    release.set()


async def test_a_blocking_async_handler_is_cancelled_past_its_timeout() -> None:
    bus = Bus(timeout=0.05)
    errors: list[ErrorEvent] = []
    cancelled = asyncio.Event()

    async def stuck(event: Event) -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    bus.on("run.end", stuck)
    bus.on("error", errors.append, inline=True)
    result = await agent(bus).run("1+2?")
    assert result.output == "3"
    await bus.drain(timeout=1)
    assert cancelled.is_set()
    assert [e.error_type for e in errors] == ["HandlerTimeout"]


async def test_an_error_handler_that_fails_does_not_feed_itself() -> None:
    bus = Bus()
    reports: list[str] = []

    def broken(event: Event) -> None:
        raise RuntimeError("first")

    def broken_reporter(event: ErrorEvent) -> None:
        reports.append(event.message)
        raise RuntimeError("second")

    bus.on("tool.call", broken, inline=True)
    bus.on("error", broken_reporter, inline=True)
    assert (await agent(bus).run("1+2?")).output == "3"
    assert len(reports) == 1 and "first" in reports[0]


async def test_without_subscribers_no_event_is_built() -> None:
    bot = agent()
    assert active_bus() is None
    run = bot._start("hi", {}, stream=False)
    assert run.emit is False and run.bus is None
    sub = llmkit.bus().on("*", lambda e: None, inline=True)
    run = bot._start("hi", {}, stream=False)
    assert run.emit is True and run.bus is llmkit.bus()
    sub.cancel()
    assert active_bus() is None


async def test_agents_publish_to_the_default_bus_or_their_own() -> None:
    default: list[str] = []
    own: list[str] = []
    llmkit.bus().on("run.end", lambda e: default.append(e.run_id), inline=True)
    mine = Bus()
    mine.on("run.end", lambda e: own.append(e.run_id), inline=True)
    first = await agent().run("x")
    second = await agent(mine).run("y")
    assert default == [first.run_id] and own == [second.run_id]
    assert agent(mine).bus is mine and agent().bus is llmkit.bus()


async def test_use_bus_scopes_the_default_with_a_context_variable() -> None:
    scoped = Bus()
    seen: list[str] = []
    scoped.on("run.end", lambda e: seen.append("scoped"), inline=True)
    llmkit.bus().on("run.end", lambda e: seen.append("default"), inline=True)
    with use_bus(scoped):
        assert llmkit.bus() is scoped
        await agent().run("x")
    await agent().run("y")
    assert seen == ["scoped", "default"]


def test_run_sync_publishes_too_and_reset_gives_an_empty_bus() -> None:
    seen: list[Event] = []
    llmkit.bus().on("run.end", seen.append, inline=True)
    result = agent().run_sync("x")
    assert isinstance(seen[0], RunEnd) and seen[0].result is result
    old = llmkit.bus()
    new = reset_bus()
    assert new is llmkit.bus() and new is not old and not old.subscriptions


def test_bad_subscriptions_are_refused() -> None:
    bus = Bus()
    with pytest.raises(UsageError):
        bus.on("", print)
    with pytest.raises(UsageError):
        bus.on("*", "not callable")  # type: ignore[arg-type]

    async def handler(event: Event) -> None:
        pass

    with pytest.raises(UsageError):
        bus.on("*", handler, inline=True)
    with pytest.raises(UsageError):
        Agent(ScriptedModel([]), bus="events")  # type: ignore[arg-type]


def test_publishing_from_plain_sync_code_reaches_async_handlers() -> None:
    bus = Bus()
    seen: list[str] = []

    async def handler(event: Event) -> None:
        seen.append(event.topic)

    bus.on("*", handler)
    bus.publish(ErrorEvent("X", "from sync code"))
    bus.drain_sync(timeout=5)
    assert seen == ["error"]


async def test_agent_stream_over_http_publishes_the_deltas(
    llmkit_fake_server: FakeProviderServer,
) -> None:
    llmkit_fake_server.script([tool_call("add", a=1, b=2), "The sum is 3."])
    model = llmkit.model(
        "openai/gpt-4.1-mini", base_url=llmkit_fake_server.openai_base_url, api_key="sk-bus"
    )
    bus = Bus()
    topics: list[str] = []
    bus.on("model.*", lambda e: topics.append(e.topic), inline=True)
    calls: list[ToolCallEvent] = []
    bus.on("tool.call", calls.append, inline=True)
    events = [e async for e in Agent(model, tools=[add], bus=bus).stream("1+2?")]
    assert "model.text_delta" in topics and topics.count("model.response") == 2
    assert calls[0].call.name == "add"
    assert isinstance(events[-1], RunEnd)


async def test_handler_errors_are_logged_on_the_llmkit_bus_logger(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="llmkit.bus")
    bus = Bus()
    bus.on("run.start", lambda e: 1 / 0, inline=True)
    await agent(bus).run("x")
    assert any(
        r.name == "llmkit.bus" and "ZeroDivisionError" in r.getMessage() for r in caplog.records
    )


def test_llmkit_bus_is_callable_whether_or_not_the_module_was_imported() -> None:
    import subprocess
    import sys

    script = (
        "import llmkit\n"
        "first = llmkit.bus()\n"
        "import llmkit.bus\n"
        "from llmkit.bus import Bus\n"
        "assert llmkit.bus() is first and isinstance(first, Bus) and llmkit.bus.Bus is Bus\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "ok"


async def test_a_model_free_agent_publishes_its_run() -> None:
    bus = Bus()
    topics: list[str] = []
    bus.on("*", lambda e: topics.append(e.topic), inline=True)
    with use_bus(bus):
        result = await Agent.from_tool(add).run({"a": 1, "b": 2})
    assert result.output == 3
    assert topics == ["run.start", "tool.call", "tool.result", "run.end"]


async def test_a_model_free_agent_s_stream_publishes_what_it_yields() -> None:
    bus = Bus()
    published: list[Event] = []
    bus.on("*", published.append, inline=True)
    with use_bus(bus):
        yielded = [event async for event in Agent.from_tool(add).stream({"a": 1, "b": 2})]
    assert published == yielded
    assert [e.topic for e in published] == ["run.start", "tool.call", "tool.result", "run.end"]


async def test_a_paused_run_and_its_resume_publish_their_events() -> None:
    # A held call's tool.call comes with the resume, which runs it.
    @tool(requires_approval=True, run_in_thread=False)
    def delete(path: str) -> str:
        """Delete a file."""
        return "deleted"

    bus = Bus()
    topics: list[str] = []
    bus.on("*", lambda e: topics.append(e.topic), inline=True)
    bot = Agent(ScriptedModel([tool_call("delete", path="x"), "done"]), tools=[delete], bus=bus)
    paused = await bot.run("clean up")
    assert topics == [
        "run.start",
        "model.request",
        "model.response",
        "approval.required",
        "run.end",
    ]
    topics.clear()
    result = await bot.resume(paused, approvals={paused.pending[0].id: True})
    assert result.output == "done"
    assert topics == [
        "run.start",
        "tool.call",
        "tool.result",
        "step.end",
        "model.request",
        "model.response",
        "step.end",
        "run.end",
    ]

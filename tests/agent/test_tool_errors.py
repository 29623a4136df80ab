"""Bad tool calls and failing tools: the model gets an error it can act on, nothing is lost,
and every exception is logged and carried on the tool.result event."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from llmkit import Agent, Hook, RunContext, ToolCall, ToolError, ToolResult, tool
from llmkit.bus import Bus
from llmkit.errors import ToolExecutionError, ToolRetriesExceeded, UsageError
from llmkit.events import ToolFailure, ToolResultEvent
from llmkit.hooks import HookContext
from llmkit.recording import Recording, record
from llmkit.testing import Scenario, ScriptedModel, says, tool_call, tool_returned
from llmkit.tools.builtin import Refused
from llmkit.types import Message

from .conftest import assert_every_call_answered

pytestmark = pytest.mark.anyio


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def broken_call(name: str, raw: str) -> ToolCall:
    return ToolCall("", name, {}, raw_arguments=raw)


def results(messages: list[Message]) -> list[tuple[str, bool]]:
    return [(r.text, r.is_error) for m in messages for r in m.tool_results]


async def test_unknown_tool_gets_an_error_and_the_model_retries() -> None:
    s = Scenario(Agent("openai/gpt-4.1-mini", tools=[add]))
    s.user("2+3")
    s.model_calls_tool("multiply", a=2, b=3)
    s.model_calls_tool("add", a=2, b=3)
    s.model_says("5")
    s.expect(
        tool_returned("multiply", error=True, contains=["Unknown tool 'multiply'", "add"]),
        tool_returned("add", equals="5", error=False),
        says(equals="5"),
    )
    await s.run_async()


async def test_non_json_arguments_get_an_error() -> None:
    model = ScriptedModel([broken_call("add", '{"a": 2, "b":'), "gave up"])
    result = await Agent(model, tools=[add]).run("2+3")
    ((text, is_error),) = results(result.messages)
    assert is_error and "could not be read" in text and "JSON object" in text
    assert result.output == "gave up"
    assert result.messages[1].tool_calls[0].raw_arguments == '{"a": 2, "b":'  # kept as sent


async def test_arguments_of_the_wrong_type_get_the_validation_errors() -> None:
    model = ScriptedModel([tool_call("add", a="two", b=3), tool_call("add", a=2, b=3), "5"])
    result = await Agent(model, tools=[add]).run("2+3")
    (text, is_error), (ok, _) = results(result.messages)
    assert is_error and "Invalid arguments for add" in text and "- a:" in text
    assert "valid integer" in text and "https://" not in text
    assert ok == "5" and result.output == "5"


async def test_tool_retries_are_bounded_per_tool_name() -> None:
    bad = tool_call("add", a="x", b=1)
    model = ScriptedModel([bad, bad, bad, "never reached"])
    agent = Agent(model, tools=[add], tool_retries=2)
    with pytest.raises(ToolRetriesExceeded) as info:
        await agent.run("2+3")
    err = info.value
    assert err.tool_name == "add"
    assert "3 times in a row" in str(err) and "tool_retries=2" in str(err)
    assert len(model.requests) == 3
    # Nothing lost: the conversation has every call and its (error) result.
    assert err.messages[0].text == "2+3"
    assert [m.role for m in err.messages] == ["user", *["assistant", "tool"] * 3]
    assert_every_call_answered(err.messages)
    assert err.usage.requests == 3


async def test_a_good_call_resets_the_count() -> None:
    bad, good = tool_call("add", a="x", b=1), tool_call("add", a=1, b=1)
    model = ScriptedModel([bad, good, bad, good, "done"])
    result = await Agent(model, tools=[add], tool_retries=1).run("x")
    assert result.output == "done"


async def test_an_exception_in_a_tool_becomes_an_error_result() -> None:
    @tool
    def explode(city: str) -> str:
        """Always fails."""
        raise ValueError(f"no weather station in {city}")

    model = ScriptedModel([tool_call("explode", city="Atlantis"), "Sorry."])
    result = await Agent(model, tools=[explode]).run("weather?")
    ((text, is_error),) = results(result.messages)
    assert is_error
    assert text == "Tool explode raised ValueError: no weather station in Atlantis."
    assert "Traceback" not in text
    assert result.output == "Sorry."


async def test_tool_error_sends_its_message_without_traceback() -> None:
    @tool
    def lookup(city: str) -> str:
        """Look a city up."""
        raise ToolError(f"Unknown city {city!r}; try the English name.")

    model = ScriptedModel([tool_call("lookup", city="Wien"), "ok"])
    result = await Agent(model, tools=[lookup]).run("x")
    assert results(result.messages) == [("Unknown city 'Wien'; try the English name.", True)]


@pytest.mark.parametrize("error", ["ToolError", "Refused"])
async def test_a_tool_error_is_kept_as_type_and_message_without_a_traceback(error: str) -> None:
    # Raised on purpose for the model (expected control flow): no traceback is formatted.
    def make() -> ToolError:
        if error == "ToolError":
            return ToolError("Unknown city 'Wien'; try the English name.")
        return Refused("max_results", "too many cities; narrow the search.")

    @tool
    def lookup(city: str) -> str:
        """Look a city up."""
        raise make()

    model = ScriptedModel([tool_call("lookup", city="Wien"), "ok"])
    events = [e async for e in Agent(model, tools=[lookup]).stream("x")]
    (done,) = [e for e in events if isinstance(e, ToolResultEvent)]
    expected = make()
    assert done.error == ToolFailure(type(expected).__name__, str(expected), "")
    assert done.result.text == str(expected)


async def test_tool_declared_to_raise_stops_the_run_with_the_conversation() -> None:
    @tool(errors="raise")
    def strict(a: int) -> int:
        """Fails loudly."""
        raise RuntimeError("database down")

    model = ScriptedModel([[tool_call("strict", a=1), tool_call("add", a=1, b=2)], "unreached"])
    with pytest.raises(ToolExecutionError) as info:
        await Agent(model, tools=[strict, add]).run("go")
    err = info.value
    assert isinstance(err.__cause__, RuntimeError)
    assert err.tool_name == "strict" and "database down" in str(err)
    assert err.messages[0].text == "go"
    assert_every_call_answered(err.messages)
    assert err.usage.requests == 1


async def test_a_tool_timeout_is_an_error_result_and_the_run_goes_on() -> None:
    finished = []

    @tool(timeout=0.05)
    async def slow() -> str:
        """Takes too long."""
        try:
            await asyncio.sleep(10)
        finally:
            finished.append(True)
        return "late"

    model = ScriptedModel([tool_call("slow"), "It timed out."])
    result = await Agent(model, tools=[slow]).run("x")
    assert results(result.messages) == [("Tool slow timed out after 0.05 s.", True)]
    assert result.output == "It timed out." and finished == [True]


async def test_sync_tool_in_a_thread_timeout() -> None:
    import threading

    release = threading.Event()

    @tool(timeout=0.05)
    def blocking() -> str:
        """Blocks until the test is over (a minute at most): only the time limit ends it first."""
        release.wait(60)
        return "late"

    model = ScriptedModel([tool_call("blocking"), "ok"])
    try:
        result = await Agent(model, tools=[blocking]).run("x")
    finally:
        release.set()
    assert results(result.messages)[0][1] is True


# --------------------------------------------------- failures are seen, not swallowed


class Database:
    def lookup(self, key: str) -> str:
        return f"row {key}"


@tool
def fetch(ctx: RunContext[Database], key: str) -> str:
    """Fetch a row (needs deps=Database())."""
    return ctx.deps.lookup(key)


def forgot_deps(*, tool_errors: str = "return") -> Agent[str]:
    model = ScriptedModel([tool_call("fetch", key="secret-key-42"), "Could not fetch."])
    return Agent(model, tools=[fetch], tool_errors=tool_errors)  # type: ignore[arg-type]


async def test_a_tool_exception_is_logged_at_warning_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="llmkit"):
        result = await forgot_deps().run("get it")
    (record,) = [r for r in caplog.records if r.name == "llmkit"]
    assert record.levelno == logging.WARNING
    message = record.getMessage()
    assert "'fetch'" in message and result.run_id in message and "AttributeError" in message
    assert record.exc_info is not None and record.exc_info[0] is AttributeError
    assert "secret-key-42" not in message  # the arguments stay out of the log
    assert record.run_id == result.run_id  # type: ignore[attr-defined]
    assert result.output == "Could not fetch."


async def test_a_tool_exception_is_on_the_tool_result_event() -> None:
    events = [e async for e in forgot_deps().stream("get it")]
    (done,) = [e for e in events if isinstance(e, ToolResultEvent)]
    assert done.result.is_error
    assert done.error is not None
    assert done.error.type == "AttributeError"
    assert "lookup" in done.error.message
    assert done.error.traceback.startswith("Traceback")
    assert "in fetch" in done.error.traceback


async def test_bus_subscribers_see_the_tool_error() -> None:
    seen: list[ToolResultEvent] = []
    bus = Bus()
    bus.on("tool.result", seen.append, inline=True)
    agent = forgot_deps()
    await Agent(agent.model, tools=[fetch], bus=bus).run("get it")
    assert seen[0].error is not None and seen[0].error.type == "AttributeError"


async def test_after_tool_hooks_and_recordings_see_the_tool_error(tmp_path: Path) -> None:
    seen: list[ToolFailure | None] = []

    class Watch(Hook):
        def after_tool(self, ctx: HookContext, call: ToolCall, result: ToolResult) -> None:
            seen.append(ctx.tool_error)

    model = ScriptedModel([tool_call("fetch", key="k"), "Could not fetch."])
    path = tmp_path / "run.jsonl"
    async with record(path):
        await Agent(model, tools=[fetch], hooks=[Watch()]).run("get it")
    assert seen[0] is not None and seen[0].type == "AttributeError"
    (line,) = [line for line in Recording.load(path).lines if line.topic == "tool.result"]
    assert line.event.error == seen[0]  # type: ignore[union-attr]


async def test_tool_errors_raise_stops_the_run_on_a_programming_error() -> None:
    with pytest.raises(ToolExecutionError) as info:
        await forgot_deps(tool_errors="raise").run("get it")
    err = info.value
    assert isinstance(err.__cause__, AttributeError)
    assert err.tool_name == "fetch"
    assert [m.role for m in err.messages] == ["user", "assistant", "tool"]
    assert_every_call_answered(err.messages)


async def test_tool_errors_raise_still_sends_a_tool_error_to_the_model() -> None:
    @tool
    def lookup(city: str) -> str:
        """Look a city up."""
        raise ToolError("Unknown city; try the English name.")

    model = ScriptedModel([tool_call("lookup", city="Wien"), "ok"])
    result = await Agent(model, tools=[lookup], tool_errors="raise").run("x")
    assert results(result.messages) == [("Unknown city; try the English name.", True)]


async def test_a_tools_own_errors_setting_wins_over_the_agents() -> None:
    lenient = tool(errors="return", name="fetch")(fetch.function)
    model = ScriptedModel([tool_call("fetch", key="k"), "Could not fetch."])
    result = await Agent(model, tools=[lenient], tool_errors="raise").run("get it")
    assert results(result.messages)[0][1] is True
    assert result.output == "Could not fetch."


async def test_tool_errors_takes_return_or_raise() -> None:
    with pytest.raises(UsageError, match="tool_errors='loud'"):
        Agent(ScriptedModel([]), tool_errors="loud")  # type: ignore[arg-type]


# ------------------------------------------- return values that cannot be sent


def circular() -> list[Any]:
    loop: list[Any] = []
    loop.append(loop)
    return loop


@pytest.mark.parametrize(
    ("value", "why"),
    [(circular(), "Circular reference"), ({b"\xff\xfe"}, "invalid utf-8")],
    ids=["circular", "non-utf8-bytes-in-a-set"],
)
async def test_a_return_value_that_cannot_be_serialised_becomes_an_error_result(
    value: Any, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    @tool
    def produce() -> Any:
        """Returns something that is not JSON."""
        return value

    model = ScriptedModel([tool_call("produce"), "I could not read it."])
    with caplog.at_level(logging.WARNING, logger="llmkit"):
        result = await Agent(model, tools=[produce]).run("x")
    ((text, is_error),) = results(result.messages)
    assert is_error
    assert text.startswith("Tool produce returned a value that cannot be sent to the model")
    assert why in text
    assert result.output == "I could not read it."
    assert any("'produce'" in r.getMessage() for r in caplog.records)


async def test_an_unserialisable_value_with_tool_errors_raise_keeps_the_conversation() -> None:
    @tool
    def produce() -> Any:
        """Returns a cycle."""
        return circular()

    model = ScriptedModel([tool_call("produce"), "unreached"])
    with pytest.raises(ToolExecutionError, match="cannot be sent to the model") as info:
        await Agent(model, tools=[produce], tool_errors="raise").run("x")
    assert [m.role for m in info.value.messages] == ["user", "assistant", "tool"]

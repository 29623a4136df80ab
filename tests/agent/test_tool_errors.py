"""Bad tool calls and failing tools: the model gets an error it can act on, nothing is lost."""

from __future__ import annotations

import asyncio

import pytest

from llmkit import Agent, ToolCall, ToolError, tool
from llmkit.errors import ToolExecutionError, ToolRetriesExceeded
from llmkit.testing import Scenario, ScriptedModel, says, tool_call, tool_returned
from llmkit.types import Message

pytestmark = pytest.mark.anyio


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def broken_call(name: str, raw: str) -> ToolCall:
    return ToolCall("", name, {}, raw_arguments=raw)


def results(messages: list[Message]) -> list[tuple[str, bool]]:
    return [(r.text, r.is_error) for m in messages for r in m.tool_results]


def assert_every_call_answered(messages: list[Message]) -> None:
    calls = [c.id for m in messages for c in m.tool_calls]
    answered = [r.call_id for m in messages for r in m.tool_results]
    assert sorted(calls) == sorted(answered)


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

"""A reply the provider marks as failed is never the final answer.

Gemini answers a tool call it could not form with finish reason
``MALFORMED_FUNCTION_CALL`` and no content (``finish_reason="error"``). The run
tells the model and asks again, counted like a wrong tool call under
``tool_retries``; past it, ``ToolRetriesExceeded`` carries the conversation.
The dropped reply stays in ``result.steps``; the conversation never holds an
empty assistant message (Gemini refuses one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from llmkit import Agent, Message, Model, Response, Usage, tool
from llmkit.errors import ToolRetriesExceeded
from llmkit.events import ModelResponse, StepEnd
from llmkit.http import RetryPolicy
from llmkit.testing import FakeProviderServer, ScriptedModel, fake_model, tool_call

pytestmark = pytest.mark.anyio


def malformed() -> Response:
    return Response(
        Message("assistant", []),
        Usage(12, 0, requests=1),
        finish_reason="error",
        raw_finish_reason="MALFORMED_FUNCTION_CALL",
    )


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def roles(messages: list[Message]) -> list[str]:
    return [m.role for m in messages]


async def test_a_failed_reply_is_retried_not_taken_for_the_answer() -> None:
    model = ScriptedModel([malformed(), tool_call("add", a=2, b=3), "5"])
    result = await Agent(model, tools=[add]).run("2+3?")
    assert result.output == "5"
    assert roles(result.messages) == ["user", "user", "assistant", "tool", "assistant"]
    note = result.messages[1].text
    assert "MALFORMED_FUNCTION_CALL" in note and "valid JSON" in note
    assert all(m.parts for m in result.messages)  # no empty assistant message
    assert len(result.steps) == 3 and result.steps[0].response.finish_reason == "error"
    assert result.usage.requests == 3


async def test_failed_replies_past_tool_retries_raise_with_the_conversation() -> None:
    model = ScriptedModel([malformed(), malformed(), "never reached"])
    with pytest.raises(ToolRetriesExceeded) as info:
        await Agent(model, tools=[add], tool_retries=1).run("2+3?")
    err = info.value
    assert "failed 2 times in a row" in str(err) and "MALFORMED_FUNCTION_CALL" in str(err)
    assert roles(err.messages) == ["user", "user"]
    assert err.usage.requests == 2


async def test_a_good_reply_resets_the_count_of_failed_ones() -> None:
    script: list[Any] = [malformed(), tool_call("add", a=1, b=1), malformed(), "2"]
    result = await Agent(ScriptedModel(script), tools=[add], tool_retries=1).run("1+1?")
    assert result.output == "2"


async def test_a_streamed_failed_reply_ends_its_step_and_the_run_goes_on() -> None:
    model = ScriptedModel([malformed(), "fine"])
    events = [e async for e in Agent(model).stream("hi")]
    finishes = [e.response.finish_reason for e in events if isinstance(e, ModelResponse)]
    assert finishes == ["error", "stop"]
    assert [e.step for e in events if isinstance(e, StepEnd)] == [1, 2]


@pytest.fixture
def gemini(llmkit_fake_server: FakeProviderServer) -> Callable[[], Model]:
    return lambda: fake_model(llmkit_fake_server, "gemini", retry=RetryPolicy(max_retries=0))


@pytest.mark.parametrize("how", ["run", "stream"])
async def test_gemini_malformed_function_call_over_http_is_retried(
    llmkit_fake_server: FakeProviderServer, gemini: Callable[[], Model], how: str
) -> None:
    server = llmkit_fake_server
    server.script([malformed(), tool_call("add", a=2, b=3), "5"])
    agent = Agent(gemini(), tools=[add])
    if how == "run":
        result = await agent.run("2+3?")
    else:
        result = [e async for e in agent.stream("2+3?")][-1].result  # type: ignore[union-attr]
    assert result.output == "5"
    assert result.steps[0].response.raw_finish_reason == "MALFORMED_FUNCTION_CALL"
    assert roles(result.messages) == ["user", "user", "assistant", "tool", "assistant"]
    assert not server.errors  # the strict server accepted every request that followed


async def test_gemini_malformed_function_calls_end_in_a_typed_error(
    llmkit_fake_server: FakeProviderServer, gemini: Callable[[], Model]
) -> None:
    llmkit_fake_server.script([malformed(), malformed(), malformed()])
    with pytest.raises(ToolRetriesExceeded) as info:
        await Agent(gemini(), tools=[add]).run("2+3?")
    assert roles(info.value.messages) == ["user", "user", "user"]
    assert not llmkit_fake_server.errors

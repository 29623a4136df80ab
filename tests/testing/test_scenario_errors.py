"""A failed scenario run keeps the conversation as far as it got, whatever the error type."""

from __future__ import annotations

import pytest

from llmkit import Agent, tool
from llmkit.errors import ServerError
from llmkit.testing import Fault, Scenario, ScriptExhaustedError, calls_tool


@tool
def look(x: int) -> int:
    """Look a number up."""
    return x


bot = Agent("openai/gpt-4.1-mini", name="bot", tools=[look])


@pytest.mark.parametrize(
    ("failure", "error_type"),
    [
        (RuntimeError("boom"), RuntimeError),  # declares no conversation of its own
        (Fault.status(500), ServerError),
        (None, ScriptExhaustedError),  # no turn left
    ],
)
def test_the_failed_exchange_keeps_the_run_so_far(
    failure: Fault | BaseException | None, error_type: type[BaseException]
) -> None:
    s = Scenario(bot)
    s.user("look 1 up")
    s.model_calls_tool("look", x=1)
    if failure is not None:
        s.model_fails(failure)
    s.expect_error(error_type)
    s.expect(calls_tool("look", x=1))
    exchange = s.run()[0]
    assert [m.role for m in exchange.messages] == ["user", "assistant", "tool"]
    assert isinstance(exchange.error, error_type)
    assert [m.role for m in exchange.error.messages] == ["user", "assistant", "tool"]  # type: ignore[attr-defined]

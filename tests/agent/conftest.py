"""Helpers shared by the agent tests."""

from __future__ import annotations

from llmkit.types import Message


def assert_every_call_answered(messages: list[Message]) -> None:
    """Every tool call in ``messages`` has exactly one result, and no call is left trailing."""
    calls = [c.id for m in messages for c in m.tool_calls]
    answered = [r.call_id for m in messages for r in m.tool_results]
    assert sorted(calls) == sorted(answered)
    assert messages[-1].role != "assistant" or not messages[-1].tool_calls

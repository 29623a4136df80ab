"""Trimming histories without separating tool calls from their results."""

from __future__ import annotations

import pytest

from llmkit.errors import UsageError
from llmkit.history import estimate_tokens, trim_history
from llmkit.types import ImagePart, Message, ToolCall, ToolResult


def conversation() -> list[Message]:
    return [
        Message.system("Be brief."),
        Message.user("first question"),
        Message.assistant("first answer"),
        Message.user("use a tool"),
        Message.assistant(tool_calls=[ToolCall("c1", "f"), ToolCall("c2", "g")]),
        Message.tool(ToolResult("c1", "one")),
        Message.tool(ToolResult("c2", "two")),
        Message.assistant("done with tools"),
        Message.user("last question"),
    ]


def test_within_limits_nothing_changes_and_the_input_is_a_copy() -> None:
    messages = conversation()
    kept = trim_history(messages, max_messages=100)
    assert kept == messages
    assert kept is not messages


def test_oldest_turns_go_first_and_system_stays() -> None:
    kept = trim_history(conversation(), max_messages=4)
    assert [m.role for m in kept] == ["system", "user"]
    assert kept[1].text == "last question"


def test_tool_calls_and_results_are_dropped_together() -> None:
    messages = conversation()
    for limit in range(1, len(messages) + 1):
        kept = trim_history(messages, max_messages=limit)
        calls = {c.id for m in kept for c in m.tool_calls}
        results = {r.call_id for m in kept for r in m.tool_results}
        assert calls == results, limit
        non_system = [m for m in kept if m.role != "system"]
        assert non_system[0].role == "user", limit


def test_token_budget() -> None:
    messages = conversation()
    total = sum(estimate_tokens(m) for m in messages)
    kept = trim_history(messages, max_tokens=total - 1)
    assert len(kept) < len(messages)
    assert sum(estimate_tokens(m) for m in kept) <= total - 1
    assert kept[0].role == "system"


def test_the_last_turn_is_kept_even_when_too_big() -> None:
    messages = [Message.user("x" * 10_000)]
    assert trim_history(messages, max_tokens=10) == messages


def test_estimates_count_media_and_tool_arguments() -> None:
    assert estimate_tokens(Message.user("abcd" * 10)) == 4 + 10
    assert estimate_tokens(Message.user(ImagePart(url="https://x/a.png"))) > 100
    assert estimate_tokens(Message.assistant(tool_calls=[ToolCall("1", "f", {}, '{"a": 1}')])) > 4


def test_bad_limits() -> None:
    with pytest.raises(UsageError):
        trim_history([], max_messages=0)
    with pytest.raises(UsageError):
        trim_history([], max_tokens=0)

"""The script format: tool_call(), token estimates and the exhaustion error."""

from __future__ import annotations

import pickle

import pytest

from llmkit.testing import ScriptExhaustedError, tool_call
from llmkit.testing._script import Script, estimate_tokens, estimate_usage, response_for
from llmkit.types import Message, Request, ToolCall, ToolResult


def test_tool_call_leaves_the_id_empty() -> None:
    assert tool_call("add", a=1, name="x") == ToolCall("", "add", {"a": 1, "name": "x"})


@pytest.mark.parametrize(("chars", "tokens"), [(0, 1), (1, 1), (4, 1), (5, 2), (400, 100)])
def test_token_estimate(chars: int, tokens: int) -> None:
    assert estimate_tokens(chars) == tokens


def test_usage_counts_text_tool_calls_and_results() -> None:
    request = Request(
        [
            Message.user("12345678"),
            Message.assistant(tool_calls=[ToolCall("c", "ab", {}, raw_arguments="123456")]),
            Message.tool(ToolResult("c", "1234")),
        ]
    )
    usage = estimate_usage(request, Message.assistant("1234"))
    assert (usage.input_tokens, usage.output_tokens, usage.requests) == (5, 1, 1)


def test_ids_count_per_script_and_restart_with_a_new_one() -> None:
    script = Script([])
    calls = [response_for(tool_call("f"), None, script).tool_calls[0].id for _ in range(3)]
    assert calls == ["call_1", "call_2", "call_3"]
    assert response_for(tool_call("f"), None, Script([])).tool_calls[0].id == "call_1"


def test_exhausted_error_survives_pickling() -> None:
    error = pickle.loads(pickle.dumps(ScriptExhaustedError(3, 4)))
    assert (error.turns, error.call) == (3, 4)
    assert "it had 3 turns and this is call 4" in str(error)
    assert "1 turn and" in str(ScriptExhaustedError(1, 2))

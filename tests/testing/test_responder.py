"""The built-in endless responder used by ``python -m llmkit.testing serve``."""

from __future__ import annotations

import json

from llmkit.testing._responder import GREETING, default_responder, placeholder
from llmkit.types import Message, OutputSchema, Request, ToolCall, ToolResult, ToolSpec

WEATHER = ToolSpec(
    "weather",
    parameters={
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "days": {"type": "integer"},
            "unit": {"enum": ["c", "f"]},
            "verbose": {"type": "boolean"},
        },
        "required": ["city", "days", "unit"],
    },
)


def test_plain_request_gets_the_greeting() -> None:
    assert default_responder(Request([Message.user("hi")])) == GREETING


def test_tools_and_a_user_message_get_a_call_to_the_first_tool() -> None:
    turn = default_responder(
        Request([Message.user("weather?")], tools=[WEATHER, ToolSpec("other")])
    )
    assert turn == ToolCall("", "weather", {"city": "example", "days": 1, "unit": "c"})


def test_tool_choice_picks_the_tool_and_none_disables_calls() -> None:
    tools = [ToolSpec("first"), WEATHER]
    named = default_responder(Request([Message.user("x")], tools=tools, tool_choice="weather"))
    assert isinstance(named, ToolCall)
    assert named.name == "weather"
    assert (
        default_responder(Request([Message.user("x")], tools=tools, tool_choice="none")) == GREETING
    )


def test_tool_results_get_a_text_reply() -> None:
    request = Request(
        [
            Message.user("weather?"),
            Message.assistant(tool_calls=[ToolCall("c1", "weather", {})]),
            Message.tool(ToolResult("c1", "sunny")),
        ],
        tools=[WEATHER],
    )
    assert default_responder(request) == "The tool returned: sunny"


def test_output_schema_gets_matching_json() -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "score": {"type": "number"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "maybe": {"type": ["null", "integer"]},
            "pick": {"anyOf": [{"type": "boolean"}, {"type": "string"}]},
        },
    }
    turn = default_responder(Request([Message.user("x")], output_schema=OutputSchema(schema)))
    assert isinstance(turn, str)
    assert json.loads(turn) == {
        "name": "example",
        "score": 1.5,
        "tags": ["example"],
        "maybe": 1,
        "pick": True,
    }


def test_placeholder_handles_nested_required_objects() -> None:
    schema = {
        "type": "object",
        "required": ["where"],
        "properties": {"where": {"properties": {"x": {"const": 3}}, "required": ["x"]}},
    }
    assert placeholder(schema) == {"where": {"x": 3}}

"""The event vocabulary and its JSON form."""

from __future__ import annotations

import pytest

from llmkit import events, types
from llmkit.errors import SerializationError
from llmkit.types import Message, Request, Response, ToolCall, ToolResult, Usage

EVERY_EVENT = [
    events.TextDelta("hi"),
    events.ReasoningDelta("think", "sig"),
    events.ToolCallDelta(0, "c1", "add", '{"a":'),
    events.ModelResponse(Response(Message.assistant("done"), Usage(1, 1, requests=1))),
    events.RunStart("r1", "agent", [Message.user("hi")]),
    events.ModelRequest("r1", 1, Request([Message.user("hi")])),
    events.ToolCallEvent("r1", 1, ToolCall("c1", "add", {"a": 1})),
    events.ToolResultEvent("r1", 1, ToolResult("c1", "2"), 0.5),
    events.ToolResultEvent(
        "r1",
        1,
        ToolResult("c1", "Tool add raised KeyError: 'a'.", is_error=True),
        0.5,
        events.ToolFailure("KeyError", "'a'", "Traceback (most recent call last):\n..."),
    ),
    events.StepEnd("r1", 1, Usage(2, 3)),
    events.Handoff("r1", "triage", "billing"),
    events.ApprovalRequired("r1", [ToolCall("c9", "delete", {})]),
    events.RunEnd("r1", {"output": "x"}),
    events.ErrorEvent("RateLimitError", "slow down", "r1"),
]


def test_every_topic_of_the_design_has_an_event_type() -> None:
    topics = {type(e).topic for e in EVERY_EVENT}
    assert topics == {
        "model.text_delta",
        "model.reasoning_delta",
        "model.tool_call_delta",
        "model.response",
        "run.start",
        "model.request",
        "tool.call",
        "tool.result",
        "step.end",
        "handoff",
        "approval.required",
        "run.end",
        "error",
    }


@pytest.mark.parametrize("event", EVERY_EVENT, ids=lambda e: e.topic)
def test_event_json_round_trip(event: events.Event) -> None:
    as_dict = events.event_to_dict(event)
    assert as_dict["topic"] == event.topic
    assert events.event_from_dict(as_dict) == event
    assert types.loads(types.dumps(event)) == event


def test_events_are_slotted() -> None:
    with pytest.raises(AttributeError):
        events.TextDelta("x").extra = 1  # type: ignore[attr-defined]


def test_unknown_topic_and_bad_fields_raise_serialization_error() -> None:
    with pytest.raises(SerializationError, match="Unknown event topic 'nope'"):
        events.event_from_dict({"topic": "nope"})
    with pytest.raises(SerializationError, match="Malformed model.text_delta"):
        events.event_from_dict({"topic": "model.text_delta"})
    with pytest.raises(SerializationError, match="Expected a ToolCall"):
        events.event_from_dict(
            {"topic": "tool.call", "run_id": "r", "step": 1, "call": {"type": "text", "text": "x"}}
        )


def test_a_tool_result_without_an_error_keeps_its_json_form() -> None:
    # Older readers and recordings: no "error" key unless the tool raised.
    event = events.ToolResultEvent("r1", 1, ToolResult("c1", "2"), 0.5)
    assert events.event_to_dict(event) == {
        "topic": "tool.result",
        "run_id": "r1",
        "step": 1,
        "result": ToolResult("c1", "2").to_dict(),
        "duration": 0.5,
    }
    assert events.event_from_dict(events.event_to_dict(event)).error is None


def test_a_tool_failure_in_bad_shape_is_a_serialization_error() -> None:
    data = events.event_to_dict(events.ToolResultEvent("r1", 1, ToolResult("c1", "2")))
    with pytest.raises(SerializationError, match="tool failure"):
        events.event_from_dict({**data, "error": {"message": "no type"}})

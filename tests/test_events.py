"""The event vocabulary and its JSON form."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from collections.abc import Iterator
from typing import Any, get_args, get_type_hints

import pytest
from pydantic import BaseModel

from llmkit import events, types
from llmkit._scope import STEP_SCOPE, StepScope
from llmkit.errors import SerializationError
from llmkit.types import Message, Request, Response, ToolCall, ToolResult, Usage

EVERY_EVENT = [
    events.TextDelta("hi"),
    events.ReasoningDelta("think", "sig"),
    events.ToolCallDelta(0, "c1", "add", '{"a":'),
    events.ModelResponse(Response(Message.assistant("done"), Usage(1, 1, requests=1))),
    events.RunStart("r1", "agent", [Message.user("hi")]),
    events.ModelRequest("r1", 1, Request([Message.user("hi")])),
    events.PartialOutput("r1", 2, {"total": 1.5, "items": ["a"]}),
    events.ToolCallEvent("r1", 1, ToolCall("c1", "add", {"a": 1})),
    events.ToolProgress("r1", 1, "c1", "index", 2, 5, "2 of 5 files"),
    events.ToolProgress("r1", 1, "c1", "index", 0.5),
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

WORKFLOW_EVENTS = [
    events.WorkflowStart("w1", "article", {"topic": "tides", "notes": ""}, path="article"),
    events.WorkflowStepStart("w1", "agent", 2, path="article/researcher"),
    events.WorkflowStepRetry(
        "w1", 1, "RateLimitError", "slow down", 0.25, path="article/reviews[1]/critic_b"
    ),
    events.WorkflowStepEnd(
        "w1", "function", "ok", 1, 0.5, Usage(3, 4), {"score": 0.9}, path="article/score"
    ),
    events.WorkflowStepEnd(
        "w1",
        "agent",
        "failed",
        3,
        1.5,
        Usage(10, 2, estimated=True),
        None,
        "ServerError",
        "down",
        "fallback",
        path="article/researcher",
    ),
    events.WorkflowEnd("w1", "article", "complete", {"version": 1, "output": "x"}, path="article"),
    events.WorkflowEnd("w1", "article", "failed", None, "WorkflowError", "boom", path="article"),
]


@pytest.fixture
def in_step() -> Iterator[StepScope]:
    """Run the test inside a workflow step."""
    scope = StepScope("w1", "article/reviews[1]/critic_b", 1)
    token = STEP_SCOPE.set(scope)
    yield scope
    STEP_SCOPE.reset(token)


def _form_without_paths(event: Any) -> dict[str, Any]:
    """The JSON form an event had before events carried a path (written out here, unchanged)."""
    d: dict[str, Any] = {"topic": event.topic}
    for name in type(event).__slots__:
        value = getattr(event, name)
        codec = type(event)._codecs.get(name)
        d[name] = codec[0](value) if codec is not None and value is not None else value
    if type(event) is events.ToolResultEvent and d["error"] is None:
        del d["error"]
    if type(event) is events.ToolProgress:
        d = {k: v for k, v in d.items() if k not in ("total", "message") or v is not None}
    return d


def test_every_topic_of_the_design_has_an_event_type() -> None:
    topics = {type(e).topic for e in EVERY_EVENT}
    assert topics == {
        "model.text_delta",
        "model.reasoning_delta",
        "model.tool_call_delta",
        "model.response",
        "run.start",
        "model.request",
        "output.partial",
        "tool.call",
        "tool.progress",
        "tool.result",
        "step.end",
        "handoff",
        "approval.required",
        "run.end",
        "error",
    }
    assert {type(e).topic for e in WORKFLOW_EVENTS} == {
        "workflow.start",
        "workflow.step.start",
        "workflow.step.retry",
        "workflow.step.end",
        "workflow.end",
    }
    assert {type(e) for e in EVERY_EVENT + WORKFLOW_EVENTS} == set(get_args(events.Event))


def test_every_event_pickles_and_its_type_hints_resolve() -> None:
    for event in EVERY_EVENT + WORKFLOW_EVENTS:
        assert pickle.loads(pickle.dumps(event)) == event
        assert "path" in get_type_hints(type(event)), event.topic  # what pydantic reads too


def test_a_fresh_process_loads_every_topic_from_an_envelope() -> None:
    # llmkit.types.load imports llmkit.events on demand: that must register every topic.
    program = (
        "from llmkit.types import load\n"
        "print(type(load({'llmkit': 1, 'kind': 'workflow.step.retry', 'data': "
        "{'run_id': 'w', 'attempt': 1, 'error_type': 'E', 'message': 'm'}})).__name__)"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (0, "WorkflowStepRetry\n", "")


@pytest.mark.parametrize("event", EVERY_EVENT + WORKFLOW_EVENTS, ids=lambda e: e.topic)
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


# ------------------------------------------------------------------ step paths


def test_an_event_built_inside_a_step_has_its_path_and_outside_none(in_step: StepScope) -> None:
    assert events.TextDelta("hi").path == "article/reviews[1]/critic_b"
    assert events.RunStart("r1", "critic_b").path == in_step.path
    token = STEP_SCOPE.set(None)
    try:
        assert events.TextDelta("hi").path == ""
    finally:
        STEP_SCOPE.reset(token)
    assert events.TextDelta("hi", path="given").path == "given"


def test_outside_a_workflow_an_event_has_an_empty_path() -> None:
    assert events.ErrorEvent("X", "y").path == ""


@pytest.mark.parametrize("event", EVERY_EVENT, ids=lambda e: e.topic)
def test_without_a_path_the_json_form_is_what_it_was(event: events.Event) -> None:
    assert event.path == ""
    written = json.dumps(events.event_to_dict(event))
    assert written == json.dumps(_form_without_paths(event))
    assert '"path"' not in written


@pytest.mark.parametrize("event", EVERY_EVENT + WORKFLOW_EVENTS, ids=lambda e: e.topic)
def test_with_a_path_the_key_is_written_and_read_back(event: events.Event) -> None:
    data = events.event_to_dict(event)
    data.pop("path", None)
    tagged = events.event_from_dict({**data, "path": "flow/a[0]/b"})
    assert tagged.path == "flow/a[0]/b"
    as_dict = events.event_to_dict(tagged)
    assert as_dict["path"] == "flow/a[0]/b"
    assert list(as_dict)[-1] == "path"
    assert events.event_from_dict(as_dict) == tagged
    assert types.loads(types.dumps(tagged)) == tagged


def test_the_path_takes_part_in_equality_but_not_in_the_repr() -> None:
    assert events.TextDelta("hi", path="a") != events.TextDelta("hi", path="b")
    assert repr(events.TextDelta("hi", path="a")) == "TextDelta(text='hi')"


def test_data_without_a_path_reads_as_empty_even_inside_a_step(in_step: StepScope) -> None:
    data = {"topic": "model.text_delta", "text": "hi"}
    assert events.event_from_dict(data).path == ""
    assert types.load({"llmkit": 1, "kind": "model.text_delta", "data": {"text": "hi"}}).path == ""


def test_a_path_that_is_not_text_is_a_serialization_error() -> None:
    with pytest.raises(SerializationError, match="path is a int, not a str"):
        events.event_from_dict({"topic": "model.text_delta", "text": "hi", "path": 3})


# ------------------------------------------------------------- workflow events


@pytest.mark.parametrize("event", WORKFLOW_EVENTS, ids=lambda e: e.topic)
def test_workflow_events_round_trip_through_envelopes(event: events.Event) -> None:
    envelope = types.dump(event)
    assert envelope["kind"] == event.topic
    assert types.load(envelope) == event
    assert types.loads(types.dumps([event, event])) == [event, event]


def test_a_step_end_leaves_out_what_is_empty() -> None:
    ok = events.WorkflowStepEnd("w1", "function", "ok", path="flow/f")
    assert events.event_to_dict(ok) == {
        "topic": "workflow.step.end",
        "run_id": "w1",
        "kind": "function",
        "status": "ok",
        "attempts": 1,
        "duration": 0.0,
        "usage": Usage().to_dict(),
        "output": None,
        "path": "flow/f",
    }
    complete = events.event_to_dict(events.WorkflowEnd("w1", "flow", "complete"))
    assert "error_type" not in complete and "message" not in complete


class _State(BaseModel):
    topic: str
    score: float = 0.5


def test_states_and_outputs_are_written_as_json_and_read_back_as_plain_data() -> None:
    start = events.WorkflowStart("w1", "article", _State(topic="tides"))
    end = events.WorkflowStepEnd("w1", "function", "ok", output=(_State(topic="x"), {1, 2}))
    start_data = events.event_to_dict(start)
    assert start_data["state"] == {"topic": "tides", "score": 0.5}
    assert events.event_from_dict(start_data).state == {"topic": "tides", "score": 0.5}
    end_data = json.loads(types.dumps(end))["data"]
    assert end_data["output"] == [{"topic": "x", "score": 0.5}, [1, 2]]
    odd = events.WorkflowStepEnd("w1", "function", "ok", output=object())
    assert events.event_to_dict(odd)["output"].startswith("<object object at")


class _Result:
    def to_dict(self) -> dict[str, Any]:
        return {"version": 1, "name": "flow"}


def test_a_workflow_end_writes_the_result_s_json_form() -> None:
    end = events.WorkflowEnd("w1", "flow", "complete", _Result())
    data = events.event_to_dict(end)
    assert data["result"] == {"version": 1, "name": "flow"}
    assert events.event_from_dict(data).result == {"version": 1, "name": "flow"}

"""Every event type together: the ``Event`` union, topic to type, and the JSON form by topic.

Each event type is registered with the envelope under its topic when this
module is imported (``dump(TextDelta("hi"))["kind"] == "model.text_delta"``),
and :mod:`llmkit.events` imports it, so both know every topic. Served through
:mod:`llmkit.events`; import from it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

from llmkit._envelope import register_kind
from llmkit._events.base import read_event
from llmkit._events.model import ModelResponse, ReasoningDelta, TextDelta, ToolCallDelta
from llmkit._events.run import (
    ApprovalRequired,
    ErrorEvent,
    Handoff,
    ModelRequest,
    PartialOutput,
    RunEnd,
    RunStart,
    StepEnd,
    ToolCallEvent,
    ToolProgress,
    ToolResultEvent,
)
from llmkit._events.workflow import (
    WorkflowEnd,
    WorkflowStart,
    WorkflowStepEnd,
    WorkflowStepRetry,
    WorkflowStepStart,
)
from llmkit.errors import SerializationError
from llmkit.types import JSONDict

__all__ = [
    "EVENT_TYPES",
    "Event",
    "event_from_dict",
    "event_to_dict",
]


Event: TypeAlias = (
    TextDelta
    | ReasoningDelta
    | ToolCallDelta
    | ModelResponse
    | RunStart
    | ModelRequest
    | PartialOutput
    | ToolCallEvent
    | ToolProgress
    | ToolResultEvent
    | StepEnd
    | Handoff
    | ApprovalRequired
    | RunEnd
    | ErrorEvent
    | WorkflowStart
    | WorkflowStepStart
    | WorkflowStepRetry
    | WorkflowStepEnd
    | WorkflowEnd
)
"""Any llmkit event."""

EVENT_TYPES: tuple[type[Any], ...] = (
    TextDelta,
    ReasoningDelta,
    ToolCallDelta,
    ModelResponse,
    RunStart,
    ModelRequest,
    PartialOutput,
    ToolCallEvent,
    ToolProgress,
    ToolResultEvent,
    StepEnd,
    Handoff,
    ApprovalRequired,
    RunEnd,
    ErrorEvent,
    WorkflowStart,
    WorkflowStepStart,
    WorkflowStepRetry,
    WorkflowStepEnd,
    WorkflowEnd,
)
"""Every event type, in the order of the ``Event`` union."""

_BY_TOPIC: dict[str, type[Any]] = {cls.topic: cls for cls in EVENT_TYPES}


def event_to_dict(event: Event) -> JSONDict:
    """The JSON form of an event: ``{"topic": ..., <fields>}``."""
    d: JSONDict = {"topic": event.topic}
    d.update(event.to_dict())
    return d


def event_from_dict(d: JSONDict) -> Event:
    """Rebuild an event from :func:`event_to_dict` output.

    Keys that are not fields of the event are ignored; a missing ``path`` is
    ``""`` (never the reader's own step scope).
    """
    topic = d.get("topic")
    cls = _BY_TOPIC.get(topic) if isinstance(topic, str) else None
    if cls is None:
        raise SerializationError(
            f"Unknown event topic {topic!r}; known topics: {', '.join(sorted(_BY_TOPIC))}."
        )
    event: Event = read_event(cls, d)
    return event


def _loader_for(topic: str) -> Callable[[JSONDict], Event]:
    return lambda d: event_from_dict({**d, "topic": topic})


for _cls in EVENT_TYPES:
    # An event's envelope kind is its topic: dump(TextDelta("hi"))["kind"] == "model.text_delta".
    register_kind(_cls.topic, _cls, _loader_for(_cls.topic))

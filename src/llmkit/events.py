"""The event vocabulary: one set of event types for streams, hooks, the bus and recordings.

Every event is a slotted dataclass with a ``topic`` string. Model-level events
come out of ``Model.stream``; run-level events come out of ``Agent.stream``
together with the model-level ones. The same objects are published on the
event bus (subscribers match ``topic`` with glob patterns) and written to
recordings (one JSON object per event, see :func:`event_to_dict`).

Model level:

- ``model.text_delta`` -- :class:`TextDelta`
- ``model.reasoning_delta`` -- :class:`ReasoningDelta`
- ``model.tool_call_delta`` -- :class:`ToolCallDelta`
- ``model.response`` -- :class:`ModelResponse`, always the last event of a stream

Run level: ``run.start``, ``model.request``, ``output.partial``, ``tool.call``,
``tool.progress``, ``tool.result``, ``step.end``, ``handoff``, ``approval.required``,
``run.end``, ``error``.

Workflow level (``llmkit.workflow``): ``workflow.start``, ``workflow.step.start``,
``workflow.step.retry``, ``workflow.step.end``, ``workflow.end``. The agent's
own ``step.end`` keeps its meaning (one model call and its tool calls).

Every event has a keyword-only ``path``: the path of the workflow step it
happened in (``"article/reviews[1]/critic_b"``), read from the step scope when
the event is built, ``""`` outside workflows. Its JSON form has a ``"path"``
key only when the path is not empty, so events from outside workflows are
written exactly as before; data without the key reads back with ``""``.

This module only re-exports: the types are defined by level in ``llmkit._events``
(``model``, ``run``, ``workflow``, on ``base``), the union and the JSON form in
``catalog``.
"""

from __future__ import annotations

from llmkit._events.catalog import (
    Event,
    event_from_dict,
    event_to_dict,
)
from llmkit._events.model import (
    ModelResponse,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
)
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
    ToolFailure,
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

__all__ = [
    "ApprovalRequired",
    "ErrorEvent",
    "Event",
    "Handoff",
    "ModelRequest",
    "ModelResponse",
    "PartialOutput",
    "ReasoningDelta",
    "RunEnd",
    "RunStart",
    "StepEnd",
    "StreamEvent",
    "TextDelta",
    "ToolCallDelta",
    "ToolCallEvent",
    "ToolFailure",
    "ToolProgress",
    "ToolResultEvent",
    "WorkflowEnd",
    "WorkflowStart",
    "WorkflowStepEnd",
    "WorkflowStepRetry",
    "WorkflowStepStart",
    "event_from_dict",
    "event_to_dict",
]

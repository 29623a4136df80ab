"""Workflow-level events: a workflow run's start and end, and each step's start, retry and end.

Served through :mod:`llmkit.events`; import from it. The agent's own
``step.end`` keeps its meaning (one model call and its tool calls).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from llmkit._events.base import JSONABLE, USAGE, Codec, EventBase, as_is
from llmkit.types import Usage

__all__ = [
    "WorkflowEnd",
    "WorkflowStart",
    "WorkflowStepEnd",
    "WorkflowStepRetry",
    "WorkflowStepStart",
]


@dataclass(slots=True)
class WorkflowStart(EventBase):
    """A workflow run began on ``state`` (``path`` is the workflow's name)."""

    run_id: str
    workflow: str
    state: Any = None
    """The state it starts on; read back from JSON as plain data."""
    topic: ClassVar[str] = "workflow.start"
    _codecs: ClassVar[dict[str, Codec]] = {"state": JSONABLE}


@dataclass(slots=True)
class WorkflowStepStart(EventBase):
    """An attempt of a workflow step began (``path`` is the step's; attempts start at 1)."""

    run_id: str
    kind: str
    """What the step is: ``"function"``, ``"agent"``, ``"sequence"``, ``"parallel"`` …"""
    attempt: int = 1
    topic: ClassVar[str] = "workflow.step.start"


@dataclass(slots=True)
class WorkflowStepRetry(EventBase):
    """An attempt of a workflow step failed and the step will run again after ``delay`` seconds."""

    run_id: str
    attempt: int
    """The attempt that failed."""
    error_type: str
    message: str
    delay: float = 0.0
    topic: ClassVar[str] = "workflow.step.retry"


@dataclass(slots=True)
class WorkflowStepEnd(EventBase):
    """A workflow step finished: ``status`` is ``"ok"``, ``"failed"`` or ``"skipped"``.

    ``usage`` sums every agent run of the step, failed attempts included;
    ``output`` is what the step returned (read back from JSON as plain data);
    ``reason`` says why a step ended the way it did when that is not plain
    (``"fallback"``, ``"max_iterations"`` …).
    """

    run_id: str
    kind: str
    status: str
    attempts: int = 1
    duration: float = 0.0
    """Seconds the step took, its attempts and waits included."""
    usage: Usage = field(default_factory=Usage)
    output: Any = None
    error_type: str | None = None
    message: str | None = None
    reason: str = ""
    topic: ClassVar[str] = "workflow.step.end"
    _codecs: ClassVar[dict[str, Codec]] = {"usage": USAGE, "output": JSONABLE}
    _optional: ClassVar[frozenset[str]] = frozenset({"error_type", "message", "reason"})


@dataclass(slots=True)
class WorkflowEnd(EventBase):
    """A workflow run finished: ``status`` is ``"complete"`` or ``"failed"``.

    ``result`` is the ``WorkflowResult`` of a complete run (read back as its
    JSON form, a dict); ``error_type`` and ``message`` say why a run failed.
    """

    run_id: str
    workflow: str
    status: str
    result: Any = None
    error_type: str | None = None
    message: str | None = None
    topic: ClassVar[str] = "workflow.end"
    # The WorkflowResult belongs to the workflow layer; its JSON form is kept as a dict here.
    _codecs: ClassVar[dict[str, Codec]] = {
        "result": (lambda r: r.to_dict() if hasattr(r, "to_dict") else r, as_is)
    }
    _optional: ClassVar[frozenset[str]] = frozenset({"error_type", "message"})

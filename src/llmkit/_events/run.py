"""Run-level events: an agent run's start, model requests, tool calls and results, its end.

Served through :mod:`llmkit.events`; import from it. :class:`ToolFailure` is
the data a failed tool's result event carries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from llmkit._events.base import CALL, JSONABLE, USAGE, Codec, EventBase, as_part, dict_of
from llmkit.errors import SerializationError
from llmkit.types import JSONDict, Message, Request, ToolCall, ToolResult, Usage

__all__ = [
    "ApprovalRequired",
    "ErrorEvent",
    "Handoff",
    "ModelRequest",
    "PartialOutput",
    "RunEnd",
    "RunStart",
    "StepEnd",
    "ToolCallEvent",
    "ToolFailure",
    "ToolProgress",
    "ToolResultEvent",
]


@dataclass(slots=True)
class RunStart(EventBase):
    """An agent run began."""

    run_id: str
    agent: str
    input: list[Message] = field(default_factory=list)
    topic: ClassVar[str] = "run.start"
    _codecs: ClassVar[dict[str, Codec]] = {
        "input": (
            lambda ms: [m.to_dict() for m in ms],
            lambda ds: [Message.from_dict(d) for d in ds],
        )
    }


@dataclass(slots=True)
class ModelRequest(EventBase):
    """An agent is about to call its model with ``request`` (step numbers start at 1)."""

    run_id: str
    step: int
    request: Request
    topic: ClassVar[str] = "model.request"
    _codecs: ClassVar[dict[str, Codec]] = {"request": (dict_of, Request.from_dict)}


@dataclass(slots=True)
class PartialOutput(EventBase):
    """The structured answer so far, while its JSON streams in (``Agent.stream``).

    ``output`` has the output type's shape, built leniently from what has
    arrived: a pydantic model's fields not yet here are None (or their
    default). One comes after each model event that changed it; the validated
    answer is ``RunEnd.result.output``. A model call that is asked again (an
    invalid answer) starts over from nothing, with its own ``step``. Written
    as JSON; read back as that plain JSON.
    """

    run_id: str
    step: int
    output: Any = None
    topic: ClassVar[str] = "output.partial"
    _codecs: ClassVar[dict[str, Codec]] = {"output": JSONABLE}


@dataclass(slots=True)
class ToolCallEvent(EventBase):
    """An agent is about to run a tool."""

    run_id: str
    step: int
    call: ToolCall
    topic: ClassVar[str] = "tool.call"
    _codecs: ClassVar[dict[str, Codec]] = {"call": CALL}


@dataclass(slots=True, frozen=True)
class ToolFailure:
    """What a tool raised: the exception's type and message, and its traceback as text.

    The model reads only the error result; this is for people and programs
    watching the run (events, hooks, recordings, logs).
    """

    type: str
    """The exception class name, e.g. ``"AttributeError"``."""
    message: str
    """``str(exception)``."""
    traceback: str = ""
    """The formatted traceback ("" when there is none, and for a ``ToolError``: it is
    raised on purpose for the model, so the agent does not format one)."""

    @classmethod
    def from_exception(cls, exc: BaseException) -> ToolFailure:
        """The failure for ``exc``, its traceback formatted."""
        import traceback

        return cls(type(exc).__name__, str(exc), "".join(traceback.format_exception(exc)))

    def to_dict(self) -> JSONDict:
        """The JSON form: ``{"type", "message", "traceback"}``."""
        return {"type": self.type, "message": self.message, "traceback": self.traceback}

    @classmethod
    def from_dict(cls, d: JSONDict) -> ToolFailure:
        """Read the JSON form back."""
        try:
            return cls(str(d["type"]), str(d["message"]), str(d.get("traceback") or ""))
        except (KeyError, TypeError) as exc:
            raise SerializationError(f"Not a valid tool failure: missing or wrong {exc}.") from exc


@dataclass(slots=True)
class ToolResultEvent(EventBase):
    """A tool finished (``result.is_error`` tells whether it failed).

    ``error`` says what the tool raised, when it raised (the model reads only
    ``result``); None for a result the tool returned, and for errors found
    before the call (unknown tool, bad arguments).
    """

    run_id: str
    step: int
    result: ToolResult
    duration: float = 0.0
    """Seconds the tool took."""
    error: ToolFailure | None = None
    """What the tool raised (type, message, traceback), if it raised."""
    topic: ClassVar[str] = "tool.result"
    _codecs: ClassVar[dict[str, Codec]] = {
        "result": (dict_of, as_part(ToolResult)),
        "error": (dict_of, ToolFailure.from_dict),
    }
    # ``error`` only when the tool raised (older readers see no change).
    _optional: ClassVar[frozenset[str]] = frozenset({"error"})


@dataclass(slots=True)
class ToolProgress(EventBase):
    """A tool still running said how far it has got (an MCP server's progress notification).

    ``progress`` grows with each report, towards ``total`` when that is known;
    ``message`` is the tool's own words. ``run_id``, ``step`` and ``call_id``
    name the call ("", 0 and "" for a call made outside an agent run).
    """

    run_id: str
    step: int
    call_id: str
    tool: str
    progress: float
    total: float | None = None
    message: str | None = None
    topic: ClassVar[str] = "tool.progress"
    _optional: ClassVar[frozenset[str]] = frozenset({"total", "message"})


@dataclass(slots=True)
class StepEnd(EventBase):
    """One model call and the tool calls it asked for are done."""

    run_id: str
    step: int
    usage: Usage = field(default_factory=Usage)
    topic: ClassVar[str] = "step.end"
    _codecs: ClassVar[dict[str, Codec]] = {"usage": USAGE}


@dataclass(slots=True)
class Handoff(EventBase):
    """Control of the conversation moved from one agent to another."""

    run_id: str
    source: str
    target: str
    topic: ClassVar[str] = "handoff"


@dataclass(slots=True)
class ApprovalRequired(EventBase):
    """A run paused because these tool calls need a human's approval."""

    run_id: str
    calls: list[ToolCall] = field(default_factory=list)
    topic: ClassVar[str] = "approval.required"
    _codecs: ClassVar[dict[str, Codec]] = {
        "calls": (
            lambda cs: [c.to_dict() for c in cs],
            lambda ds: [as_part(ToolCall)(d) for d in ds],
        )
    }


@dataclass(slots=True)
class RunEnd(EventBase):
    """An agent run finished; ``result`` is its ``RunResult``."""

    run_id: str
    result: Any = None
    topic: ClassVar[str] = "run.end"
    # The RunResult belongs to the agent layer; its JSON form is kept as a dict here.
    _codecs: ClassVar[dict[str, Codec]] = {
        "result": (lambda r: r.to_dict() if hasattr(r, "to_dict") else r, lambda d: d)
    }


@dataclass(slots=True)
class ErrorEvent(EventBase):
    """Something failed; ``error_type`` is the exception class name."""

    error_type: str
    message: str
    run_id: str | None = None
    topic: ClassVar[str] = "error"

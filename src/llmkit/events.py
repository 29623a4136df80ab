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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeAlias

from llmkit._envelope import register_kind as _register
from llmkit._parts import _part_from_dict
from llmkit._scope import current_path
from llmkit.errors import SerializationError
from llmkit.types import (
    JSONDict,
    Message,
    Request,
    Response,
    ToolCall,
    ToolResult,
    Usage,
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


# How to write and read a field that is not plain JSON already.
_Codec: TypeAlias = tuple[Callable[[Any], Any], Callable[[Any], Any]]


@dataclass(slots=True)
class _EventBase:
    """Shared behaviour of events: the step ``path`` and the JSON form (``to_dict``)."""

    path: str = field(default_factory=current_path, kw_only=True, repr=False)
    """The path of the workflow step this happened in (``""`` outside workflows)."""
    topic: ClassVar[str]
    _codecs: ClassVar[dict[str, _Codec]] = {}
    _optional: ClassVar[frozenset[str]] = frozenset()
    """Fields written only when set (not None, not ``""``), so older readers see no change."""

    def to_dict(self) -> JSONDict:
        """The JSON form of this event, without its topic (see :func:`event_to_dict`)."""
        d: JSONDict = {}
        codecs = self._codecs
        optional = self._optional
        name: str
        # A subclass's __slots__ are its own fields; the base's ``path`` comes last, when set.
        for name in self.__slots__:
            value = getattr(self, name)
            if name in optional and (value is None or value == ""):
                continue
            codec = codecs.get(name)
            d[name] = codec[0](value) if codec is not None and value is not None else value
        if self.path:
            d["path"] = self.path
        return d


def _as_part(cls: type[Any]) -> Callable[[Any], Any]:
    def read(d: JSONDict) -> Any:
        part = _part_from_dict(d)
        if not isinstance(part, cls):
            raise SerializationError(f"Expected a {cls.__name__} in event data.")
        return part

    return read


def _to_dict(obj: Any) -> Any:
    return obj.to_dict()


def _to_jsonable(value: Any) -> Any:
    # Workflow states and step outputs are user data: pydantic models, dicts, anything.
    from pydantic_core import to_jsonable_python

    return to_jsonable_python(value, fallback=repr)


def _as_is(value: Any) -> Any:
    return value


_CALL: _Codec = (_to_dict, _as_part(ToolCall))
_USAGE: _Codec = (_to_dict, Usage.from_dict)
_JSONABLE: _Codec = (_to_jsonable, _as_is)
"""Written as JSON (pydantic's rules, ``repr`` for the rest); read back as that plain JSON."""


# ----------------------------------------------------------------- model level


@dataclass(slots=True)
class TextDelta(_EventBase):
    """A piece of answer text, as it streams in."""

    text: str
    topic: ClassVar[str] = "model.text_delta"


@dataclass(slots=True)
class ReasoningDelta(_EventBase):
    """A piece of the model's reasoning, or its signature, as it streams in."""

    text: str = ""
    signature: str | None = None
    topic: ClassVar[str] = "model.reasoning_delta"


@dataclass(slots=True)
class ToolCallDelta(_EventBase):
    """A piece of a tool call as it streams in.

    ``index`` tells parallel calls apart; ``id`` and ``name`` arrive with the
    first piece of a call, ``arguments`` is the next fragment of its JSON text.
    """

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""
    topic: ClassVar[str] = "model.tool_call_delta"


@dataclass(slots=True)
class ModelResponse(_EventBase):
    """The complete response, assembled from the stream; always the last stream event."""

    response: Response
    topic: ClassVar[str] = "model.response"
    _codecs: ClassVar[dict[str, _Codec]] = {"response": (_to_dict, Response.from_dict)}


StreamEvent: TypeAlias = TextDelta | ReasoningDelta | ToolCallDelta | ModelResponse
"""What ``Model.stream`` yields."""


# ------------------------------------------------------------------- run level


@dataclass(slots=True)
class RunStart(_EventBase):
    """An agent run began."""

    run_id: str
    agent: str
    input: list[Message] = field(default_factory=list)
    topic: ClassVar[str] = "run.start"
    _codecs: ClassVar[dict[str, _Codec]] = {
        "input": (
            lambda ms: [m.to_dict() for m in ms],
            lambda ds: [Message.from_dict(d) for d in ds],
        )
    }


@dataclass(slots=True)
class ModelRequest(_EventBase):
    """An agent is about to call its model with ``request`` (step numbers start at 1)."""

    run_id: str
    step: int
    request: Request
    topic: ClassVar[str] = "model.request"
    _codecs: ClassVar[dict[str, _Codec]] = {"request": (_to_dict, Request.from_dict)}


@dataclass(slots=True)
class PartialOutput(_EventBase):
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
    _codecs: ClassVar[dict[str, _Codec]] = {"output": _JSONABLE}


@dataclass(slots=True)
class ToolCallEvent(_EventBase):
    """An agent is about to run a tool."""

    run_id: str
    step: int
    call: ToolCall
    topic: ClassVar[str] = "tool.call"
    _codecs: ClassVar[dict[str, _Codec]] = {"call": _CALL}


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
class ToolResultEvent(_EventBase):
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
    _codecs: ClassVar[dict[str, _Codec]] = {
        "result": (_to_dict, _as_part(ToolResult)),
        "error": (_to_dict, ToolFailure.from_dict),
    }
    # ``error`` only when the tool raised (older readers see no change).
    _optional: ClassVar[frozenset[str]] = frozenset({"error"})


@dataclass(slots=True)
class ToolProgress(_EventBase):
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
class StepEnd(_EventBase):
    """One model call and the tool calls it asked for are done."""

    run_id: str
    step: int
    usage: Usage = field(default_factory=Usage)
    topic: ClassVar[str] = "step.end"
    _codecs: ClassVar[dict[str, _Codec]] = {"usage": _USAGE}


@dataclass(slots=True)
class Handoff(_EventBase):
    """Control of the conversation moved from one agent to another."""

    run_id: str
    source: str
    target: str
    topic: ClassVar[str] = "handoff"


@dataclass(slots=True)
class ApprovalRequired(_EventBase):
    """A run paused because these tool calls need a human's approval."""

    run_id: str
    calls: list[ToolCall] = field(default_factory=list)
    topic: ClassVar[str] = "approval.required"
    _codecs: ClassVar[dict[str, _Codec]] = {
        "calls": (
            lambda cs: [c.to_dict() for c in cs],
            lambda ds: [_as_part(ToolCall)(d) for d in ds],
        )
    }


@dataclass(slots=True)
class RunEnd(_EventBase):
    """An agent run finished; ``result`` is its ``RunResult``."""

    run_id: str
    result: Any = None
    topic: ClassVar[str] = "run.end"
    # The RunResult belongs to the agent layer; its JSON form is kept as a dict here.
    _codecs: ClassVar[dict[str, _Codec]] = {
        "result": (lambda r: r.to_dict() if hasattr(r, "to_dict") else r, lambda d: d)
    }


@dataclass(slots=True)
class ErrorEvent(_EventBase):
    """Something failed; ``error_type`` is the exception class name."""

    error_type: str
    message: str
    run_id: str | None = None
    topic: ClassVar[str] = "error"


# -------------------------------------------------------------- workflow level


@dataclass(slots=True)
class WorkflowStart(_EventBase):
    """A workflow run began on ``state`` (``path`` is the workflow's name)."""

    run_id: str
    workflow: str
    state: Any = None
    """The state it starts on; read back from JSON as plain data."""
    topic: ClassVar[str] = "workflow.start"
    _codecs: ClassVar[dict[str, _Codec]] = {"state": _JSONABLE}


@dataclass(slots=True)
class WorkflowStepStart(_EventBase):
    """An attempt of a workflow step began (``path`` is the step's; attempts start at 1)."""

    run_id: str
    kind: str
    """What the step is: ``"function"``, ``"agent"``, ``"sequence"``, ``"parallel"`` …"""
    attempt: int = 1
    topic: ClassVar[str] = "workflow.step.start"


@dataclass(slots=True)
class WorkflowStepRetry(_EventBase):
    """An attempt of a workflow step failed and the step will run again after ``delay`` seconds."""

    run_id: str
    attempt: int
    """The attempt that failed."""
    error_type: str
    message: str
    delay: float = 0.0
    topic: ClassVar[str] = "workflow.step.retry"


@dataclass(slots=True)
class WorkflowStepEnd(_EventBase):
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
    _codecs: ClassVar[dict[str, _Codec]] = {"usage": _USAGE, "output": _JSONABLE}
    _optional: ClassVar[frozenset[str]] = frozenset({"error_type", "message", "reason"})


@dataclass(slots=True)
class WorkflowEnd(_EventBase):
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
    _codecs: ClassVar[dict[str, _Codec]] = {
        "result": (lambda r: r.to_dict() if hasattr(r, "to_dict") else r, _as_is)
    }
    _optional: ClassVar[frozenset[str]] = frozenset({"error_type", "message"})


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


# ------------------------------------------------------------------- JSON form

_EVENT_TYPES: tuple[type[Any], ...] = (
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
_BY_TOPIC: dict[str, type[Any]] = {cls.topic: cls for cls in _EVENT_TYPES}


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
    path = d.get("path", "")
    if not isinstance(path, str):
        raise SerializationError(
            f"Malformed {topic} event: path is a {type(path).__name__}, not a str."
        )
    kwargs: JSONDict = {"path": path}
    for name in cls.__slots__:
        if name not in d:
            continue
        value = d[name]
        codec = cls._codecs.get(name)
        kwargs[name] = codec[1](value) if codec is not None and value is not None else value
    try:
        event: Event = cls(**kwargs)
    except TypeError as exc:
        raise SerializationError(f"Malformed {topic} event: {exc}.") from exc
    return event


def _loader_for(topic: str) -> Callable[[JSONDict], Event]:
    return lambda d: event_from_dict({**d, "topic": topic})


for _cls in _EVENT_TYPES:
    # An event's envelope kind is its topic: dump(TextDelta("hi"))["kind"] == "model.text_delta".
    _register(_cls.topic, _cls, _loader_for(_cls.topic))

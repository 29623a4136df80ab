"""What a workflow run gives back: ``WorkflowResult``, its trace of ``StepRecord``s, ``StepFailure``s.

Plain data with a versioned JSON form (``version`` 1): ``to_dict()`` writes every field as
JSON data (the state through pydantic's JSON mode, anything unserialisable as its repr);
``from_dict()`` reads it back, refusing a newer version with a
:class:`~llmkit.errors.SerializationError`. ``to_dict(comparable=True)`` leaves out what
differs between two runs of the same work (timings, run ids, whether a step was resumed), so
a replay, a resumed run or a run of a reloaded definition compares equal to the original.

The trace is the pre-order of the workflow's tree in declared order (a node before its
children, parallel branches and map items by index), so its order never depends on timing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeAlias, TypeVar, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import to_jsonable_python

from llmkit._envelope import JSONDict
from llmkit.errors import SerializationError
from llmkit.types import Usage

__all__ = [
    "RESULT_VERSION",
    "StepFailure",
    "StepRecord",
    "StepStatus",
    "WorkflowResult",
    "blank_usage",
]

RESULT_VERSION = 1
"""The version of :meth:`WorkflowResult.to_dict`'s form; newer forms are refused."""

S = TypeVar("S")

StepStatus: TypeAlias = Literal["ok", "failed", "skipped"]
"""How a step ended: ``"ok"``, ``"failed"`` (its failure kept, the run went on, or the run
stopped there), or ``"skipped"`` (``on_error="skip"``, or a case or iteration that did not run)."""

_STATUSES = get_args(StepStatus)


def _jsonable(value: Any) -> Any:
    return to_jsonable_python(value, fallback=repr)


@dataclass(frozen=True, slots=True)
class StepFailure:
    """A failure the run went on after (or the one it stopped at): where, what, which attempt."""

    path: str
    """The step's path (``article/reviews[1]/critic_b``)."""
    error_type: str
    """The class name of the error (``"RateLimitError"``)."""
    message: str
    """The error's message."""
    attempt: int
    """The attempt that failed last (1-based)."""
    exception: BaseException | None = field(default=None, compare=False)
    """The error itself, when this run raised it (not in the JSON form)."""

    @classmethod
    def of(cls, path: str, error: BaseException, attempt: int) -> StepFailure:
        """The failure of ``error`` at ``path`` on attempt ``attempt``."""
        return cls(
            path=path,
            error_type=type(error).__name__,
            message=str(error),
            attempt=attempt,
            exception=error,
        )

    def to_dict(self) -> JSONDict:
        """The JSON form (without the exception object)."""
        return {
            "path": self.path,
            "error_type": self.error_type,
            "message": self.message,
            "attempt": self.attempt,
        }

    @classmethod
    def from_dict(cls, d: JSONDict) -> StepFailure:
        """A failure from its JSON form."""
        return cls(
            path=d["path"],
            error_type=d["error_type"],
            message=d.get("message", ""),
            attempt=d.get("attempt", 1),
        )


@dataclass(frozen=True, slots=True)
class StepRecord:
    """One step of a run as it happened: path, status, attempts, timings, usage."""

    path: str
    """The step's path."""
    kind: str
    """The node kind: ``"function"``, ``"agent"``, ``"sequence"``, ``"parallel"`` …"""
    status: StepStatus
    """How it ended."""
    attempts: int
    """Attempts made (0 for a step that never ran)."""
    started: float
    """Seconds since the run started."""
    duration: float
    """Seconds it took, every attempt and wait included."""
    usage: Usage
    """What it consumed (its children's usage for a combinator), failed attempts included."""
    error: StepFailure | None = None
    """Its failure, when it failed."""
    run_ids: tuple[str, ...] = ()
    """The agent runs it made, one per attempt."""
    reason: str = ""
    """Why it ended as it did, when that is not plain: ``"max_iterations"``, ``"fallback"`` …"""
    resumed: bool = False
    """A resume took this step's outcome from its checkpoint instead of running it again (its
    ``started`` is then when the resume reached it; ``duration`` is the recorded one)."""

    def to_dict(self, *, comparable: bool = False) -> JSONDict:
        """The JSON form; ``comparable`` leaves out timings and run ids."""
        d: JSONDict = {
            "path": self.path,
            "kind": self.kind,
            "status": self.status,
            "attempts": self.attempts,
        }
        if not comparable:
            d["started"] = self.started
            d["duration"] = self.duration
        d["usage"] = self.usage.to_dict()
        if self.error is not None:
            d["error"] = self.error.to_dict()
        if self.run_ids and not comparable:
            d["run_ids"] = list(self.run_ids)
        if self.reason:
            d["reason"] = self.reason
        if self.resumed and not comparable:
            d["resumed"] = True
        return d

    @classmethod
    def from_dict(cls, d: JSONDict) -> StepRecord:
        """A record from its JSON form."""
        status = d["status"]
        if status not in _STATUSES:
            raise SerializationError(f"Unknown step status {status!r}.")
        error = d.get("error")
        return cls(
            path=d["path"],
            kind=d["kind"],
            status=status,
            attempts=d.get("attempts", 0),
            started=d.get("started", 0.0),
            duration=d.get("duration", 0.0),
            usage=Usage.from_dict(d.get("usage") or {}),
            error=None if error is None else StepFailure.from_dict(error),
            run_ids=tuple(d.get("run_ids", ())),
            reason=d.get("reason", ""),
            resumed=bool(d.get("resumed", False)),
        )


@dataclass(slots=True)
class WorkflowResult(Generic[S]):
    """The outcome of a workflow run: the state, the output, usage over every agent, and the trace."""

    state: S
    """The state as the run left it (a copy: the caller's object is never changed)."""
    output: Any
    """The root step's output (a sequence's: its last step's)."""
    usage: Usage
    """Usage summed over every agent run and step of the workflow, failed attempts included."""
    trace: list[StepRecord]
    """Every step, in the pre-order of the tree (parent first, branches and items by index)."""
    errors: list[StepFailure]
    """Failures the run went on after (``on_error="continue"``, ``errors="collect"``)."""
    run_id: str
    """The id of this run."""
    name: str
    """The workflow's name."""

    @property
    def ok(self) -> bool:
        """True when no step failed (failures kept by on_error="continue" or errors="collect" count)."""
        return not self.errors

    def to_dict(self, *, comparable: bool = False) -> JSONDict:
        """The JSON form (``version`` 1); comparable=True leaves out what differs between two runs of the
        same work (timings, run ids), for comparing a replay or a reloaded definition with the original."""
        d: JSONDict = {"version": RESULT_VERSION, "name": self.name}
        if not comparable:
            d["run_id"] = self.run_id
        d["state"] = _jsonable(self.state)
        d["output"] = _jsonable(self.output)
        d["usage"] = self.usage.to_dict()
        d["trace"] = [record.to_dict(comparable=comparable) for record in self.trace]
        d["errors"] = [failure.to_dict() for failure in self.errors]
        return d

    @classmethod
    def from_dict(
        cls, d: JSONDict, *, state_type: type[BaseModel] | None = None
    ) -> WorkflowResult[Any]:
        """A result from its JSON form; the state validated into ``state_type`` when given."""
        try:
            version = d.get("version", RESULT_VERSION)
            if not isinstance(version, int) or version > RESULT_VERSION:
                raise SerializationError(
                    f"This workflow result was written by a newer llmkit (version {version!r}); "
                    f"this one reads version {RESULT_VERSION}: upgrade llmkit to read it."
                )
            state: Any = d.get("state")
            if state_type is not None:
                try:
                    state = state_type.model_validate(state)
                except ValidationError as exc:
                    raise SerializationError(
                        f"The workflow result's state does not fit {state_type.__name__}: "
                        f"{exc.error_count()} error(s), first: {exc.errors()[0]['msg']}."
                    ) from exc
            return cls(
                state=state,
                output=d.get("output"),
                usage=Usage.from_dict(d.get("usage") or {}),
                trace=[StepRecord.from_dict(r) for r in d.get("trace", ())],
                errors=[StepFailure.from_dict(f) for f in d.get("errors", ())],
                run_id=d.get("run_id", ""),
                name=d["name"],
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise SerializationError(
                f"Not a valid workflow result: missing or wrong {exc}."
            ) from exc


def blank_usage(usage: Usage) -> bool:
    """Whether ``usage`` is a fresh, empty one: no counts, no cost, not estimated (adding it
    to another changes nothing)."""
    return not (
        usage.requests
        or usage.input_tokens
        or usage.output_tokens
        or usage.cache_read_tokens
        or usage.cache_write_tokens
        or usage.reasoning_tokens
        or usage.estimated
        or usage.cost is not None
    )

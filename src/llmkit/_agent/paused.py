"""The results a run ends with: complete (:func:`complete_result`), or paused for approvals
with the state it keeps, in a versioned JSON form.

The loop builds the paused result with :func:`paused_result` when tool calls
wait for a human; the :class:`PausedState` in it travels as JSON in ``RunResult.state`` (so a paused run may cross a process
boundary), and ``resume`` reads it back. Every form this llmkit wrote reads
back: version 1, and the earlier form without a ``"version"`` key, which is
the same with today's defaults for the keys it may lack. A form from a newer
llmkit (a higher version), an unknown call kind or a missing part raises
:class:`~llmkit.errors.SerializationError` rather than resuming a run wrongly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, get_args

from llmkit._agent.calls import CallKind, PlannedCall
from llmkit._parts import _part_from_dict
from llmkit.errors import SerializationError
from llmkit.run import RunResult, Step
from llmkit.types import JSONDict, Message, Response, ToolResult, Usage

if TYPE_CHECKING:
    from llmkit._agent.checkpoints import RunState

__all__ = ["DoneCall", "PausedState", "complete_result", "paused_result"]

_KINDS: Mapping[str, CallKind] = {kind: kind for kind in get_args(CallKind)}


@dataclass(frozen=True, slots=True)
class DoneCall:
    """A call of the paused batch that already has its result (it needed no approval)."""

    result: ToolResult
    kind: CallKind
    bad: bool
    """Counted as a wrong call (unknown name, bad arguments, ``ToolError``)."""


@dataclass(frozen=True, slots=True)
class PausedState:
    """What a paused run needs to continue, besides the conversation and usage of its result."""

    VERSION: ClassVar[int] = 1
    """The version of the JSON form this llmkit writes (and the highest it reads)."""

    step: int
    """The number of the step whose calls wait."""
    agent: str
    """The agent whose calls wait (after handoffs, not always the one the run started on)."""
    retries: Mapping[str, int]
    """Wrong calls in a row per tool name (and failed replies in a row)."""
    output_retries: int
    results: tuple[DoneCall, ...]
    handoff: str | None
    """A handoff the paused batch decided on, applied once the batch is done."""
    response: Response
    """The model response whose calls wait."""
    tool_usage: Usage
    """Usage the tools of the batch reported before the pause."""
    interrupted: tuple[str, ...] = ()
    """Pending calls that started before a crash and left no result (``RunResult.interrupted``)."""

    def to_dict(self) -> JSONDict:
        """The JSON form (``RunResult.state``)."""
        d: JSONDict = {
            "version": self.VERSION,
            "step": self.step,
            "agent": self.agent,
            "retries": dict(self.retries),
            "output_retries": self.output_retries,
            "results": [
                {"result": done.result.to_dict(), "kind": done.kind, "bad": done.bad}
                for done in self.results
            ],
            "handoff": self.handoff,
            "response": self.response.to_dict(),
            "tool_usage": self.tool_usage.to_dict(),
        }
        if self.interrupted:
            d["interrupted"] = list(self.interrupted)
        return d

    @classmethod
    def from_dict(cls, d: JSONDict, *, steps: int) -> PausedState:
        """The state from its JSON form; ``steps`` is the number of steps of the paused result.

        A form without ``"version"`` is read as version 1; a missing ``step`` is the
        step after the last one, missing counters are 0.
        """
        try:
            version = d.get("version", 1)
            if type(version) is not int or not 1 <= version <= cls.VERSION:
                raise SerializationError(
                    f"The paused run's state has version {version!r}; this llmkit reads "
                    f"versions up to {cls.VERSION}. Resume it with the llmkit that paused it "
                    "(or a newer one)."
                )
            agent = d["agent"]
            response = Response.from_dict(d["response"])
            results = tuple(_done(item) for item in d["results"])
            return cls(
                step=d.get("step", steps + 1),
                agent=agent,
                retries=dict(d.get("retries") or {}),
                output_retries=d.get("output_retries", 0),
                results=results,
                handoff=d.get("handoff"),
                response=response,
                tool_usage=Usage.from_dict(d.get("tool_usage") or {}),
                interrupted=tuple(d.get("interrupted") or ()),
            )
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise SerializationError(f"The paused run's state is incomplete: {exc!r}.") from exc


def _done(item: Any) -> DoneCall:
    kind = _KINDS.get(item["kind"])
    if kind is None:
        raise SerializationError(
            f"The paused run's state holds a call of unknown kind {item['kind']!r} "
            f"(known: {', '.join(_KINDS)})."
        )
    part = _part_from_dict(item["result"])
    if not isinstance(part, ToolResult):
        raise SerializationError("Expected a tool result in the paused run's state.")
    return DoneCall(result=part, kind=kind, bad=bool(item["bad"]))


def paused_result(
    batch: Sequence[PlannedCall],
    pending: Sequence[PlannedCall],
    response: Response,
    *,
    step: int,
    agent: str,
    retries: Mapping[str, int],
    output_retries: int,
    handoff: str | None,
    messages: list[Message],
    usage: Usage,
    steps: list[Step],
    run_id: str,
    history_length: int,
) -> RunResult[Any]:
    """The result of a run that paused on ``batch`` of ``response``, ``pending`` waiting.

    Its usage adds what the batch's tools reported before the pause; the calls
    already answered travel in the state, so a resumed run does not run them again.
    """
    tool_usage = Usage.sum(p.usage for p in batch if p.usage is not None)
    state = PausedState(
        step=step,
        agent=agent,
        retries=dict(retries),
        output_retries=output_retries,
        results=tuple(
            DoneCall(result=p.result, kind=p.kind, bad=p.bad_call)
            for p in batch
            if p.result is not None
        ),
        handoff=handoff,
        response=response,
        tool_usage=tool_usage,
        interrupted=tuple(p.call.id for p in pending if p.interrupted),
    )
    return RunResult(
        output=None,
        messages=messages,
        usage=usage + tool_usage,
        steps=steps,
        status="paused",
        pending=[p.call for p in pending],
        agent=agent,
        run_id=run_id,
        history_length=history_length,
        state=state.to_dict(),
    )


def complete_result(run: RunState) -> RunResult[Any]:
    """The result of ``run``, which has its final answer."""
    spec = run.prep.output
    return RunResult(
        output=run.output,
        messages=run.messages,
        usage=run.usage,
        steps=run.steps,
        agent=run.spec.name,
        run_id=run.run_id,
        history_length=run.history_length,
        output_spec=None if spec.is_text else spec,
    )

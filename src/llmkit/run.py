"""What an agent run gives back (:class:`RunResult`, one :class:`Step` per model call), its limits and options.

A :class:`RunResult` is plain data with a JSON form (``to_dict`` /
``from_dict``, and :func:`llmkit.types.dump` / ``load`` as kind
``"run_result"``), so a finished run can be stored, and a paused one (waiting
for a human to approve tool calls) can be resumed in another process.
:class:`RunOptions` and :class:`ResumeOptions` name the keyword options of
``Agent.run``/``stream`` and ``Agent.resume``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeAlias, TypedDict

from typing_extensions import TypeVar

from llmkit._envelope import register_kind
from llmkit._parts import _part_from_dict
from llmkit.errors import SerializationError, UsageError
from llmkit.types import JSONDict, Message, Response, ToolCall, ToolResult, Usage

if TYPE_CHECKING:
    from llmkit.durable import Session, Store
    from llmkit.output import OutputSpec

__all__ = ["ResumeOptions", "RunOptions", "RunResult", "RunStatus", "Step", "UsageLimits"]

OutputT = TypeVar("OutputT", default=Any)

RunStatus: TypeAlias = Literal["complete", "paused"]
"""``"complete"``: the run has its output; ``"paused"``: tool calls wait for approval."""


@dataclass(slots=True)
class Step:
    """One model call of a run and the tool calls it asked for."""

    response: Response
    """The model's answer."""
    tool_results: list[ToolResult] = field(default_factory=list)
    """The results sent back for its tool calls, in call order."""
    usage: Usage = field(default_factory=Usage)
    """The model call's usage plus what its tools reported (agents used as tools)."""
    agent: str = ""
    """The agent that made this step (it changes after a handoff)."""

    @property
    def tool_calls(self) -> list[ToolCall]:
        """The tool calls the model asked for in this step."""
        return self.response.message.tool_calls

    def to_dict(self) -> JSONDict:
        """The JSON form of this step."""
        return {
            "response": self.response.to_dict(),
            "tool_results": [r.to_dict() for r in self.tool_results],
            "usage": self.usage.to_dict(),
            "agent": self.agent,
        }

    @classmethod
    def from_dict(cls, d: JSONDict) -> Step:
        """A step from its JSON form."""
        return cls(
            response=Response.from_dict(d["response"]),
            tool_results=[_result(r) for r in d.get("tool_results", ())],
            usage=Usage.from_dict(d.get("usage") or {}),
            agent=d.get("agent", ""),
        )


def _result(d: JSONDict) -> ToolResult:
    part = _part_from_dict(d)
    if not isinstance(part, ToolResult):
        raise SerializationError("Expected a tool result.")
    return part


def _call(d: JSONDict) -> ToolCall:
    part = _part_from_dict(d)
    if not isinstance(part, ToolCall):
        raise SerializationError("Expected a tool call.")
    return part


@dataclass(slots=True)
class RunResult(Generic[OutputT]):
    """The outcome of an agent run: the output, the conversation, usage, and every step.

    ``messages`` holds the whole conversation (the history passed in, then
    this run's messages) without the instructions, so it can be passed to
    the next run (``message_history=result.messages``), of this agent or
    another. A paused run (``status == "paused"``) has no output yet;
    ``pending`` lists the tool calls waiting for approval, and
    ``agent.resume(result, approvals=...)`` continues it.
    """

    output: OutputT
    """The final answer: text, or a value of the agent's ``output_type``."""
    messages: list[Message] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    """Everything the run consumed: every model call (retries included) and sub-agents."""
    steps: list[Step] = field(default_factory=list)
    status: RunStatus = "complete"
    pending: list[ToolCall] = field(default_factory=list)
    """Tool calls waiting for a human's approval (when paused)."""
    agent: str = ""
    """The agent that gave the output (the last one, after handoffs)."""
    run_id: str = ""
    history_length: int = 0
    """How many of ``messages`` came from the history passed in."""
    state: JSONDict | None = None
    """What a paused run needs to resume (tool results already computed, retry counts)."""
    output_spec: OutputSpec | None = field(default=None, repr=False, compare=False)
    """How to write and read ``output`` as JSON (the agent's output type)."""

    @property
    def new_messages(self) -> list[Message]:
        """The messages this run added (without the history passed in)."""
        return self.messages[self.history_length :]

    @property
    def paused(self) -> bool:
        """Whether the run waits for tool-call approvals."""
        return self.status == "paused"

    @property
    def interrupted(self) -> list[str]:
        """The ids of pending calls that started before a crash and left no result.

        They belong to tools not declared ``idempotent``, so a resumed durable run
        does not run them again on its own: approve (run again), deny, or edit
        them in ``approvals`` as for any pending call.
        """
        state = self.state
        return [] if state is None else list(state.get("interrupted") or ())

    def to_dict(self) -> JSONDict:
        """The JSON form of this result; the output as JSON (models and dataclasses dumped)."""
        output = self.output
        if self.output_spec is not None and self.status == "complete":
            output = self.output_spec.to_json(output)
        d: JSONDict = {
            "output": output,
            "messages": [m.to_dict() for m in self.messages],
            "usage": self.usage.to_dict(),
            "steps": [s.to_dict() for s in self.steps],
            "status": self.status,
            "agent": self.agent,
            "run_id": self.run_id,
            "history_length": self.history_length,
        }
        if self.pending:
            d["pending"] = [c.to_dict() for c in self.pending]
        if self.state is not None:
            d["state"] = self.state
        return d

    @classmethod
    def from_dict(cls, d: JSONDict, *, output_type: Any = None) -> RunResult[Any]:
        """A result from its JSON form; with ``output_type`` the output is validated again."""
        try:
            status = d.get("status", "complete")
            if status not in ("complete", "paused"):
                raise SerializationError(f"Unknown run status {status!r}.")
            spec = None
            output: Any = d.get("output")
            if output_type is not None:
                from llmkit.output import OutputSpec

                spec = OutputSpec(output_type)
                if status == "complete":
                    output = spec.from_json(output)
            return cls(
                output=output,
                messages=[Message.from_dict(m) for m in d.get("messages", ())],
                usage=Usage.from_dict(d.get("usage") or {}),
                steps=[Step.from_dict(s) for s in d.get("steps", ())],
                status=status,
                pending=[_call(c) for c in d.get("pending", ())],
                agent=d.get("agent", ""),
                run_id=d.get("run_id", ""),
                history_length=d.get("history_length", 0),
                state=d.get("state"),
                output_spec=spec,
            )
        except (KeyError, TypeError) as exc:
            raise SerializationError(f"Not a valid run result: missing or wrong {exc}.") from exc


@dataclass(frozen=True, slots=True)
class UsageLimits:
    """Limits on what one run may consume; reaching one raises ``UsageLimitExceeded``.

    ``max_requests`` is checked before each model call (so it is never
    exceeded); the token and cost limits after each call (the call that
    crosses them is the last).
    """

    max_requests: int | None = None
    max_input_tokens: int | None = None
    max_output_tokens: int | None = None
    max_total_tokens: int | None = None
    max_cost: float | None = None
    """US dollars; only models with a known price report a cost."""

    def __post_init__(self) -> None:
        for name in self.__slots__:
            value = getattr(self, name)
            if value is None:
                continue
            number = int | float if name == "max_cost" else int
            if isinstance(value, bool) or not isinstance(value, number) or not value >= 0:
                what = "a number of dollars" if name == "max_cost" else "an integer"
                raise UsageError(
                    f"UsageLimits({name}=...) must be 0 or more ({what}, or None), got {value!r}."
                )

    def check_before_request(self, usage: Usage) -> str | None:
        """Why another model call would break a limit, or None."""
        if self.max_requests is not None and usage.requests >= self.max_requests:
            return f"the run reached its limit of {self.max_requests} model requests"
        return None

    def check(self, usage: Usage) -> str | None:
        """Which limit ``usage`` is over, or None."""
        for value, limit, what in (
            (usage.input_tokens, self.max_input_tokens, "input tokens"),
            (usage.output_tokens, self.max_output_tokens, "output tokens"),
            (usage.total_tokens, self.max_total_tokens, "total tokens"),
        ):
            if limit is not None and value > limit:
                return f"the run used {value} {what}, over its limit of {limit}"
        if self.max_cost is not None and usage.cost is not None and usage.cost > self.max_cost:
            return f"the run cost ${usage.cost:.6f}, over its limit of ${self.max_cost}"
        return None


class ResumeOptions(TypedDict, total=False):
    """The keyword options of ``Agent.resume`` (and of a run, see :class:`RunOptions`).

    Each one given applies to this run only; one not given keeps the agent's.
    """

    deps: Any
    """``RunContext.deps`` for this run (an ``override(deps=...)`` still wins)."""
    usage_limits: UsageLimits | None
    """Token, request and cost limits for this run (None: the agent's)."""
    max_steps: int | None
    """Most model calls for this run (None: the agent's)."""
    timeout: float | None
    """Seconds this run may take (None: the agent's)."""
    hooks: Sequence[object]
    """Hooks added to the agent's for this run."""


class RunOptions(ResumeOptions, total=False):
    """The keyword options of ``Agent.run`` and ``Agent.stream`` (and their ``_sync`` twins)."""

    message_history: Sequence[Message] | None
    """The conversation to continue (for example ``previous.messages``); it is not changed."""
    store: Store | None
    """Checkpoint the run in this store after every model answer and tool result, so
    ``agent.resume(run_id, store=store)`` continues it after a crash."""
    session: Session | None
    """A stored conversation: the run continues it and appends its turns when it finishes."""
    run_id: str | None
    """The run's id (default: a new one); with ``store``, the id it is stored under."""


register_kind("run_result", RunResult, RunResult.from_dict)

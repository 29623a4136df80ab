"""The base of hooks: :class:`Hook`, :class:`HookContext`, ``HOOK_METHODS`` and ``HookKind``.

Public through :mod:`llmkit.hooks`, which documents how hooks work. Every
module that implements or runs hooks (``_hooks/*``, ``_agent/*``,
``_recording/*``) imports these from here, never from the public facade, so
the facade only re-exports.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from llmkit._scope import current_path
from llmkit.context import RunContext
from llmkit.types import JSONDict, Message, Request, Response, ToolCall, ToolResult

if TYPE_CHECKING:
    from llmkit.events import ToolFailure
    from llmkit.providers.base import Model
    from llmkit.run import RunResult

__all__ = ["HOOK_METHODS", "Hook", "HookContext", "HookKind"]

HookKind: TypeAlias = Literal["run", "model", "tool", "workflow", "step"]
"""What a :class:`HookContext` describes: a whole run, one model call, one tool call, a whole
workflow run, or one attempt of a workflow step."""

HOOK_METHODS: tuple[str, ...] = (
    "before_run",
    "after_run",
    "before_model",
    "after_model",
    "before_tool",
    "after_tool",
    "before_workflow",
    "after_workflow",
    "before_step",
    "after_step",
    "on_error",
)
"""The methods a hook may have; an object with none of them is not a hook."""


@dataclass(slots=True, eq=False)
class HookContext:
    """What a hook method knows about the call it is called for.

    One is made per run, per model call and per tool call, per workflow run
    and per attempt of a workflow step (only when hooks are present).
    ``state`` is scratch space for that one call, shared by the hook's
    ``before_*``, ``after_*`` and ``on_error`` (key it by the hook itself,
    ``ctx.state[self]``); ``parent`` is the run's context for a model or tool
    call inside an agent run (None for a plain model call).

    For a workflow run or a step (``kind`` ``"workflow"`` or ``"step"``),
    ``run`` holds the workflow run's ``deps``, ``run_id`` and ``metadata``
    (and, for an agent step, the agent's name in ``agent``).
    """

    kind: HookKind
    run: RunContext[Any]
    """The run: ``deps``, ``run_id``, ``agent``, ``messages``, ``usage``, ``step``, ``metadata``.
    For a plain model call (``with_hooks``) a context with no run id and the request's messages."""
    model: Model | None = None
    """The model being called (for a run, the model it started with)."""
    tool_call: ToolCall | None = None
    """The tool call, for a tool call."""
    parent: HookContext | None = None
    input: list[Message] = field(default_factory=list)
    """For a run: the messages this run adds (what came before them is the history)."""
    stream: bool = False
    """The model call streams (``Agent.stream``, ``Model.stream``)."""
    started: float = 0.0
    """``time.perf_counter()`` when the call began."""
    served_by: str | None = None
    """The hook that answered instead of the model or the tool (a cache hit), if one did."""
    state: dict[Any, Any] = field(default_factory=dict)
    tool_error: ToolFailure | None = None
    """For a tool call, in ``after_tool``: what the tool raised (type, message, traceback),
    when its result is an error because it raised; None otherwise."""
    path: str = field(default_factory=current_path)
    """The path of the workflow step this call happens in (``"article/reviews[1]/critic_b"``),
    the workflow's name for a workflow run, ``""`` outside workflows."""
    attempt: int = 0
    """For a workflow step, its attempt (1 for the first); 0 otherwise."""
    step: Any = None
    """For a workflow step, its ``llmkit.workflow.StepContext``; None otherwise."""

    @property
    def elapsed(self) -> float:
        """Seconds since the call began."""
        return time.perf_counter() - self.started

    @property
    def run_id(self) -> str:
        """The run's id ("" for a plain model call)."""
        return self.run.run_id


class Hook:
    """Base class for hooks (optional: any object with some of the hook methods is a hook).

    Override the methods you need, with ``def`` or ``async def``; the ones
    left alone cost nothing. ``priority`` orders hooks: higher runs first
    (outermost). Built-in observers use 100, guardrails 50, the cache 0,
    the rate limiter -50 (innermost, so a cache hit spends no rate budget).
    """

    priority: int = 0
    """Higher runs first (outermost)."""

    @property
    def name(self) -> str:
        """How errors and logs name this hook (the class name by default)."""
        return type(self).__name__

    def before_run(self, ctx: HookContext) -> Awaitable[None] | None:
        """A run is starting (``ctx.input`` holds its new messages)."""

    def after_run(
        self, ctx: HookContext, result: RunResult[Any]
    ) -> RunResult[Any] | Awaitable[RunResult[Any] | None] | None:
        """A run finished (or paused for approvals); return a changed result, or None."""

    def before_model(
        self, ctx: HookContext, request: Request
    ) -> Request | Response | Awaitable[Request | Response | None] | None:
        """A model call is about to be made: return a changed request, a response, or None."""

    def after_model(
        self, ctx: HookContext, request: Request, response: Response
    ) -> Response | Awaitable[Response | None] | None:
        """A model call answered (``request`` as sent); return a changed response, or None."""

    def before_tool(
        self, ctx: HookContext, call: ToolCall
    ) -> (
        ToolCall | JSONDict | ToolResult | Awaitable[ToolCall | JSONDict | ToolResult | None] | None
    ):
        """A tool is about to run: return a changed call (or new arguments), a result, or None."""

    def after_tool(
        self, ctx: HookContext, call: ToolCall, result: ToolResult
    ) -> ToolResult | Awaitable[ToolResult | None] | None:
        """A tool ran; return a changed result, or None."""

    def before_workflow(self, ctx: HookContext, state: Any) -> Awaitable[None] | None:
        """A workflow run is starting on ``state`` (observe only; raise to stop it)."""

    def after_workflow(self, ctx: HookContext, result: Any) -> Any:
        """A workflow run finished; return a changed ``WorkflowResult``, or None."""

    def before_step(self, ctx: HookContext, input: Any) -> Awaitable[None] | None:
        """A step attempt is starting with ``input`` (``ctx.path``, ``ctx.attempt``); observe
        only, raise to stop it."""

    def after_step(self, ctx: HookContext, output: Any) -> Any:
        """A step attempt succeeded with ``output``; return a changed output, or None."""

    def on_error(self, ctx: HookContext, error: BaseException) -> Awaitable[None] | None:
        """A call (``ctx.kind``) failed with ``error``; it is raised on after the hooks saw it.

        For workflows: a failed workflow run (kind ``"workflow"``) and each
        failed step attempt (kind ``"step"``, also when it will be retried).
        """

"""Hooks: code that runs around every run, model call and tool call, to observe, change or stop it.

::

    from llmkit import Agent
    from llmkit.hooks import Hook, LoggingHook, MetricsHook

    class NoShouting(Hook):
        def before_model(self, ctx, request):
            for message in request.messages:
                ...                       # change the request in place, or return a new one

    agent = Agent(model, hooks=[LoggingHook(), MetricsHook(), NoShouting()])
    fast = with_hooks(llmkit.model("openai/gpt-4.1-mini"), [CacheHook("cache.db")])

A hook implements only the methods it needs, sync or async; which ones it
has is read once, when the hooks are composed. What a method returns decides
what happens:

==================  =====================================  ==============================
method              return None to observe, or …           to short-circuit, return …
==================  =====================================  ==============================
``before_run``      (observe only)                         (raise to stop the run)
``after_run``       a changed ``RunResult``
``before_model``    a changed ``Request``                  a ``Response``: no model call
``after_model``     a changed ``Response``
``before_tool``     a changed ``ToolCall`` (or arguments)  a ``ToolResult``: the tool is not run
``after_tool``      a changed ``ToolResult``
``on_error``        (observe only: the error goes on)
==================  =====================================  ==============================

Hooks compose like middleware: ordered by ``priority`` (highest first, so
outermost), ``before_*`` methods run in that order and ``after_*`` methods
in reverse. A hook that short-circuits is the innermost of that call: hooks
after it do not see the call, hooks before it see its answer in their
``after_*``. ``on_error`` goes to every hook that has it, for the failed
call and then for the run. A hook that raises stops the run with
:class:`~llmkit.errors.HookError` naming it (or its own ``HookError``, such
as :class:`~llmkit.errors.GuardrailTripped`), with the conversation so far
in ``err.messages``.

The built-in hooks (:class:`LoggingHook`, :class:`MetricsHook`,
:class:`TracingHook`, :class:`Guardrail`, :class:`CacheHook`,
:class:`RateLimit`) are imported from here on first use.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from importlib import import_module
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from llmkit.context import RunContext
from llmkit.types import JSONDict, Message, Request, Response, ToolCall, ToolResult

if TYPE_CHECKING:
    from llmkit._hooks.cache import CacheHook
    from llmkit._hooks.guardrails import Guardrail
    from llmkit._hooks.logs import LoggingHook
    from llmkit._hooks.metrics import MetricsHook
    from llmkit._hooks.model import HookedModel
    from llmkit._hooks.ratelimit import RateLimit
    from llmkit._hooks.tracing import TracingHook
    from llmkit.events import ToolFailure
    from llmkit.providers.base import Model
    from llmkit.run import RunResult

__all__ = [
    "HOOK_METHODS",
    "CacheHook",
    "Guardrail",
    "Hook",
    "HookContext",
    "HookKind",
    "HookedModel",
    "LoggingHook",
    "MetricsHook",
    "RateLimit",
    "TracingHook",
    "with_hooks",
]

HookKind: TypeAlias = Literal["run", "model", "tool"]
"""What a :class:`HookContext` describes: a whole run, one model call, or one tool call."""

HOOK_METHODS: tuple[str, ...] = (
    "before_run",
    "after_run",
    "before_model",
    "after_model",
    "before_tool",
    "after_tool",
    "on_error",
)
"""The methods a hook may have; an object with none of them is not a hook."""


@dataclass(slots=True, eq=False)
class HookContext:
    """What a hook method knows about the call it is called for.

    One is made per run, per model call and per tool call (only when hooks
    are present). ``state`` is scratch space for that one call, shared by
    the hook's ``before_*``, ``after_*`` and ``on_error`` (key it by the hook
    itself, ``ctx.state[self]``); ``parent`` is the run's context for a model
    or tool call inside an agent run (None for a plain model call).
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

    def on_error(self, ctx: HookContext, error: BaseException) -> Awaitable[None] | None:
        """A call (``ctx.kind``) failed with ``error``; it is raised on after the hooks saw it."""


def with_hooks(model: Model | str, hooks: Sequence[object]) -> HookedModel:
    """``model`` with ``hooks`` around its ``generate`` and ``stream`` calls (a :class:`~llmkit.Model`).

    ``embed`` goes to the model unchanged. Hooks of a model already wrapped
    are kept, and the new ones added::

        fast = with_hooks(llmkit.model("openai/gpt-4.1-mini"), [CacheHook("cache.db")])
        fast.generate_sync(request)     # the second identical request is served from the cache
    """
    from llmkit._hooks.model import HookedModel

    return HookedModel.wrap(model, hooks)


_LAZY: dict[str, str] = {
    "CacheHook": "llmkit._hooks.cache",
    "Guardrail": "llmkit._hooks.guardrails",
    "HookedModel": "llmkit._hooks.model",
    "LoggingHook": "llmkit._hooks.logs",
    "MetricsHook": "llmkit._hooks.metrics",
    "RateLimit": "llmkit._hooks.ratelimit",
    "TracingHook": "llmkit._hooks.tracing",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'llmkit.hooks' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

"""Composing hooks: which methods each hook has (read once), and running them around a call.

A :class:`HookChain` is built once per set of hooks. For each hook method it
keeps the hooks that have it, in priority order, with whether the method is
async; a call then costs one plain loop per point, with no ``getattr`` or
``iscoroutinefunction`` on the way, and a sync method costs no coroutine.

Every point but ``on_error`` goes through one walk, ``_walk``; what a method
may return there is its point's ``_Point``. ``on_error`` has its own loop: it
logs a failing hook instead of raising.

The workflow points (``before_workflow``, ``after_workflow``, ``before_step``,
``after_step``) go through the same walk; :meth:`HookChain.for_scope` is how a
workflow composes its hooks with those of the active session (a recording, a
replay), and gets None when there are none, so it builds no context.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llmkit._hooks.base import HOOK_METHODS, Hook, HookContext
from llmkit._hooks.session import SESSION_HOOKS
from llmkit.errors import AgentError, HookError, UsageError
from llmkit.events import ModelResponse, StreamEvent
from llmkit.providers._assemble import events_from_response
from llmkit.run import RunResult
from llmkit.types import Request, Response, ToolCall, ToolResult

if TYPE_CHECKING:
    from llmkit.providers.base import Model

__all__ = ["HookChain", "hook_name"]

_log = logging.getLogger("llmkit.hooks")


@dataclass(frozen=True, slots=True)
class _Entry:
    """One hook's method for one point."""

    index: int
    """The hook's place in the chain (0 is outermost)."""
    name: str
    fn: Callable[..., Any]
    is_async: bool


def hook_name(hook: object) -> str:
    """How errors and logs name ``hook``."""
    name = getattr(hook, "name", None)
    return name if isinstance(name, str) and name else type(hook).__name__


@dataclass(frozen=True, slots=True)
class _Point:
    """What a hook method of one point may return besides None, and what that does."""

    name: str
    change: type | None
    """Replaces the value the hooks pass on (the last argument); None: what it returns is not read."""
    answer: type | None = None
    """Stops the walk: the hook answers instead of the model or the tool."""
    arguments: bool = False
    """A dict is the call's new arguments."""
    expected: str = ""
    """What to return, for the error about a wrong return."""


_BEFORE_RUN = _Point("before_run", None)
_AFTER_RUN = _Point("after_run", RunResult, expected="a RunResult")
_BEFORE_MODEL = _Point("before_model", Request, Response, expected="a Request, a Response")
_AFTER_MODEL = _Point("after_model", Response, expected="a Response")
_BEFORE_TOOL = _Point(
    "before_tool",
    ToolCall,
    ToolResult,
    arguments=True,
    expected="a ToolCall, a dict of arguments, a ToolResult",
)
_AFTER_TOOL = _Point("after_tool", ToolResult, expected="a ToolResult")
_BEFORE_WORKFLOW = _Point("before_workflow", None)
_BEFORE_STEP = _Point("before_step", None)
# Any value but None is the step's new output.
_AFTER_STEP = _Point("after_step", object)
# after_workflow must return the result's own type (the workflow layer's WorkflowResult,
# which this layer cannot name): one point per result type, made on first use.
_AFTER_WORKFLOW: dict[type, _Point] = {}


def _after_workflow(result_type: type) -> _Point:
    point = _AFTER_WORKFLOW.get(result_type)
    if point is None:
        point = _Point("after_workflow", result_type, expected=f"a {result_type.__name__}")
        _AFTER_WORKFLOW[result_type] = point
    return point


def _method(hook: object, point: str) -> Callable[..., object] | None:
    """The hook's own ``point`` method, or None when it has none (or keeps the base no-op)."""
    fn: object = getattr(hook, point, None)
    if not callable(fn):
        return None
    if isinstance(hook, Hook) and getattr(type(hook), point, None) is getattr(Hook, point):
        return None
    return fn


def _priority(hook: object) -> float:
    value = getattr(hook, "priority", 0)
    if not isinstance(value, int | float):
        raise UsageError(f"Hook {hook_name(hook)!r} has priority={value!r}; use a number.")
    return value


def _failed(entry: _Entry, point: str, exc: Exception) -> Exception:
    """What to raise for a hook that raised ``exc``: a typed stop as it is, else a HookError."""
    if isinstance(exc, AgentError):
        # A typed stop (HookError, GuardrailTripped, a limit, a replay divergence) goes on
        # as it is, with the hook named.
        if not exc.hook:
            exc.hook = entry.name
            exc.point = point
        return exc
    err = HookError(
        f"Hook {entry.name!r} raised {type(exc).__name__} in {point}: {exc}",
        hook=entry.name,
        point=point,
    )
    err.__cause__ = exc
    return err


async def _walk(
    point: _Point, entries: tuple[_Entry, ...], args: tuple[Any, ...], inside: int
) -> tuple[Any, Any, int]:
    """Call each of ``entries`` below ``inside`` with ``args``: the hook context first, and last
    the value the hooks may change (the context itself for ``before_run``, which changes nothing).

    Returns that value as the hooks left it, the answer of the hook that
    stopped the walk (or None), and that hook's index (or ``inside``). A
    sync method is called and its result read at once: only an async one
    costs an ``await``.
    """
    for entry in entries:
        if entry.index >= inside:
            continue
        try:
            out = entry.fn(*args)
            if entry.is_async:
                out = await out
        except Exception as exc:
            raise _failed(entry, point.name, exc)  # noqa: B904  (the cause is set)
        if out is None or point.change is None:
            continue
        if isinstance(out, point.change):
            args = (*args[:-1], out)
        elif point.answer is not None and isinstance(out, point.answer):
            args[0].served_by = entry.name
            return args[-1], out, entry.index
        elif point.arguments and isinstance(out, dict):
            ctx, call = args
            args = (ctx, ToolCall(call.id, call.name, out, provider_data=call.provider_data))
        else:
            raise HookError(
                f"Hook {entry.name!r} returned a {type(out).__name__} from {point.name}; "
                f"return {point.expected} or None.",
                hook=entry.name,
                point=point.name,
            )
    return args[-1], None, inside


class HookChain:
    """Hooks in priority order, with each point's methods found once."""

    __slots__ = (
        "_depth",
        "after_model",
        "after_run",
        "after_step",
        "after_tool",
        "after_workflow",
        "before_model",
        "before_run",
        "before_step",
        "before_tool",
        "before_workflow",
        "hooks",
        "on_error",
    )

    def __init__(self, hooks: Sequence[object]) -> None:
        # sorted() is stable: hooks of equal priority keep the order they were given in.
        ordered = sorted(hooks, key=lambda h: -_priority(h))
        self.hooks: tuple[object, ...] = tuple(ordered)
        self._depth = len(ordered)  # past every hook's index: a walk that skips none
        points: dict[str, list[_Entry]] = {point: [] for point in HOOK_METHODS}
        for index, hook in enumerate(ordered):
            found = False
            for point in HOOK_METHODS:
                fn = _method(hook, point)
                if fn is None:
                    continue
                found = True
                is_async = inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
                    getattr(fn, "__call__", None)  # noqa: B004  (async callable objects)
                )
                points[point].append(_Entry(index, hook_name(hook), fn, is_async))
            if not found:
                raise UsageError(
                    f"{hook!r} is not a hook: give it at least one of {', '.join(HOOK_METHODS)} "
                    "(or subclass llmkit.hooks.Hook)."
                )
        self.before_run = tuple(points["before_run"])
        self.after_run = tuple(reversed(points["after_run"]))
        self.before_model = tuple(points["before_model"])
        self.after_model = tuple(reversed(points["after_model"]))
        self.before_tool = tuple(points["before_tool"])
        self.after_tool = tuple(reversed(points["after_tool"]))
        self.before_workflow = tuple(points["before_workflow"])
        self.after_workflow = tuple(reversed(points["after_workflow"]))
        self.before_step = tuple(points["before_step"])
        self.after_step = tuple(reversed(points["after_step"]))
        self.on_error = tuple(reversed(points["on_error"]))

    @classmethod
    def for_scope(cls, hooks: Sequence[object]) -> HookChain | None:
        """A chain of ``hooks`` plus the active session's (a recording, a replay); None when
        there are none, so a caller with no hooks builds no context at all."""
        if isinstance(hooks, str | bytes | Mapping) or not isinstance(hooks, Iterable):
            raise UsageError(
                "hooks= takes a list of hooks (objects with before_*/after_* methods), "
                f"not a {type(hooks).__name__}."
            )
        found = (*hooks, *SESSION_HOOKS.get())
        return cls(found) if found else None

    def __len__(self) -> int:
        return len(self.hooks)

    async def error(self, ctx: HookContext, error: BaseException) -> None:
        """Tell every ``on_error`` hook; a hook failing here is logged, never raised over ``error``."""
        for entry in self.on_error:
            try:
                out = entry.fn(ctx, error)
                if entry.is_async:
                    await out
            except Exception:
                _log.exception("Hook %r failed in on_error", entry.name)

    # --------------------------------------------------------------------- runs

    async def start_run(self, ctx: HookContext) -> None:
        """``before_run`` of every hook that has it."""
        await _walk(_BEFORE_RUN, self.before_run, (ctx,), self._depth)

    async def end_run(self, ctx: HookContext, result: RunResult[Any]) -> RunResult[Any]:
        """``after_run`` of every hook that has it, innermost first; returns the final result."""
        result, _, _ = await _walk(_AFTER_RUN, self.after_run, (ctx, result), self._depth)
        return result

    # ------------------------------------------------------------- model calls

    async def generate(self, ctx: HookContext, model: Model, request: Request) -> Response:
        """``model.generate(request)`` with the model hooks around it."""
        try:
            response: Response | None
            request, response, inside = await _walk(
                _BEFORE_MODEL, self.before_model, (ctx, request), self._depth
            )
            if response is None:
                response = await model.generate(request)
            response, _, _ = await _walk(
                _AFTER_MODEL, self.after_model, (ctx, request, response), inside
            )
            return response
        except BaseException as exc:
            await self.error(ctx, exc)
            raise

    async def stream(
        self, ctx: HookContext, model: Model, request: Request
    ) -> AsyncGenerator[StreamEvent, None]:
        """``model.stream(request)`` with the model hooks around it.

        Deltas pass through as they arrive; the final ``model.response`` event
        carries the response after the ``after_model`` hooks. A response from a
        hook is delivered as a burst of events.
        """
        ctx.stream = True
        try:
            response: Response | None
            request, response, inside = await _walk(
                _BEFORE_MODEL, self.before_model, (ctx, request), self._depth
            )
            if response is None:
                events = model.stream(request)
                try:
                    async for event in events:
                        if type(event) is ModelResponse:
                            response = event.response
                        else:
                            yield event
                finally:
                    await events.aclose()
                if response is None:
                    raise UsageError(f"{model!r}.stream() ended without a ModelResponse event.")
            else:
                for event in events_from_response(response)[:-1]:
                    yield event
            response, _, _ = await _walk(
                _AFTER_MODEL, self.after_model, (ctx, request, response), inside
            )
        except BaseException as exc:
            await self.error(ctx, exc)
            raise
        yield ModelResponse(response)

    # -------------------------------------------------------------- tool calls

    async def call_tool(
        self,
        ctx: HookContext,
        call: ToolCall,
        run: Callable[[ToolCall], Awaitable[ToolResult]],
    ) -> ToolResult:
        """``run(call)`` with the tool hooks around it; ``run`` gets the call as the hooks left it."""
        try:
            result: ToolResult | None
            call, result, inside = await _walk(
                _BEFORE_TOOL, self.before_tool, (ctx, call), self._depth
            )
            ctx.tool_call = call
            if result is None:
                result = await run(call)
            result, _, _ = await _walk(_AFTER_TOOL, self.after_tool, (ctx, call, result), inside)
            return result
        except BaseException as exc:
            await self.error(ctx, exc)
            raise

    # ---------------------------------------------------------------- workflows

    async def start_workflow(self, ctx: HookContext, state: Any) -> None:
        """``before_workflow`` of every hook that has it (a failed run is for :meth:`error`)."""
        await _walk(_BEFORE_WORKFLOW, self.before_workflow, (ctx, state), self._depth)

    async def end_workflow(self, ctx: HookContext, result: Any) -> Any:
        """``after_workflow`` of every hook that has it, innermost first; returns the final result.

        A hook may return a changed result of the same type, or None.
        """
        point = _after_workflow(type(result))
        result, _, _ = await _walk(point, self.after_workflow, (ctx, result), self._depth)
        return result

    async def call_step(
        self, ctx: HookContext, input: Any, run: Callable[[], Awaitable[Any]]
    ) -> Any:
        """``run()``, one attempt of a step, with the step hooks around it.

        ``before_step`` hooks see ``input``; ``after_step`` hooks see the output
        innermost first, and any value one returns but None replaces it. When a
        hook or ``run()`` raises, every ``on_error`` hook is told, then the
        error goes on.
        """
        try:
            await _walk(_BEFORE_STEP, self.before_step, (ctx, input), self._depth)
            output = await run()
            output, _, _ = await _walk(_AFTER_STEP, self.after_step, (ctx, output), self._depth)
            return output
        except BaseException as exc:
            await self.error(ctx, exc)
            raise

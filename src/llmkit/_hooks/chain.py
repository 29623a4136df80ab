"""Composing hooks: which methods each hook has (read once), and running them around a call.

A :class:`HookChain` is built once per set of hooks. For each hook method it
keeps the hooks that have it, in priority order, with whether the method is
async; a call then costs one plain loop per point, with no ``getattr`` or
``iscoroutinefunction`` on the way.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llmkit._hooks.base import HOOK_METHODS, Hook, HookContext
from llmkit.errors import AgentError, HookError, UsageError
from llmkit.events import ModelResponse, StreamEvent
from llmkit.providers._assemble import events_from_response
from llmkit.types import Request, Response, ToolCall, ToolResult

if TYPE_CHECKING:
    from llmkit.providers.base import Model
    from llmkit.run import RunResult

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


def _method(hook: object, point: str) -> Callable[..., Any] | None:
    """The hook's own ``point`` method, or None when it has none (or keeps the base no-op)."""
    fn = getattr(hook, point, None)
    if fn is None or not callable(fn):
        return None
    if isinstance(hook, Hook) and getattr(type(hook), point, None) is getattr(Hook, point):
        return None
    return fn  # type: ignore[no-any-return]


def _priority(hook: object) -> float:
    value = getattr(hook, "priority", 0)
    if not isinstance(value, int | float):
        raise UsageError(f"Hook {hook_name(hook)!r} has priority={value!r}; use a number.")
    return value


class HookChain:
    """Hooks in priority order, with each point's methods found once."""

    __slots__ = (
        "after_model",
        "after_run",
        "after_tool",
        "before_model",
        "before_run",
        "before_tool",
        "hooks",
        "on_error",
    )

    def __init__(self, hooks: Sequence[object]) -> None:
        # sorted() is stable: hooks of equal priority keep the order they were given in.
        ordered = sorted(hooks, key=lambda h: -_priority(h))
        self.hooks: tuple[object, ...] = tuple(ordered)
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
        self.on_error = tuple(reversed(points["on_error"]))

    def __len__(self) -> int:
        return len(self.hooks)

    # ------------------------------------------------------------------ calling

    @staticmethod
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

    @staticmethod
    def _wrong(entry: _Entry, point: str, out: object, expected: str) -> HookError:
        return HookError(
            f"Hook {entry.name!r} returned a {type(out).__name__} from {point}; "
            f"return {expected} or None.",
            hook=entry.name,
            point=point,
        )

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
        for entry in self.before_run:
            try:
                started = entry.fn(ctx)
                if entry.is_async:
                    await started
            except Exception as exc:
                raise self._failed(entry, "before_run", exc)  # noqa: B904  (the cause is set)

    async def end_run(self, ctx: HookContext, result: RunResult[Any]) -> RunResult[Any]:
        """``after_run`` of every hook that has it, innermost first; returns the final result."""
        for entry in self.after_run:
            try:
                out = entry.fn(ctx, result)
                if entry.is_async:
                    out = await out
            except Exception as exc:
                raise self._failed(entry, "after_run", exc)  # noqa: B904  (the cause is set)
            if out is not None:
                # Compared with the result's own class: this layer does not import the agent's.
                if not isinstance(out, type(result)):
                    raise self._wrong(entry, "after_run", out, "a RunResult")
                result = out
        return result

    # ------------------------------------------------------------- model calls

    async def _before_model(
        self, ctx: HookContext, request: Request
    ) -> tuple[Request, Response | None, int]:
        for entry in self.before_model:
            try:
                out = entry.fn(ctx, request)
                if entry.is_async:
                    out = await out
            except Exception as exc:
                raise self._failed(entry, "before_model", exc)  # noqa: B904  (the cause is set)
            if out is None:
                continue
            if isinstance(out, Request):
                request = out
            elif isinstance(out, Response):
                ctx.served_by = entry.name
                return request, out, entry.index
            else:
                raise self._wrong(entry, "before_model", out, "a Request, a Response")
        return request, None, len(self.hooks)

    async def _after_model(
        self, ctx: HookContext, request: Request, response: Response, inside: int
    ) -> Response:
        for entry in self.after_model:
            if entry.index >= inside:
                continue
            try:
                out = entry.fn(ctx, request, response)
                if entry.is_async:
                    out = await out
            except Exception as exc:
                raise self._failed(entry, "after_model", exc)  # noqa: B904  (the cause is set)
            if out is not None:
                if not isinstance(out, Response):
                    raise self._wrong(entry, "after_model", out, "a Response")
                response = out
        return response

    async def generate(self, ctx: HookContext, model: Model, request: Request) -> Response:
        """``model.generate(request)`` with the model hooks around it."""
        try:
            request, response, inside = await self._before_model(ctx, request)
            if response is None:
                response = await model.generate(request)
            return await self._after_model(ctx, request, response, inside)
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
            request, response, inside = await self._before_model(ctx, request)
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
            response = await self._after_model(ctx, request, response, inside)
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
            inside = len(self.hooks)
            result: ToolResult | None = None
            for entry in self.before_tool:
                try:
                    out = entry.fn(ctx, call)
                    if entry.is_async:
                        out = await out
                except Exception as exc:
                    raise self._failed(entry, "before_tool", exc)  # noqa: B904  (the cause is set)
                if out is None:
                    continue
                if isinstance(out, ToolCall):
                    call = out
                elif isinstance(out, dict):
                    call = ToolCall(call.id, call.name, out, provider_data=call.provider_data)
                elif isinstance(out, ToolResult):
                    ctx.served_by = entry.name
                    result = out
                    inside = entry.index
                    break
                else:
                    raise self._wrong(
                        entry, "before_tool", out, "a ToolCall, a dict of arguments, a ToolResult"
                    )
            ctx.tool_call = call
            if result is None:
                result = await run(call)
            for entry in self.after_tool:
                if entry.index >= inside:
                    continue
                try:
                    out = entry.fn(ctx, call, result)
                    if entry.is_async:
                        out = await out
                except Exception as exc:
                    raise self._failed(entry, "after_tool", exc)  # noqa: B904  (the cause is set)
                if out is not None:
                    if not isinstance(out, ToolResult):
                        raise self._wrong(entry, "after_tool", out, "a ToolResult")
                    result = out
            return result
        except BaseException as exc:
            await self.error(ctx, exc)
            raise

"""Running the tool calls of one model response: concurrently when there are several.

The batch runs through :func:`~llmkit._agent.hooked.execute_hooked` when the run
has hooks, else through the plain :func:`~llmkit._agent.calls.execute`. Only a
failure that stops the run leaves here (a tool with ``errors="raise"``, a
cancellation): the first one raised, as itself rather than in an exception group.
A durable run's checkpoints (``durable``) mark each call started before it runs
and keep its result as soon as it has one, whichever call ends first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from llmkit._agent.calls import PlannedCall, execute
from llmkit._agent.hooked import execute_hooked

if TYPE_CHECKING:
    from llmkit._agent.checkpoints import Checkpoints
    from llmkit._hooks.base import HookContext
    from llmkit._hooks.chain import HookChain
    from llmkit.context import RunContext
    from llmkit.tools._tool import ErrorMode

__all__ = ["run_calls", "tool_context"]


def tool_context(
    batch: list[PlannedCall], hooks: HookChain | None, context: Callable[[], RunContext[Any]]
) -> RunContext[Any] | None:
    """The run context the batch's calls get (``context()``), or None when none needs it."""
    if hooks is not None:
        return context()
    for p in batch:
        if p.tool is not None and p.tool.takes_ctx:
            return context()
    return None


async def run_calls(
    planned: list[PlannedCall],
    ctx: RunContext[Any] | None,
    hooks: HookChain | None = None,
    parent: HookContext | None = None,
    *,
    run_id: str = "",
    tool_errors: ErrorMode = "return",
    durable: Checkpoints | None = None,
) -> None:
    """Run every call that needs running, concurrently when there are several."""
    runnable = [p for p in planned if p.needs_run]
    if not runnable:
        return
    if durable is not None:
        await _run_recorded(runnable, ctx, hooks, parent, run_id, tool_errors, durable)
        return
    if hooks is not None:
        assert ctx is not None
        if len(runnable) == 1:
            await execute_hooked(runnable[0], ctx, hooks, parent, tool_errors)
            return
        try:
            async with asyncio.TaskGroup() as group:
                for p in runnable:
                    group.create_task(execute_hooked(p, ctx, hooks, parent, tool_errors))
        except BaseExceptionGroup as group_error:
            raise group_error.exceptions[0]  # noqa: B904
        return
    if len(runnable) == 1:
        await execute(runnable[0], ctx, run_id=run_id, tool_errors=tool_errors)
        return
    try:
        async with asyncio.TaskGroup() as group:
            for p in runnable:
                group.create_task(execute(p, ctx, run_id=run_id, tool_errors=tool_errors))
    except BaseExceptionGroup as group_error:
        # Only errors="raise" tools get here; the first one stops the run.
        raise group_error.exceptions[0]  # noqa: B904  (its own cause is the tool's error)


async def _run_recorded(
    runnable: list[PlannedCall],
    ctx: RunContext[Any] | None,
    hooks: HookChain | None,
    parent: HookContext | None,
    run_id: str,
    tool_errors: ErrorMode,
    durable: Checkpoints,
) -> None:
    """The calls of a durable run: each marked started, run, and its result kept."""

    async def one(p: PlannedCall) -> None:
        await durable.started(p)
        if hooks is not None:
            assert ctx is not None
            await execute_hooked(p, ctx, hooks, parent, tool_errors)
        else:
            await execute(p, ctx, run_id=run_id, tool_errors=tool_errors)
        await durable.done(p)

    if len(runnable) == 1:
        await one(runnable[0])
        return
    try:
        async with asyncio.TaskGroup() as group:
            for p in runnable:
                group.create_task(one(p))
    except BaseExceptionGroup as group_error:
        raise group_error.exceptions[0]  # noqa: B904  (as in run_calls)

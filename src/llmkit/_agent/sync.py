"""Sync twins of agent runs that keep the caller's context variables.

``run_sync`` and ``stream_sync`` run on llmkit's background event loop
(:mod:`llmkit._sync`); these wrappers carry the caller's context there, so
``agent.override(...)`` and other context variables apply inside the run.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Coroutine
from typing import Any, TypeVar

__all__ = ["in_context", "iterate_in_context"]

T = TypeVar("T")


def in_context(coro: Coroutine[Any, Any, T]) -> Coroutine[Any, Any, T]:
    """``coro`` wrapped to run in the caller's context, wherever it is awaited.

    Sync twins run on llmkit's background loop; without this, context
    variables set by the caller (``agent.override``) would not reach the run.
    """
    context = contextvars.copy_context()

    async def runner() -> T:
        return await asyncio.get_running_loop().create_task(coro, context=context)

    return runner()


async def iterate_in_context(
    events: AsyncIterator[T], context: contextvars.Context
) -> AsyncIterator[T]:
    """Advance ``events`` in ``context`` (the caller's), one task per step."""
    loop = asyncio.get_running_loop()
    try:
        while True:
            try:
                event = await loop.create_task(_next(events), context=context)
            except StopAsyncIteration:
                return
            yield event
    finally:
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await loop.create_task(aclose(), context=context)


async def _next(events: AsyncIterator[T]) -> T:
    return await events.__anext__()

"""The event channel of ``Workflow.stream()``: a bounded queue between the run and its reader.

:func:`stream_run` starts the run in a task of its own ``asyncio.TaskGroup`` and yields what
the run puts on the channel. The queue is bounded (256 events): a run that gets ahead of
its reader waits at ``put``, so a slow reader slows the run instead of filling memory.

Guarantees: the run's error is raised by the generator after the events before it (the run
puts its ``error`` and failed ``workflow.end`` events first); the reader closing the
generator (``break``, ``aclose()``, garbage collection) cancels the run and waits for it,
so no task outlives the stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from llmkit.events import Event

__all__ = ["CHANNEL_SIZE", "EventChannel", "stream_run"]

CHANNEL_SIZE = 256
"""Events a run may get ahead of its reader."""


class _End:
    """The run ended: ``error`` is what it raised, or None."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


class EventChannel:
    """A bounded queue of events; ``put`` waits while it is full."""

    __slots__ = ("queue",)

    def __init__(self, size: int = CHANNEL_SIZE) -> None:
        self.queue: asyncio.Queue[Event | _End] = asyncio.Queue(maxsize=size)

    async def put(self, event: Event) -> None:
        """Hand ``event`` to the reader (waits while the queue is full)."""
        await self.queue.put(event)


async def stream_run(
    run: Callable[[EventChannel], Awaitable[Any]],
) -> AsyncGenerator[Event, None]:
    """Run ``run(channel)`` and yield the events it puts there; raise what it raised."""
    channel = EventChannel()
    queue = channel.queue

    async def produce() -> None:
        error: BaseException | None = None
        try:
            await run(channel)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # handed to the reader, raised there
            error = exc
        await queue.put(_End(error))

    # Nothing is raised inside the task group (it would wrap it in an exception group):
    # the reader's close and the run's error are raised once the run's task is done.
    closing: BaseException | None = None
    end: _End | None = None
    async with asyncio.TaskGroup() as group:
        task = group.create_task(produce())
        while True:
            item = await queue.get()
            if isinstance(item, _End):
                end = item
                break
            try:
                yield item
            except BaseException as exc:  # the reader closed the stream (or threw into it)
                closing = exc
                task.cancel()
                break
    if closing is not None:
        raise closing
    if end is not None and end.error is not None:
        raise end.error

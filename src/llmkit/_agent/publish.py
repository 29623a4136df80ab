"""The one path by which agent runs reach the event bus.

``Agent.run``, ``Agent.stream`` and ``Agent.resume`` drive every run, with a
model or model-free, through :func:`published` (a stream) or :func:`finish`
(to the result); nothing else in llmkit publishes an agent's events. Each
event the run yields is published on its bus, when it has one, before anyone
else sees it and before the run goes on, so the bus gets the same events in
the same order whichever way the run was started. A run builds events only
for a caller that streams or a bus with subscribers; with neither it yields
none, and this path costs one empty loop.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from llmkit.bus import Bus
    from llmkit.events import Event
    from llmkit.run import RunResult

__all__ = ["Publishing", "finish", "published"]


class Publishing(Protocol):
    """A run that can be driven: ``AgentRun`` and ``DirectRun`` (a model-free agent's)."""

    bus: Bus | None
    """The bus its events go to (None: nobody listens)."""
    result: RunResult[Any] | None
    """The run's result, once :meth:`events` has ended."""

    def events(self) -> AsyncGenerator[Event, None]:
        """Advance the run to its end, yielding its events."""
        ...


async def published(start: Callable[[], Publishing]) -> AsyncGenerator[Event, None]:
    """Every event of the run ``start()`` builds, published on its bus (if any) before it is yielded.

    The run is started when the first event is asked for, so a run that
    cannot start raises there. Closing this generator closes the run's.
    """
    run = start()
    events = run.events()
    bus = run.bus
    try:
        if bus is None:
            async for event in events:
                yield event
        else:
            publish = bus.publish
            async for event in events:
                publish(event)
                yield event
    finally:
        await events.aclose()


async def finish(run: Publishing) -> RunResult[Any]:
    """Drive ``run`` to its end, publishing as :func:`published` does; return its result.

    Its own loop rather than one over :func:`published`: the same order (each
    event on the bus before the run goes on), one generator hop fewer per event.
    """
    bus = run.bus
    if bus is None:
        # Nothing to publish, and a run that does not stream yields no event to pass on.
        async for _ in run.events():
            pass
    else:
        publish = bus.publish
        async for event in run.events():
            publish(event)
    result = run.result
    assert result is not None  # events() ends only with a result, or raises
    return result

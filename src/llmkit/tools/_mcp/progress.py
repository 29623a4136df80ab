"""Progress of a running MCP tool: the SDK's progress callback for one call, made into events.

What always holds:

- each report becomes one :class:`~llmkit.events.ToolProgress` naming the
  call (run id, step, call id and the tool's llmkit name, read from the run
  context when the call was made; its workflow path too);
- the event is delivered on the event loop of the caller, in the order the
  server sent the reports: published on the bus, then handed to
  ``on_progress`` (an async ``on_progress`` runs as a task of that loop);
- no event is built when nobody listens (no bus subscriber, no
  ``on_progress``);
- a failing ``on_progress`` is logged on ``llmkit.mcp`` and never fails the call.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeAlias

from llmkit._scope import current_path
from llmkit.events import ToolProgress

if TYPE_CHECKING:
    from llmkit.bus import Bus
    from llmkit.context import RunContext

__all__ = ["OnProgress", "ProgressCallback", "progress_callback"]

OnProgress: TypeAlias = Callable[[ToolProgress], Any]
"""``on_progress=``: called with each :class:`~llmkit.events.ToolProgress` (sync, or async)."""

ProgressCallback: TypeAlias = Callable[[float, "float | None", "str | None"], Awaitable[None]]
"""What the SDK calls with each report: ``(progress, total, message)``."""

_log = logging.getLogger("llmkit.mcp")
_running: set[asyncio.Future[Any]] = set()
"""Async on_progress calls in flight (kept so they are not collected before they end)."""


def progress_callback(
    tool: str,
    context: RunContext[Any] | None,
    *,
    bus: Bus | None,
    on_progress: OnProgress | None,
) -> ProgressCallback:
    """The callback for one call of ``tool`` (its llmkit name), made on the caller's loop."""
    loop = asyncio.get_running_loop()
    path = current_path()
    call = context.tool_call if context is not None else None
    run_id = context.run_id if context is not None else ""
    step = context.step if context is not None else 0
    shown = call.name if call is not None else tool
    call_id = call.id if call is not None else ""

    def deliver(event: ToolProgress) -> None:
        if bus is not None:
            bus.publish(event)
        if on_progress is None:
            return
        try:
            outcome = on_progress(event)
            if inspect.isawaitable(outcome):
                task = asyncio.ensure_future(outcome)
                _running.add(task)
                task.add_done_callback(_done)
        except Exception:
            _log.warning("on_progress raised for %s; the call goes on", shown, exc_info=True)

    async def report(progress: float, total: float | None, message: str | None) -> None:
        if bus is None and on_progress is None:
            return
        event = ToolProgress(run_id, step, call_id, shown, progress, total, message, path=path)
        if asyncio.get_running_loop() is loop:
            deliver(event)
        else:
            loop.call_soon_threadsafe(deliver, event)

    return report


def _done(task: asyncio.Future[Any]) -> None:
    _running.discard(task)
    if not task.cancelled() and task.exception() is not None:
        _log.warning("on_progress raised; the call goes on", exc_info=task.exception())

"""Run async code from sync code, also when the caller is inside a running event loop.

Sync twins (``generate_sync``, ``stream_sync``, ``run_sync`` …) hand their
coroutine to one long-lived event loop in a daemon thread. Using one loop for
every sync call keeps the HTTP connection pool (one per event loop) warm
across calls, and works the same in a plain script, in Jupyter (whose loop is
already running) and in threads. Each coroutine starts in a copy of the
caller's context (``run_coroutine_threadsafe`` schedules it with one), so
context variables the caller set (``agent.override``, ``llmkit.record`` …)
apply inside; tests/test_sync.py holds that in place.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any, TypeVar

from llmkit.errors import UsageError

__all__ = ["iterate_sync", "run_sync"]

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None
_pid: int | None = None


def _background_loop() -> asyncio.AbstractEventLoop:
    global _loop, _thread, _pid
    loop = _loop
    if loop is not None and _pid == os.getpid() and not loop.is_closed():
        return loop
    with _lock:
        if _loop is None or _pid != os.getpid() or _loop.is_closed():
            # After a fork the thread is gone; start a fresh one in this process.
            new_loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=new_loop.run_forever, name="llmkit-sync-loop", daemon=True
            )
            thread.start()
            _loop, _thread, _pid = new_loop, thread, os.getpid()
        return _loop


def _check_not_on_loop_thread(loop: asyncio.AbstractEventLoop) -> None:
    if threading.current_thread() is _thread:
        raise UsageError(
            "A *_sync method was called from async code running on llmkit's own loop; "
            "use the async method with 'await' instead."
        )


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion on llmkit's background loop and return its result.

    Interrupting the wait (Ctrl-C) cancels the coroutine.
    """
    loop = _background_loop()
    _check_not_on_loop_thread(loop)
    future = asyncio.run_coroutine_threadsafe(coro, loop)
    try:
        return future.result()
    except BaseException:
        future.cancel()
        raise


def iterate_sync(agen: AsyncIterator[T]) -> Iterator[T]:
    """Iterate an async iterator from sync code, one item at a time.

    Leaving the loop early closes the async iterator on the background loop,
    so its ``finally`` blocks (closing HTTP streams) run.
    """
    loop = _background_loop()
    _check_not_on_loop_thread(loop)

    async def next_item() -> T:
        return await agen.__anext__()

    try:
        while True:
            future = asyncio.run_coroutine_threadsafe(next_item(), loop)
            try:
                item = future.result()
            except StopAsyncIteration:
                return
            except BaseException:
                future.cancel()
                raise
            yield item
    finally:
        aclose = getattr(agen, "aclose", None)
        if aclose is not None:
            asyncio.run_coroutine_threadsafe(aclose(), loop).result()

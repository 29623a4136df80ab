"""Run async code from sync code, also when the caller is inside a running event loop.

Sync twins (``generate_sync``, ``stream_sync``, ``run_sync`` …) hand their
coroutine to one long-lived event loop in a daemon thread. Using one loop for
every sync call keeps the HTTP connection pool (one per event loop) warm
across calls, and works the same in a plain script, in Jupyter (whose loop is
already running) and in threads. Each coroutine starts in a copy of the
caller's context (``run_coroutine_threadsafe`` schedules it with one), so
context variables the caller set (``agent.override``, ``llmkit.record`` …)
apply inside; tests/test_sync.py holds that in place.

What always holds:

- a ``BaseException`` that escapes a coroutine (``KeyboardInterrupt`` or
  ``SystemExit`` raised by user code) reaches the caller that waits for it,
  and the loop thread goes on serving later calls (asyncio lets such
  exceptions out of ``run_forever``; the thread enters it again);
- if the loop thread ends anyway (code on it called ``loop.stop()``), the
  calls waiting on it fail with :class:`~llmkit.errors.UsageError` instead of
  hanging, and the next call starts a new loop thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any, TypeVar

from llmkit.errors import UsageError

__all__ = ["iterate_sync", "run_sync", "submit"]

T = TypeVar("T")

_log = logging.getLogger("llmkit")


class _LoopThread:
    """One event loop, the daemon thread running it, and the calls waiting on it."""

    __slots__ = ("loop", "pending", "pid", "stopped", "thread")

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.pid = os.getpid()
        self.pending: set[concurrent.futures.Future[Any]] = set()
        self.stopped = False
        """Set once the loop stopped for good (before the calls waiting on it are failed)."""
        self.thread = threading.Thread(target=self._serve, name="llmkit-sync-loop", daemon=True)
        self.thread.start()

    def usable(self) -> bool:
        """The thread still serves the loop, in this process (a fork leaves the thread behind)."""
        return not self.stopped and self.pid == os.getpid() and self.thread.is_alive()

    def _serve(self) -> None:
        loop = self.loop
        try:
            while True:
                try:
                    loop.run_forever()
                except (KeyboardInterrupt, SystemExit) as exc:
                    # A task's KeyboardInterrupt/SystemExit is already stored on its
                    # future (its caller gets it); asyncio re-raises it out of the loop too.
                    _log.debug("llmkit's sync loop goes on after %s", type(exc).__name__)
                    continue
                break  # someone called loop.stop(): this thread ends
        finally:
            self.stopped = True  # first, so a released caller's next call starts a new loop
            loop.close()
            self._fail_pending()

    def _fail_pending(self) -> None:
        for future in list(self.pending):
            # InvalidStateError: it finished or was cancelled meanwhile.
            with contextlib.suppress(concurrent.futures.InvalidStateError):
                future.set_exception(
                    UsageError(
                        "llmkit's background event loop was stopped (code running on it "
                        "called loop.stop()) before this call finished; call again."
                    )
                )

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        try:
            future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        except RuntimeError:  # the loop was closed: its thread ended
            coro.close()
            raise UsageError(
                "llmkit's background event loop was stopped (code running on it called "
                "loop.stop()); call again to start a new one."
            ) from None
        pending = self.pending
        pending.add(future)
        future.add_done_callback(pending.discard)
        if self.stopped:
            self._fail_pending()  # the loop stopped between the check and the submit
        return future


_lock = threading.Lock()
_current: _LoopThread | None = None


def _background() -> _LoopThread:
    global _current
    current = _current
    if current is not None and current.usable():
        return current
    with _lock:
        if _current is None or not _current.usable():
            # First use, after a fork, or the thread ended: start a fresh one.
            _current = _LoopThread()
        return _current


def _check_not_on_loop_thread(background: _LoopThread) -> None:
    if threading.current_thread() is background.thread:
        raise UsageError(
            "A *_sync method was called from async code running on llmkit's own loop; "
            "use the async method with 'await' instead."
        )


def submit(coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
    """Start ``coro`` on llmkit's background loop without waiting for it."""
    return _background().submit(coro)


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion on llmkit's background loop and return its result.

    Interrupting the wait (Ctrl-C) cancels the coroutine. Whatever the
    coroutine raises, ``KeyboardInterrupt`` and ``SystemExit`` included, is
    raised here, and the background loop keeps serving later calls.
    """
    background = _background()
    try:
        _check_not_on_loop_thread(background)
    except UsageError:
        coro.close()
        raise
    future = background.submit(coro)
    try:
        return future.result()
    except BaseException:
        future.cancel()
        raise


def iterate_sync(agen: AsyncIterator[T]) -> Iterator[T]:
    """Iterate an async iterator from sync code, one item at a time.

    Leaving the loop early closes the async iterator on the background loop,
    so its ``finally`` blocks (closing HTTP streams) run. When the iterator
    failed, that failure is what the caller gets: closing it afterwards may
    fail too (it may be left mid-step), and that second failure is logged
    instead of replacing the first.
    """
    background = _background()
    _check_not_on_loop_thread(background)

    async def next_item() -> T:
        return await agen.__anext__()

    failure: BaseException | None = None
    try:
        while True:
            future = background.submit(next_item())
            try:
                item = future.result()
            except StopAsyncIteration:
                return
            except BaseException as exc:
                future.cancel()
                failure = exc
                raise
            yield item
    finally:
        aclose = getattr(agen, "aclose", None)
        if aclose is not None:
            try:
                background.submit(aclose()).result()
            except BaseException as close_error:
                if failure is None:
                    raise
                _log.warning(
                    "Closing the stream after it raised %s failed too",
                    type(failure).__name__,
                    exc_info=close_error,
                )

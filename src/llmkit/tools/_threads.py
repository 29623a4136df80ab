"""The worker threads that run sync tools, one pool per process.

:func:`in_thread` runs a function on a worker thread and awaits its result,
as :func:`asyncio.to_thread` does, with the same guarantees:

- the function runs in a copy of the caller's context (so a tool call's
  time limit, :func:`~llmkit.tools.checkpoint`, reaches it);
- a call whose awaiting side gave up (cancelled, timed out) before a worker
  took it up is not run; one already running finishes in the background and
  its result or exception is dropped;
- an event loop has at most ``min(32, CPU count + 4)`` calls running at
  once, as many threads as its default executor would start; more calls
  wait their turn, in order. Threads are shared by the loops and started
  as the running calls need them, so a tool that runs an agent on another
  loop (``run_sync``) cannot wait for threads its own call holds;
- the process does not end before a running call has returned: at exit
  every worker finishes its call and stops (as the default executor's
  threads are joined);
- a child made by ``fork`` starts with no threads of its parent's and makes
  its own when it needs them.

What it saves over ``asyncio.to_thread``: the concurrent-futures machinery
between the two sides (a ``Future`` with its lock and condition, its chaining
to an asyncio future, the executor's work item and idle semaphore). The
worker hands the outcome to the event loop with one
``call_soon_threadsafe``; the awaiting task resumes as it would have. The
pool is not tied to an event loop, so threads are started once per process,
not once per ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
import atexit
import contextvars
import os
import threading
from collections import deque
from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from queue import SimpleQueue

__all__ = ["in_thread", "thread_count"]

T = TypeVar("T")

_MAX_THREADS = min(32, (os.cpu_count() or 1) + 4)

_Job = tuple[
    asyncio.AbstractEventLoop,
    "asyncio.Future[Any]",
    contextvars.Context,
    Callable[..., Any],
    tuple[Any, ...],
    dict[str, Any],
]


class _Pool:
    """Worker threads taking jobs from one queue; started as calls need them.

    The bound is per event loop, as each loop's default executor had its own:
    a loop has at most ``_MAX_THREADS`` calls running, further ones wait in
    its own line. Threads are shared and as many as the running calls, so a
    sync tool that runs an agent to its end (``run_sync``, on another loop)
    never waits for a thread its own call holds.
    """

    def __init__(self) -> None:
        from queue import SimpleQueue  # loaded with the first sync tool call, not with llmkit

        self._jobs: SimpleQueue[_Job | None] = SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        """Workers waiting for a job and not yet promised one."""
        self._threads: list[threading.Thread] = []
        self._running: dict[asyncio.AbstractEventLoop, int] = {}
        """Calls of each loop handed to a worker and not yet done (no entry: none)."""
        self._waiting: dict[asyncio.AbstractEventLoop, deque[_Job]] = {}
        """Calls of each loop beyond its bound, in order (no entry: none)."""
        self._closed = False

    def submit(self, job: _Job) -> None:
        loop = job[0]
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot run a tool in a thread: the interpreter is exiting")
            running = self._running.get(loop, 0)
            if running >= _MAX_THREADS:
                self._waiting.setdefault(loop, deque()).append(job)
                return
            self._hand_over()
            self._running[loop] = running + 1
        self._jobs.put(job)

    def _hand_over(self) -> None:
        """Promise a job to an idle worker, or start one (the lock is held)."""
        if self._idle:
            self._idle -= 1
            return
        worker = threading.Thread(
            target=self._work, name=f"llmkit-tool-{len(self._threads)}", daemon=True
        )
        worker.start()  # raises when no thread can be started: nothing is counted then
        self._threads.append(worker)

    def _done(self, loop: asyncio.AbstractEventLoop) -> _Job | None:
        """Count a call of ``loop`` done; its next waiting call, now promised to this worker."""
        with self._lock:
            waiting = self._waiting.get(loop)
            if waiting:
                job = waiting.popleft()
                if not waiting:
                    del self._waiting[loop]
                return job  # the loop's count stays: one call ends, the next starts
            running = self._running[loop] - 1
            if running:
                self._running[loop] = running
            else:
                del self._running[loop]
            self._idle += 1
            return None

    def _work(self) -> None:
        take = self._jobs.get
        job: _Job | None = take()
        while job is not None:
            loop, future, context, function, args, kwargs = job
            del job
            outcome: tuple[bool, Any] | None = None
            if not future.cancelled():  # a read of its state: safe from another thread
                try:
                    outcome = (True, context.run(function, *args, **kwargs))
                except BaseException as exc:  # handed to the awaiting side
                    outcome = (False, exc)
            # Counted done before the outcome is handed over: the caller's next call finds
            # this thread free.
            job = self._done(loop)
            if outcome is not None:
                with suppress(RuntimeError):  # a closed loop: nobody waits for the outcome
                    loop.call_soon_threadsafe(_settle, future, outcome)
            del loop, future, context, function, args, kwargs, outcome
            if job is None:
                job = take()

    def close(self) -> None:
        """Let every worker finish its call, then stop it (run at interpreter exit)."""
        with self._lock:
            self._closed = True
            threads = list(self._threads)
        for _ in threads:
            self._jobs.put(None)
        for worker in threads:
            worker.join()

    def count(self) -> int:
        with self._lock:
            return len(self._threads)


def _settle(future: asyncio.Future[tuple[bool, Any]], outcome: tuple[bool, Any]) -> None:
    # The outcome is the future's result even for an exception: thrown into the awaiting
    # coroutine by asyncio, GeneratorExit would close the whole task's generators, and
    # StopIteration is refused by futures. It is raised by in_thread instead.
    if not future.cancelled():
        future.set_result(outcome)


_pool: _Pool | None = None
"""Made by the first call (and again in a forked child)."""


def _started() -> _Pool:
    global _pool
    if _pool is None:
        _pool = _Pool()
    return _pool


def _close_at_exit() -> None:
    if _pool is not None:
        _pool.close()


def _fresh_after_fork() -> None:
    # The parent's threads do not exist in the child, and its lock may be held.
    global _pool
    _pool = None


atexit.register(_close_at_exit)
os.register_at_fork(after_in_child=_fresh_after_fork)


async def in_thread(function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``function(*args, **kwargs)`` on a worker thread, in a copy of the current context.

    What the function raises is raised here, as if it had run on the loop:
    ``GeneratorExit`` as itself, ``StopIteration`` as the ``RuntimeError`` a
    coroutine turns it into.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[tuple[bool, Any]] = loop.create_future()
    (_pool or _started()).submit((loop, future, contextvars.copy_context(), function, args, kwargs))
    ok, value = await future
    if not ok:
        raise value
    result: T = value
    return result


def thread_count() -> int:
    """How many worker threads the pool has started in this process."""
    return 0 if _pool is None else _pool.count()

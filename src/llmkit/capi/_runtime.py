"""The thread llmkit runs on behind the C ABI: one asyncio loop for every client, and the calls on it.

Guarantees:

- One event loop, on its own thread, runs every run of every client; the tool
  callbacks run on a pool of worker threads, so a slow callback holds neither
  the loop nor the interpreter lock.
- A C caller waits for its call with :meth:`Runtime.wait` (or :meth:`Runtime.submit`
  and :meth:`Runtime.finish`), which holds no lock of llmkit and not the
  interpreter lock while it blocks: it waits on a plain lock that the loop
  releases when the call's task is done (:class:`Outcome`), one wake-up each way.
- A :class:`Call` can be cancelled from any thread, before or after its task
  starts; it then fails with the status of the reason given first
  (``cancelled``, ``stopped`` by an event callback, client ``freed``,
  ``shutdown``), whatever the run made of the cancellation.
- :meth:`Runtime.stop` cancels every call, waits for their tasks to end and for
  the stores being released (:meth:`Runtime.release`), closes the loop's HTTP
  clients and ends the thread. A call started on it before or while it stops
  ends with a status (``ERR_STATE``), never an endless wait.
- A :class:`Gate` runs one client's C callbacks one at a time; a callback may
  start calls on its own client: their callbacks pass the gate it holds, and
  run one at a time among themselves.
- :func:`in_callback` holds while any C callback runs on this thread, however
  deeply callbacks nest (a callback's call whose own callback returned).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, Generic, Literal, TypeAlias, TypeVar

from llmkit.capi._abi import Status
from llmkit.capi._errors import CallError

__all__ = [
    "STOPPED",
    "Call",
    "Gate",
    "Outcome",
    "Reason",
    "Runtime",
    "current_call",
    "in_callback",
    "in_callback_of",
    "marked_callback",
]

T = TypeVar("T")

Reason: TypeAlias = Literal["cancelled", "stopped", "freed", "shutdown"]
"""Why a call was cancelled."""

STOPPED = "the event callback returned nonzero: the run was stopped"
"""The message of a stream its event callback stopped."""

_REASONS: dict[Reason, tuple[Status, str]] = {
    "cancelled": (Status.ERR_CANCELLED, "the call was cancelled (llmkit_cancel)"),
    "stopped": (Status.ERR_CANCELLED, STOPPED),
    "freed": (Status.ERR_STATE, "the client was freed while this call ran"),
    "shutdown": (Status.ERR_STATE, "llmkit_shutdown ran while this call ran"),
}

_local = threading.local()


def _running() -> list[object]:
    """The owners of the C callbacks running on this thread, outermost first."""
    stack: list[object] | None = getattr(_local, "callbacks", None)
    if stack is None:
        stack = _local.callbacks = []
    return stack


def in_callback() -> bool:
    """Whether this thread is running a C callback of llmkit (a tool's or an event's)."""
    return bool(_running())


def in_callback_of(owner: object) -> bool:
    """Whether this thread is running a C callback of ``owner`` (a :class:`Gate`)."""
    return any(item is owner for item in _running())


class marked_callback:
    """Marks this thread as running a C callback of ``owner`` for the ``with`` block.

    Blocks nest: the thread stays marked until the outermost one ends.
    """

    def __init__(self, owner: object = None) -> None:
        self._owner = owner

    def __enter__(self) -> None:
        _running().append(self._owner)

    def __exit__(self, *exc: object) -> None:
        _running().pop()


class Gate:
    """One client's C callbacks, one at a time (see the module's guarantees)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()

    @contextlib.contextmanager
    def callback(self, call: Call | None) -> Iterator[None]:
        """Hold the gate and mark the thread; a call started inside a callback holding the
        gate holds its own lock instead (its caller waits for it inside that callback)."""
        lock = call.lock if call is not None and call.gate is self and call.lock else self._lock
        with lock, marked_callback(self):
            yield


current_call: contextvars.ContextVar[Call | None] = contextvars.ContextVar(
    "llmkit_capi_call", default=None
)
"""The call whose task is running (set by :meth:`Call.guard`; the run's tasks inherit it)."""


class Call:
    """One call of the C ABI running on the loop: cancellable from any thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop, *, gate: Gate | None = None) -> None:
        self._loop = loop
        self._task: asyncio.Task[Any] | None = None
        self.reason: Reason | None = None
        self.gate = gate
        """The gate of the client the call runs on."""
        nested = gate is not None and in_callback_of(gate)
        self.lock = threading.RLock() if nested else None
        """For a call started inside a callback of its own client (which holds the gate):
        the lock its callbacks take instead of the gate's."""

    def cancel(self, reason: Reason) -> None:
        """Stop the call (the first reason given is the one reported)."""
        if self.reason is None:
            self.reason = reason
        # A closed loop raises RuntimeError: its tasks are over already.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._cancel_task)

    def _cancel_task(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def failure(self) -> CallError | None:
        """The error of the reason the call was cancelled for, or None."""
        if self.reason is None:
            return None
        return CallError(*_REASONS[self.reason])

    async def guard(self, work: Coroutine[Any, Any, T]) -> T:
        """Run ``work`` as this call; a cancellation fails with the reason's status."""
        self._task = asyncio.current_task()
        current_call.set(self)
        try:
            if self.reason is not None:
                work.close()
                raise asyncio.CancelledError
            return await work
        except BaseException as exc:
            if self.reason is None:
                raise
            raise CallError(*_REASONS[self.reason]) from (
                None if isinstance(exc, asyncio.CancelledError) else exc
            )


class Outcome(Generic[T]):
    """The end of a call's task, waited for from another thread (:meth:`result`).

    The loop releases a plain lock when the task is done (no
    ``concurrent.futures.Future``, no condition variable): the waiting thread
    blocks in ``Lock.acquire``, without the interpreter lock.
    """

    __slots__ = ("_call", "_done", "_task", "_then")

    def __init__(self, call: Call, then: Callable[[], object] | None = None) -> None:
        self._call = call
        self._done = threading.Lock()
        self._done.acquire()
        self._task: asyncio.Task[T] | None = None
        self._then = then

    def start(self, loop: asyncio.AbstractEventLoop, work: Coroutine[Any, Any, T]) -> None:
        """Run ``work`` as the call's task (on the loop's thread)."""
        task = loop.create_task(self._call.guard(work))
        self._task = task
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[T]) -> None:
        try:
            if self._then is not None:
                self._then()
        finally:
            self._done.release()  # the C caller waits for this, whatever ``then`` did

    def result(self) -> T:
        """Wait for the task; its result, or its failure raised here."""
        self._done.acquire()
        task = self._task
        assert task is not None
        try:
            return task.result()
        except asyncio.CancelledError:
            # Cancelled before its first step, where guard() could not say why.
            failure = self._call.failure()
            if failure is None:
                raise
            raise failure from None


class Runtime:
    """The loop thread and the tool workers (see the module's guarantees)."""

    def __init__(self, *, tool_threads: int) -> None:
        self.tool_threads = tool_threads
        self.loop = asyncio.new_event_loop()
        self.workers = concurrent.futures.ThreadPoolExecutor(
            max_workers=tool_threads, thread_name_prefix="llmkit-capi-tool"
        )
        self._calls: set[Call] = set()
        self._closing: set[asyncio.Task[None]] = set()
        self._lock = threading.Lock()
        self._stopped = False
        self._thread = threading.Thread(target=self._serve, name="llmkit-capi", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def call(self, *, gate: Gate | None = None) -> Call:
        """A new call on this runtime (:class:`CallError` ``ERR_STATE`` once it is stopped)."""
        with self._lock:
            if self._stopped:
                raise CallError(Status.ERR_STATE, "llmkit_shutdown ran while this call started")
            call = Call(self.loop, gate=gate)
            self._calls.add(call)
            return call

    def wait(self, call: Call, work: Coroutine[Any, Any, T]) -> T:
        """Run ``work`` as ``call`` on the loop; block (without the interpreter lock) for its end."""
        return self.finish(call, self.submit(call, work))

    def submit(
        self, call: Call, work: Coroutine[Any, Any, T], *, then: Callable[[], object] | None = None
    ) -> Outcome[T]:
        """Start ``work`` as ``call`` on the loop; the caller waits with :meth:`finish`.

        ``then`` runs on the loop's thread when the call's task is done.
        """
        outcome: Outcome[T] = Outcome(call, then)
        # Scheduled under the lock that stop() takes first: the task is queued before
        # stop()'s drain, which then cancels it, or it is refused here. Never lost.
        with self._lock:
            if self._stopped:
                work.close()
                self._calls.discard(call)
                raise CallError(Status.ERR_STATE, "llmkit_shutdown ran while this call started")
            self.loop.call_soon_threadsafe(outcome.start, self.loop, work)
        return outcome

    def finish(self, call: Call, outcome: Outcome[T]) -> T:
        """The result of a call started with :meth:`submit` (its failure raised here)."""
        try:
            return outcome.result()
        finally:
            with self._lock:
                self._calls.discard(call)

    def stop(self) -> None:
        """Cancel every call, wait for their tasks, close the HTTP clients, end the thread."""
        with self._lock:
            self._stopped = True
            calls = list(self._calls)
        for call in calls:
            call.cancel("shutdown")
        done = asyncio.run_coroutine_threadsafe(self._drain(), self.loop)
        try:
            done.result(timeout=30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=30)
            if not self._thread.is_alive():
                self.loop.close()
            self.workers.shutdown(wait=False, cancel_futures=True)

    def release(self, closing: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run ``closing()`` (a store's close) on the loop; :meth:`stop` waits for it, uncancelled."""

        def start() -> None:
            task = self.loop.create_task(closing())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

        # A closed loop raises RuntimeError: stop() has run, and waited for what it had.
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(start)

    async def _drain(self) -> None:
        from llmkit.http import aclose_clients

        current = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not current]
        for task in tasks:
            if task not in self._closing:
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await aclose_clients()

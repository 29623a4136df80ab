"""The event bus: subscribe to llmkit events by topic, from anywhere in the program.

::

    import llmkit

    bus = llmkit.bus()                        # the default bus every agent publishes to
    sub = bus.on("tool.*", lambda event: print(event.topic, event.call.name))
    bus.on("run.end", save_result, filter=lambda e: e.result.usage.requests > 3)
    ...
    sub.cancel()

Topics are those of :mod:`llmkit.events` (``run.start``, ``model.request``,
``model.text_delta``, ``tool.call``, ``tool.result``, ``run.end``, ``error`` …);
patterns are globs matched with :func:`fnmatch.fnmatchcase` (``"*"`` is every
event). Agents publish the same events ``Agent.stream`` yields; ``Agent.run``
publishes the run-level ones and each model call's ``model.response``. With
no subscriber, an agent builds no events at all.

A handler never breaks or stalls a run:

- an **async** handler runs as a task of the publishing event loop, cancelled
  past ``timeout`` seconds;
- a **sync** handler runs in a worker thread of its own (one per
  subscription, so its events arrive in order), so a handler that blocks
  holds up nothing but itself; past ``timeout`` it is reported (a thread
  cannot be stopped). ``inline=True`` calls a quick sync handler directly
  in the publisher instead, with no thread hop;
- a handler that raises or times out is logged (logger ``llmkit.bus``) and
  reported as an ``error`` event on the bus (not to the handler that failed).

``await bus.drain()`` waits until every handler has seen what was published.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
import logging
import sys
import threading
import types
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, TypeAlias, cast

from llmkit.errors import UsageError

if TYPE_CHECKING:
    import queue

    from llmkit.events import Event

__all__ = ["Bus", "Handler", "Subscription", "active_bus", "bus", "reset_bus", "use_bus"]

Handler: TypeAlias = Callable[[Any], "Awaitable[None] | None"]
"""A function of one event, sync or async."""

_log = logging.getLogger("llmkit.bus")


class _Worker:
    """One daemon thread running submitted calls in order.

    A daemon thread, unlike a ``ThreadPoolExecutor`` worker, does not keep the
    program from exiting when a handler blocks forever.
    """

    def __init__(self, name: str) -> None:
        from queue import SimpleQueue  # only a bus with a sync handler starts a worker

        self._queue: queue.SimpleQueue[
            tuple[concurrent.futures.Future[Any], Callable[[], Any]] | None
        ]
        self._queue = SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[[], Any]) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self._queue.put((future, fn))
        return future

    def stop(self) -> None:
        self._queue.put(None)

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            future, fn = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn())
            except BaseException as exc:
                future.set_exception(exc)


class Subscription:
    """One handler subscribed to a topic pattern; ``cancel()`` unsubscribes it."""

    __slots__ = (
        "_bus",
        "_executor",
        "filter",
        "handler",
        "inline",
        "is_async",
        "name",
        "pattern",
    )

    def __init__(
        self,
        bus: Bus,
        pattern: str,
        handler: Handler,
        event_filter: Callable[[Any], bool] | None,
        inline: bool,
    ) -> None:
        self._bus = bus
        self.pattern = pattern
        self.handler = handler
        self.filter = event_filter
        self.inline = inline
        call = getattr(handler, "__call__", None)  # noqa: B004  (async callable objects)
        self.is_async = inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(call)
        self.name = getattr(handler, "__qualname__", None) or type(handler).__name__
        self._executor: _Worker | None = None

    def cancel(self) -> None:
        """Stop receiving events (events already handed over are still delivered)."""
        self._bus._remove(self)

    def _worker(self) -> _Worker:
        executor = self._executor
        if executor is None:
            executor = self._executor = _Worker(f"llmkit-bus {self.name}")
        return executor

    def __repr__(self) -> str:
        return f"<Subscription {self.pattern!r} -> {self.name}>"


class Bus:
    """A publish/subscribe hub for llmkit events, matched by topic with glob patterns.

    Args:
        timeout: Seconds a handler may take per event before it is reported
            (and, for an async handler, cancelled).
    """

    def __init__(self, *, timeout: float = 5.0) -> None:
        if timeout <= 0:
            raise UsageError("Bus(timeout=...) must be a positive number of seconds.")
        self.timeout = timeout
        self._subs: tuple[Subscription, ...] = ()
        self._by_topic: dict[str, tuple[Subscription, ...]] = {}
        self._lock = threading.Lock()
        self._pending: set[concurrent.futures.Future[Any] | asyncio.Future[Any]] = set()

    # ------------------------------------------------------------- subscribing

    def on(
        self,
        pattern: str,
        handler: Handler,
        *,
        filter: Callable[[Any], bool] | None = None,
        inline: bool = False,
    ) -> Subscription:
        """Call ``handler(event)`` for every event whose topic matches ``pattern``.

        ``filter(event)`` narrows it further (it runs in the publisher: keep it
        quick). ``inline=True`` calls a sync handler directly instead of in
        its worker thread.
        """
        if not isinstance(pattern, str) or not pattern:
            raise UsageError("bus.on() takes a topic pattern such as 'tool.*' or '*'.")
        if not callable(handler):
            raise UsageError(f"bus.on() takes a function of one event, not {handler!r}.")
        sub = Subscription(self, pattern, handler, filter, inline)
        if inline and sub.is_async:
            raise UsageError("inline=True is for sync handlers; async handlers run as tasks.")
        with self._lock:
            self._subs = (*self._subs, sub)
            self._by_topic = {}
        return sub

    def _remove(self, sub: Subscription) -> None:
        with self._lock:
            self._subs = tuple(s for s in self._subs if s is not sub)
            self._by_topic = {}
        if sub._executor is not None:
            sub._executor.stop()

    def clear(self) -> None:
        """Remove every subscription."""
        for sub in self._subs:
            self._remove(sub)

    @property
    def subscriptions(self) -> list[Subscription]:
        """The current subscriptions, oldest first."""
        return list(self._subs)

    def __bool__(self) -> bool:
        # A bus is "active" when someone listens; agents skip building events otherwise.
        return bool(self._subs)

    # -------------------------------------------------------------- publishing

    def _matching(self, topic: str) -> tuple[Subscription, ...]:
        subs = self._by_topic.get(topic)
        if subs is None:
            subs = tuple(s for s in self._subs if fnmatchcase(topic, s.pattern))
            self._by_topic[topic] = subs
        return subs

    def publish(self, event: Event) -> None:
        """Hand ``event`` to every matching handler; returns at once, never raises for a handler."""
        for sub in self._matching(event.topic):
            if sub.filter is not None:
                try:
                    if not sub.filter(event):
                        continue
                except Exception as exc:
                    self._failed(sub, event, exc)
                    continue
            if sub.inline:
                try:
                    sub.handler(event)
                except Exception as exc:
                    self._failed(sub, event, exc)
            elif sub.is_async:
                self._start_task(sub, event)
            else:
                self._start_thread(sub, event)

    def _start_task(self, sub: Subscription, event: Event) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            from llmkit._sync import submit

            self._track(submit(self._run_async(sub, event)))
            return
        self._track(loop.create_task(self._run_async(sub, event)))

    async def _run_async(self, sub: Subscription, event: Event) -> None:
        # Only an async handler gets here (``sub.is_async``): its call returns an awaitable.
        handler = cast("Callable[[Event], Awaitable[None]]", sub.handler)
        try:
            async with asyncio.timeout(self.timeout):
                await handler(event)
        except TimeoutError as exc:
            self._failed(sub, event, exc, timed_out=True)
        except Exception as exc:
            self._failed(sub, event, exc)

    def _start_thread(self, sub: Subscription, event: Event) -> None:
        context = contextvars.copy_context()
        future = sub._worker().submit(lambda: context.run(self._run_sync, sub, event))
        self._track(future)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        # Reported, not stopped: a thread cannot be interrupted.
        loop.call_later(self.timeout, self._check_late, future, sub, event)

    def _run_sync(self, sub: Subscription, event: Event) -> None:
        try:
            sub.handler(event)
        except Exception as exc:
            self._failed(sub, event, exc)

    def _check_late(
        self, future: concurrent.futures.Future[Any], sub: Subscription, event: Event
    ) -> None:
        if not future.done():
            self._failed(sub, event, TimeoutError(), timed_out=True)

    def _track(self, future: concurrent.futures.Future[Any] | asyncio.Future[Any]) -> None:
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._untrack)

    def _untrack(self, future: Any) -> None:
        with self._lock:
            self._pending.discard(future)

    def _failed(
        self, sub: Subscription, event: Event, exc: BaseException, *, timed_out: bool = False
    ) -> None:
        what = (
            f"took longer than {self.timeout} s"
            if timed_out
            else f"raised {type(exc).__name__}: {exc}"
        )
        message = f"Event handler {sub.name} ({sub.pattern!r}) {what} on a {event.topic} event."
        _log.warning(message, exc_info=None if timed_out else exc)
        if event.topic == "error":
            return  # a failing error handler must not feed itself
        from llmkit.events import ErrorEvent

        report = ErrorEvent(
            "HandlerTimeout" if timed_out else "HandlerError",
            message,
            getattr(event, "run_id", None),
        )
        for other in self._matching("error"):
            if other is not sub:
                self._deliver(other, report)

    def _deliver(self, sub: Subscription, event: Event) -> None:
        if sub.inline:
            try:
                sub.handler(event)
            except Exception:
                _log.exception("Event handler %s failed on an error event", sub.name)
        elif sub.is_async:
            self._start_task(sub, event)
        else:
            self._start_thread(sub, event)

    async def drain(self, timeout: float | None = None) -> None:
        """Wait until the handlers have seen everything published so far (or ``timeout`` passes)."""
        loop = asyncio.get_running_loop()
        while True:
            with self._lock:
                pending = list(self._pending)
            if not pending:
                return
            waiting = [
                f
                if isinstance(f, asyncio.Future) and f.get_loop() is loop
                else asyncio.wrap_future(f)
                for f in pending
            ]
            done, _ = await asyncio.wait(waiting, timeout=timeout)
            if timeout is not None and len(done) < len(waiting):
                return

    def drain_sync(self, timeout: float | None = None) -> None:
        """Blocking twin of :meth:`drain`."""
        from llmkit._sync import run_sync

        run_sync(self.drain(timeout))

    def __repr__(self) -> str:
        return f"<Bus subscriptions={len(self._subs)}>"


# ------------------------------------------------------------- the default bus

_default: Bus | None = None
_scoped: contextvars.ContextVar[Bus | None] = contextvars.ContextVar("llmkit_bus", default=None)


def bus() -> Bus:
    """The bus agents publish to by default: the one :func:`use_bus` set, else the process's own."""
    scoped = _scoped.get()
    if scoped is not None:
        return scoped
    global _default
    if _default is None:
        _default = Bus()
    return _default


def reset_bus() -> Bus:
    """Replace the process's default bus with a new, empty one (for tests); returns it."""
    global _default
    old, _default = _default, Bus()
    if old is not None:
        old.clear()
    return _default


@contextmanager
def use_bus(scoped: Bus) -> Iterator[Bus]:
    """Make ``scoped`` the default bus within a ``with`` block (this thread or task and its children)."""
    if not isinstance(scoped, Bus):
        raise UsageError(f"use_bus() takes a Bus, not {type(scoped).__name__}.")
    token = _scoped.set(scoped)
    try:
        yield scoped
    finally:
        _scoped.reset(token)


def active_bus(explicit: Bus | None = None) -> Bus | None:
    """The bus a run publishes to, or None when nobody listens (so no event is built)."""
    chosen = explicit
    if chosen is None:
        chosen = _scoped.get()
        if chosen is None:
            chosen = _default
    if chosen is None or not chosen._subs:
        return None
    return chosen


class _BusModule(types.ModuleType):
    """``llmkit.bus`` is this module and, called, the default bus: ``llmkit.bus()``.

    Importing the submodule replaces a ``bus`` function on the ``llmkit``
    package with the module; a callable module keeps ``llmkit.bus()`` working
    either way.
    """

    def __call__(self) -> Bus:
        return bus()


sys.modules[__name__].__class__ = _BusModule

"""One V8 isolate (mini-racer), driven from any asyncio event loop.

mini-racer delivers the isolate's answers to Python through the event loop its
context was made on. The isolate is made on a private loop, on a thread of its
own, and its context then hands each answer to the loop that awaits it (the loop
of the run: ``run_sync``'s, pytest's, a server's), so a call is one trip between
that loop and V8, not two; what comes when no call is in flight goes to the
private loop. Every call into JavaScript is cancellable: cancelling it (a timeout,
a sandbox violation) terminates the JavaScript that runs, and the isolate stays
usable.

The script reaches Python through two data-less JavaScript functions (mini-racer's
notifications): the bell says that messages wait in the prelude's outbox, the alarm
that the script broke the sandbox. Python must not read the isolate while a script
runs on it (that read would wait behind the script, and block the loop that
cancels it), so the messages are fetched by a call of their own (``drain``), which
a call that lets the script run can take along (``then``).
mini-racer's public ``wrap_py_function`` reads its arguments from the isolate on
arrival, which is why the notification is taken from its context instead.

Guarantees: the alarm cancels the call running when it rings; ``on_bell`` may be
called on any thread and must only schedule work; the calls in flight are made
from one event loop at a time (another loop gets a ``UsageError``); ``close`` frees
the isolate and ends its thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import threading
from collections.abc import Callable
from importlib import resources
from typing import Any

from llmkit.errors import UsageError

__all__ = ["Interrupted", "Isolate"]


class Interrupted(Exception):
    """A call into JavaScript was cut short because the script broke the sandbox."""


class Isolate:
    """A V8 isolate with the llmkit prelude loaded; ``call`` calls a prelude function by name."""

    def __init__(self, racer: Any, *, max_memory: int | None, on_bell: Callable[[], None]) -> None:
        self._racer = racer
        self._on_bell = on_bell
        self._running: set[asyncio.Task[Any]] = set()
        self.alarmed = False
        """True once the script broke the sandbox (reset by the engine for each run)."""
        self.trips = 0
        """Round trips made into the isolate since it was made (for measurements)."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._mr, self._hooks, bell, alarm = self._on_loop(self._setup()).result()
        if max_memory is not None:
            self._mr.set_hard_memory_limit(max_memory)
        prelude = resources.files(__package__).joinpath("prelude.js").read_text(encoding="utf-8")
        factory = self._mr.eval(prelude + "\n//# sourceURL=llmkit-prelude.js")
        # The prelude's functions are reached through a gate that opens to this token only:
        # each call is the text of a cancellable evaluation, so Python never reads the isolate
        # synchronously (a read waits behind any JavaScript that runs, and would freeze the loop).
        self._token = secrets.token_hex(16)
        # The prelude's loop probe writes the line (and module) it is at into this memory,
        # which Python reads while JavaScript runs; it lives as long as the isolate.
        self._spot: memoryview | None = factory(bell, alarm, self._token).cast("i")
        # From here on every call is made on the loop that awaits it, and the isolate's answer
        # is delivered there: a call costs no trip through the private loop.
        self._router = _Router(self._loop)
        object.__setattr__(context_of(self._mr), "event_loop", self._router)

    def _on_loop(self, work: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(work, self._loop)

    async def _setup(self) -> tuple[Any, Any, Any, Any]:
        mr = self._racer.MiniRacer()  # made on the private loop, so its calls come back there
        hooks = contextlib.ExitStack()
        context = context_of(mr)
        bell = hooks.enter_context(context._register_js_notification(self._bell))
        alarm = hooks.enter_context(context._register_js_notification(self._alarm))
        return mr, hooks, bell, alarm

    def _bell(self, handle: Any) -> None:
        self._on_bell()

    def _alarm(self, handle: Any) -> None:
        # Delivered on the loop of the calls in flight (see _Router), the loop of their tasks.
        self.alarmed = True
        for task in list(self._running):
            task.cancel()

    def _code(self, name: str, args: tuple[Any, ...]) -> str:
        return f"$llmkit$k({self._token!r}).{name}({','.join(json.dumps(a) for a in args)})"

    def call_now(self, name: str, *args: Any) -> Any:
        """Call the prelude function ``name`` and wait for it (for setting the isolate up)."""
        return self._on_loop(self._mr.eval_cancelable(self._code(name, args))).result()

    async def call(self, name: str, *args: Any, then: str | None = None) -> Any:
        """Call the prelude function ``name`` with JSON ``args`` (cancel the await to stop it).

        ``then``: a prelude function (no arguments) queued right behind it, whose result is
        returned instead: the script's promise callbacks run between the two, and the pair
        costs one trip into the isolate instead of two.
        """

        first = self._mr.eval_cancelable(self._code(name, args))
        if then is None:
            return await self._await(first)

        async def both() -> Any:
            # Both are queued at once: V8 runs them in order, the script's promise callbacks
            # in between. Should the first fail, the run ends, and what the second fetched
            # with it.
            return (await asyncio.gather(first, self._mr.eval_cancelable(self._code(then, ()))))[1]

        return await self._await(both())

    async def compile(self, code: str) -> None:
        """Evaluate ``code`` (a function expression): the function that ``start`` calls."""
        await self._await(self._mr.eval_cancelable(f"$llmkit$k({self._token!r}).hold({code}\n)"))

    async def _await(self, work: Any) -> Any:
        # ``work`` runs as a task of its own, which the alarm cancels: the caller's task is
        # cancelled only by its own caller (a timeout), and the two are told apart.
        loop = asyncio.get_running_loop()
        if self._router.target not in (None, loop):
            work.close()
            raise UsageError(
                "A JavaScript engine serves one event loop at a time: give each loop (or"
                " thread) an engine of its own, or share an EnginePool."
            )
        inner = loop.create_task(work)
        self.trips += 1
        self._router.target = loop
        self._running.add(inner)
        try:
            return await inner
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self.alarmed and inner.cancelled() and (task is None or not task.cancelling()):
                raise Interrupted from None
            raise
        finally:
            self._running.discard(inner)
            if not self._running:
                self._router.target = None

    def spot(self) -> tuple[int, int]:
        """The line of the loop the script went round last (0: none since the driver's last
        call) and its module's number (0: the script itself), read without entering the
        isolate, so even while JavaScript runs on."""
        if self._spot is None:
            return 0, 0
        return self._spot[0], self._spot[1]

    def out_of_memory(self) -> bool:
        """True once the isolate reached its memory limit (it must then be discarded)."""
        return bool(self._mr.was_hard_memory_limit_reached())

    def heap_used(self) -> int:
        """Bytes of the isolate's heap in use."""
        return int(self._mr.heap_stats()["used_heap_size"])

    def close(self) -> None:
        """Free the isolate and end its thread (idempotent)."""
        if not self._thread.is_alive():
            return
        self._spot = None  # its memory goes with the isolate

        async def shut() -> None:
            self._hooks.close()
            self._mr.close()

        try:
            self._on_loop(shut()).result(timeout=10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            if not self._thread.is_alive():
                self._loop.close()


def context_of(mr: Any) -> Any:
    """mini-racer's context behind a ``MiniRacer`` (the hooks the isolate uses are on it)."""
    return mr._ctx


class _Router:
    """Stands as the context's event loop: hands each answer of the isolate to the loop that awaits it.

    mini-racer delivers every answer (and every notification) through the
    ``call_soon_threadsafe`` of the loop its context was made on; the isolate's calls
    are made on the loop of the run instead, so the answers go there while a call is in
    flight (``target``), and to the private loop otherwise (an answer nobody awaits any
    more, a notification between calls).
    """

    def __init__(self, default: asyncio.AbstractEventLoop) -> None:
        self._default = default
        self.target: asyncio.AbstractEventLoop | None = None

    def call_soon_threadsafe(self, callback: Callable[..., Any], *args: Any) -> Any:
        """Schedule ``callback(*args)`` on the loop of the calls in flight, else the private loop."""
        loop = self.target or self._default
        if loop.is_closed():
            loop = self._default
        return loop.call_soon_threadsafe(callback, *args)

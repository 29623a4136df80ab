"""One V8 isolate (mini-racer) on a thread of its own, driven from any asyncio event loop.

mini-racer delivers a JavaScript function's calls to Python on the event loop the
isolate was made on; the isolate gets a private loop on its own thread, so the
loop that runs scripts is free to be any loop (``run_sync``'s, pytest's, a server's).
Every call into JavaScript is cancellable: cancelling it (a timeout, a sandbox
violation) terminates the JavaScript that runs, and the isolate stays usable.

The script reaches Python through two data-less JavaScript functions (mini-racer's
notifications): the bell says that messages wait in the prelude's outbox, the alarm
that the script broke the sandbox. Python must not read the isolate while a script
runs on it (that read would wait behind the script, and block the private loop that
cancels it), so the messages are fetched by a call of their own (``drain``).
mini-racer's public ``wrap_py_function`` reads its arguments from the isolate on
arrival, which is why the notification is taken from its context instead.

Guarantees: the alarm cancels the call running when it rings; ``on_bell`` is called on
the isolate's thread and must only schedule work; ``close`` frees the isolate and ends
its thread.
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
        factory(bell, alarm, self._token)

    def _on_loop(self, work: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(work, self._loop)

    async def _setup(self) -> tuple[Any, Any, Any, Any]:
        mr = self._racer.MiniRacer()  # made on the private loop, so its calls come back there
        hooks = contextlib.ExitStack()
        context = mr._ctx
        bell = hooks.enter_context(context._register_js_notification(self._bell))
        alarm = hooks.enter_context(context._register_js_notification(self._alarm))
        return mr, hooks, bell, alarm

    def _bell(self, handle: Any) -> None:
        self._on_bell()

    def _alarm(self, handle: Any) -> None:
        self.alarmed = True
        for task in list(self._running):
            task.cancel()

    def _code(self, name: str, args: tuple[Any, ...]) -> str:
        return f"$llmkit$k({self._token!r}).{name}({','.join(json.dumps(a) for a in args)})"

    def call_now(self, name: str, *args: Any) -> Any:
        """Call the prelude function ``name`` and wait for it (for setting the isolate up)."""
        return self._on_loop(self._mr.eval_cancelable(self._code(name, args))).result()

    async def call(self, name: str, *args: Any) -> Any:
        """Call the prelude function ``name`` with JSON ``args`` (cancel the await to stop it)."""

        async def run() -> Any:
            task = asyncio.current_task()
            assert task is not None
            self._running.add(task)
            try:
                return await self._mr.eval_cancelable(self._code(name, args))
            finally:
                self._running.discard(task)

        return await self._await(run())

    async def compile(self, code: str) -> None:
        """Evaluate ``code`` (a function expression): the function that ``start`` calls."""
        await self._await(self._mr.eval_cancelable(f"$llmkit$k({self._token!r}).hold({code}\n)"))

    async def _await(self, work: Any) -> Any:
        try:
            return await asyncio.wrap_future(self._on_loop(work))
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self.alarmed and (task is None or not task.cancelling()):
                raise Interrupted from None
            raise

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

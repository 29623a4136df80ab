"""The JavaScript engine (V8 through mini-racer): sandbox, limits, bridges and the asyncio driver.

A script runs as the body of an async function, so ``await`` works at its top
level and ``return`` gives the run's value; line numbers are mapped back to the
script's own. Every bridge function is an async function in JavaScript: a call
sends a message to the driver, which runs the Python function on the script's
event loop and settles the promise (other promises of the script, and other
scripts, go on meanwhile). A script function handed to Python (a tool's ``run``,
an ``events.on`` handler) is a :class:`JsFunction`; calling it runs it in the
isolate and waits for its promise.

Guarantees: the timeout covers the whole run, host calls included, and stops
JavaScript that never yields; the timeout error names the script line the run was
at (the host call it awaited, or the loop it went round last); a sandbox violation
or a limit ends the run even when the script catches the error, and one met in a
host call names the line of that call; an isolate that ran out of memory is
discarded and the next run gets a fresh one; outside ``interactive`` mode each
run starts from the same globals.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import re
from collections.abc import Callable
from importlib import resources
from typing import Any

from llmkit._optional import require
from llmkit.errors import UsageError
from llmkit.scripting._bridge import Promise
from llmkit.scripting._engine import Engine
from llmkit.scripting._errors import (
    ScriptError,
    ScriptLimitError,
    ScriptSandboxError,
    ScriptSyntaxError,
    ScriptTimeoutError,
)
from llmkit.scripting._host import Host
from llmkit.scripting.javascript._errors import (
    at_line,
    memory_error,
    script_error,
    source_url,
    split_syntax,
    timeout_error,
    violation_error,
)
from llmkit.scripting.javascript._isolate import Interrupted, Isolate
from llmkit.scripting.javascript._loops import mark_loops
from llmkit.scripting.javascript._values import Converter, JsFunction

__all__ = ["JsEngine", "JsFunction"]

_DECLARED = re.compile(r"^(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)\s*\(", re.MULTILINE)
_DEFAULT_DEPTH = 200  # Engine's default max_depth: taken as "not set"
_PROBE = "$llmkit$at"  # the prelude's loop probe (see _loops.py)
_CAUGHT = "$llmkit$caught"  # the prelude's probe of a caught error
_WHERE_BOUND = 2.0  # seconds to read a stopped isolate's last line; a free one answers at once


class JsEngine(Engine):
    """JavaScript scripts on V8 with the llmkit modules (``llmkit[js]``); options as for :class:`~llmkit.scripting.Engine`.

    ``max_instructions`` is Lua's: V8 counts none, so give ``timeout`` instead.
    ``max_depth`` is Lua's too: the depth is V8's own stack limit (a too deep recursion is a
    ``recursion`` limit error, even when the script catches V8's ``RangeError`` in a ``catch``
    block or a rejection handler), so any value but the default is refused.
    """

    name = "js"
    extensions = (".js", ".mjs")
    spec_suffix = "_spec.js"

    def spec_helpers(self) -> str:
        """``describe``/``it``/``expect`` for JavaScript spec files."""
        return resources.files(__package__).joinpath("spec.js").read_text(encoding="utf-8")

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        if self.limits.max_instructions is not None:
            raise UsageError(
                "The js engine counts no instructions: pass timeout= (--timeout) instead."
            )
        if self.limits.max_depth not in (None, _DEFAULT_DEPTH):
            raise UsageError(
                "The js engine cannot set a call depth (V8's stack limit bounds recursion):"
                " leave max_depth out."
            )
        self._racer = require(
            "py_mini_racer", extra="js", feature="JavaScript scripting", package="mini-racer"
        )
        from llmkit.scripting.bridges import load_bridge

        self._bridges = {name: load_bridge(name) for name in self.bridge_names}
        self._values = Converter(self)
        self._queue: asyncio.Queue[tuple[Any, ...]] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._host: Host | None = None
        self._deadline: float | None = None
        self._returns: dict[int, asyncio.Future[Any]] = {}
        self._next_call = 1
        self._tasks: set[asyncio.Task[Any]] = set()
        self._host_errors: dict[str, BaseException] = {}
        self._modules: dict[str, int] = {}  # the file of each module required -> its number
        self._isolate: Isolate | None = None
        self._isolate = self._new_isolate()

    # ------------------------------------------------------------ the isolate

    def _new_isolate(self) -> Isolate:
        isolate = Isolate(self._racer, max_memory=self.limits.max_memory, on_bell=self._receive)
        for name, bridge in self._bridges.items():
            isolate.call_now(
                "install",
                name,
                json.dumps(list(bridge.functions)),
                bridge.flat,
                self._constants(name),
            )
        isolate.call_now("sandbox", self.sandbox, self.sandbox != "strict")
        return isolate

    def _constants(self, name: str) -> str:
        constants = {key: value for key, (value, _doc) in self._bridges[name].constants.items()}
        return self._values.encode(constants, keep=True)

    def _receive(self) -> None:
        # Runs on the isolate's thread: tell the loop that drives the run to fetch the messages.
        loop, queue = self._loop, self._queue
        if loop is not None and queue is not None and not loop.is_closed():
            loop.call_soon_threadsafe(queue.put_nowait, ("drain",))

    # -------------------------------------------------------------- running

    async def _execute(self, code: str, host: Host) -> Any:
        if self._isolate is None:
            self._isolate = self._new_isolate()
        isolate = self._isolate
        self._start(host)
        try:
            if not self.interactive:
                await self._js("reset")
            for name, bridge in self._bridges.items():
                if bridge.values is not None:
                    await self._js(
                        "assign",
                        name,
                        bridge.flat,
                        self._values.encode(bridge.values(host)),
                    )
            for key, value in self.globals.items():
                await self._js("define", key, self._values.encode(value, keep=True))
            await self._compile(isolate, code, host.script)
            call_id, result = self._expect()
            await self._drain(await self._js("start", call_id, "[]"))
            value = await self._until(result)
        except BaseException:
            await self._finish(clean=False)
            raise
        await self._finish(clean=True)
        return value

    async def _compile(self, isolate: Isolate, code: str, script: str) -> None:
        # A match may sit in a comment or a string: each name is hoisted only if it is a function.
        hoist = "".join(
            f'try {{ if (typeof {n} === "function") globalThis.{n} = {n}; }} catch (_) {{}} '
            for n in dict.fromkeys(_DECLARED.findall(code))
        )
        marked = mark_loops(code, _PROBE, catch_probe=_CAUGHT)
        for body in (marked, code) if marked != code else (code,):
            source = (
                f"(async function () {{ {hoist}\n{body}\n}})\n//# sourceURL={source_url(script)}"
            )
            try:
                await self._guard(isolate.compile(source))
                return
            except self._racer.JSParseException as exc:
                if body is marked and marked != code:
                    continue  # the loop marks met a source they misread: run it as written
                message, line = split_syntax(str(exc), script)
                raise ScriptSyntaxError(message, script=script, line=line) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _start(self, host: Host) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue()
        self._host = host
        self._deadline = None if self.limits.timeout is None else self.clock() + self.limits.timeout
        self._host_errors.clear()
        if self._isolate is not None:
            self._isolate.alarmed = False

    async def _finish(self, *, clean: bool) -> None:
        """End a run; ``clean``: it gave its value, so the prelude holds nothing of it to forget."""
        tasks = list(self._tasks)
        # Every host call answered and every message handled: the prelude holds nothing of the run.
        settled = clean and not tasks and (self._queue is None or self._queue.empty())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        for future in self._returns.values():
            future.cancel()
        self._returns.clear()
        self._host = None
        self._queue = None
        if not self.interactive:
            self._values.forget()
        if self._isolate is not None:
            self._isolate.alarmed = False
            if settled:
                return
            with contextlib.suppress(Exception):
                await self._isolate.call("forget")

    def _expect(self) -> tuple[int, asyncio.Future[Any]]:
        call_id = self._next_call
        self._next_call += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._returns[call_id] = future
        return call_id, future

    async def _call(self, function: str, args: tuple[Any, ...]) -> Any:
        if self._isolate is None or not function.isidentifier():
            raise UsageError(f"No function {function!r}: run a script that defines it first.")
        key = self._values.encode(args, keep=True)
        return await self._run_alone(lambda: self._invoke_global(function, key))

    async def _invoke_global(self, function: str, args_text: str) -> Any:
        assert self._isolate is not None
        call_id, result = self._expect()
        sent = await self._js("startGlobal", call_id, function, args_text)
        if sent is None:
            raise UsageError(f"No function {function!r}: run a script that defines it first.")
        await self._drain(sent)
        return await self._until(result)

    async def call_function(self, function: int, args: tuple[Any, ...]) -> Any:
        """Run the script function with id ``function`` with ``args``; its result as a plain value."""
        if self.closed or self._isolate is None:
            raise UsageError("The JavaScript engine this function belongs to is closed.")
        if self._host is not None and self._queue is not None:  # within a run: its driver
            call_id, result = self._expect()
            self._queue.put_nowait(("invoke", call_id, function, self._values.encode(args)))
            return await result
        return await self._run_alone(lambda: self.call_function(function, args))

    async def _run_alone(self, work: Callable[[], Any]) -> Any:
        host = self._call_host()
        self._start(host)
        try:
            value = await asyncio.ensure_future(work())
        except BaseException:
            await host.close()
            await self._finish(clean=False)
            raise
        await host.close()
        await self._finish(clean=True)
        return value

    # ---------------------------------------------------------- the driver

    async def _until(self, result: asyncio.Future[Any]) -> Any:
        assert self._queue is not None
        while not result.done():
            if not self._queue.empty():
                await self._handle(self._queue.get_nowait())
                continue
            getter = asyncio.ensure_future(self._queue.get())
            done, _ = await self._within(
                asyncio.wait({getter, result}, return_when=asyncio.FIRST_COMPLETED), busy=False
            )
            if getter not in done:
                getter.cancel()
                break
            await self._handle(getter.result())
        return result.result()

    async def _within(self, work: Any, *, busy: bool = True) -> Any:
        """Await ``work`` within the run's deadline; ``busy`` when it is JavaScript that runs."""
        if self._deadline is None:
            return await work
        remaining = self._deadline - self.clock()
        try:
            if remaining <= 0:
                raise TimeoutError
            async with asyncio.timeout(remaining):
                return await work
        except TimeoutError:
            if inspect.iscoroutine(work):
                work.close()
            raise await self._stopped_at(busy) from None

    async def _stopped_at(self, busy: bool) -> ScriptTimeoutError:
        """The error of a run stopped by its deadline, at the line it was at.

        Busy, V8's termination leaves no stack: the line is the loop the script went round
        last. Idle, the script awaits a host call: the line is where it made that call.
        """
        if self._isolate is None:
            return timeout_error(None, self._script())
        line, module = self._isolate.spot()  # readable even while the script runs on
        found: dict[str, Any] | None = {"line": line, "module": module, "stack": ""}
        try:
            async with asyncio.timeout(_WHERE_BOUND):
                text = await self._isolate.call("where", busy)
            if not busy:
                found = json.loads(text)
        except TimeoutError:
            # JavaScript runs outside any call of the driver (a promise callback that never
            # ends), where no cancellation reaches it: the isolate is discarded.
            self._discard()
        except Exception:  # a broken isolate: the error goes without its line
            found = None
        return timeout_error(found, self._script(), list(self._modules))

    async def _js(self, function: Any, *args: Any, then: str | None = None) -> Any:
        assert self._isolate is not None
        return await self._guard(self._isolate.call(function, *args, then=then))

    async def _guard(self, work: Any) -> Any:
        try:
            return await self._within(work)
        except Interrupted:
            raise await self._violation() from None
        except self._racer.JSOOMException:
            raise self._out_of_memory() from None
        except self._racer.JSParseException:
            raise
        except self._racer.JSEvalException as exc:
            # V8 reports a terminated run as an empty error when the memory limit stopped it.
            if self._isolate is not None and self._isolate.out_of_memory():
                raise self._out_of_memory() from None
            raise ScriptError(str(exc), script=self._script()) from None

    def _script(self) -> str:
        return "<script>" if self._host is None else self._host.script

    async def _handle(self, item: tuple[Any, ...]) -> None:
        assert self._isolate is not None
        if item[0] == "settle":
            _, call_id, ok, text = item
            await self._drain(await self._js("settle", call_id, ok, text, then="drain"))
        elif item[0] == "invoke":
            _, call_id, function, args_text = item
            await self._drain(await self._js("invoke", call_id, function, args_text))
        elif item[0] == "fail":
            raise await self._at_call(item[1], item[2])
        else:
            await self._drain()

    async def _drain(self, sent: str | None = None) -> None:
        """Answer the script's messages (``sent``, else fetched), until it sends none or awaits slower work.

        ``start`` and ``invoke`` give what the script sent during them; after ``settle`` and
        ``answer`` it runs on in promise callbacks, and a ``drain`` in the same trip fetches
        what it sent. The bell rings only for what it sends outside the driver's calls. The
        host calls that answer at once are answered together.
        """
        assert self._isolate is not None
        messages = json.loads(await self._js("drain") if sent is None else sent)
        while messages:
            replies = []
            for message in messages:
                reply = await self._message(message)
                if reply is not None:
                    replies.append(reply)
            if not replies:
                return
            messages = json.loads(await self._js("answer", json.dumps(replies), then="drain"))

    async def _message(self, message: list[Any]) -> tuple[int, bool, str] | None:
        """Act on one message of the script; the answer to a host call that has one at once."""
        kind = message[0]
        if kind == "trip":
            raise self._violation_error(message[2], message[3], message[1])
        if kind == "return":
            _, call_id, ok, text = message
            future = self._returns.pop(call_id, None)
            if future is not None and not future.done():
                if ok:
                    future.set_result(self._values.decode(text))
                else:
                    future.set_exception(self._script_error(json.loads(text)))
            return None
        _, call_id, what, target, name, args_text = message
        try:
            work = self._dispatch(what, target, name, self._values.decode(args_text))
            if inspect.isawaitable(work) and not isinstance(work, Promise):
                task = asyncio.ensure_future(self._later(call_id, work))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
                if inspect.iscoroutine(work):
                    # A task cancelled before it starts would leave ``work`` never awaited.
                    task.add_done_callback(lambda _: work.close())
                return None
            return call_id, True, self._values.encode(work)
        except (ScriptLimitError, ScriptSandboxError) as exc:
            raise await self._at_call(exc, call_id) from exc.__cause__
        except Exception as exc:
            return call_id, False, self._describe(exc)

    async def _later(self, call_id: int, work: Any) -> None:
        assert self._queue is not None
        queue = self._queue
        try:
            value = await work
            queue.put_nowait(("settle", call_id, True, self._values.encode(value)))
        except (ScriptLimitError, ScriptSandboxError) as exc:
            queue.put_nowait(("fail", exc, call_id))
        except Exception as exc:
            queue.put_nowait(("settle", call_id, False, self._describe(exc)))

    def _dispatch(self, what: str, target: Any, name: str, args: list[Any]) -> Any:
        host = self._host
        assert host is not None
        if what == "bridge":
            return self._bridges[target].functions[name].function(host, *args)
        if what == "method":
            obj = self._values.handle(target)
            method = type(obj).methods().get(name)
            if method is None:
                raise UsageError(f"{type(obj).__name__} has no method {name!r}.")
            return method(obj, host, *args)
        if what == "py":
            return self._values.handle(target)(*args)
        if what == "await":
            return _await(self._values.handle(target))
        if what == "timer":
            return asyncio.sleep(args[0])
        if what == "print":
            return host.write(str(args[0]))
        if what == "require":
            text, file = self._module_source(host, args[0], ".js")
            module = self._modules.setdefault(str(file), len(self._modules) + 1)
            return [mark_loops(text, _PROBE, catch_probe=_CAUGHT, module=module), text, str(file)]
        raise UsageError(f"Unknown host call {what!r}.")

    # ------------------------------------------------------------- errors

    def _describe(self, exc: BaseException) -> str:
        message = f"{type(exc).__name__}: {exc}"
        if len(self._host_errors) < 100:
            self._host_errors[message] = exc
        return json.dumps({"name": "Error", "message": message})

    async def _violation(self) -> ScriptError:
        assert self._isolate is not None
        self._isolate.alarmed = False
        text = await self._within(self._isolate.call("violation"))
        if text is None:
            return self._violation_error("sandbox: the script broke the sandbox", "", "sandbox")
        message, stack, kind = json.loads(text)
        return self._violation_error(message, stack, kind)

    async def _at_call(self, exc: ScriptError, call_id: int) -> ScriptError:
        """``exc`` (a limit or a violation a host call met) at the line of the script's call."""
        if exc.line is not None or self._isolate is None:
            return exc
        return at_line(exc, await self._js("site", call_id))

    def _violation_error(self, message: str, stack: str, kind: str) -> ScriptError:
        return violation_error(message, stack, self._script(), kind=kind)

    def _discard(self) -> None:
        """Drop the isolate (the next run makes a fresh one); a pool replaces this engine."""
        self.broken = True
        self._close()

    def _out_of_memory(self) -> ScriptLimitError:
        self._discard()
        return memory_error(self.limits.max_memory, self._script())

    def _script_error(self, info: dict[str, Any]) -> ScriptError:
        return script_error(info, self._script(), self._host_errors)

    def isolate_trips(self) -> int:
        """Round trips into the current isolate since it was made (for measurements)."""
        return 0 if self._isolate is None else self._isolate.trips

    def heap_used(self) -> int:
        """Bytes of the isolate's heap in use (for measurements)."""
        return 0 if self._isolate is None else self._isolate.heap_used()

    def _close(self) -> None:
        isolate, self._isolate = self._isolate, None
        if isolate is not None:
            isolate.close()


async def _await(promise: Any) -> Any:
    return await promise

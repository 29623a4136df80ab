"""The Lua 5.4 engine (lupa's ``lupa.lua54``): sandbox, limits, bridges and the asyncio driver.

Every piece of script code runs as a Lua coroutine driven from asyncio: a host
call that must wait (a model, a tool, a sleep) yields its awaitable out of the
coroutine, the driver awaits it (the event loop keeps running, so other
coroutines and other scripts go on) and resumes the coroutine with the result,
or with the error, which the script sees as a Lua error it may ``pcall``. A Lua
function called from Python (a tool's ``run``, an ``events.on`` handler) runs
as a new coroutine of the same driver.

Guarantees: every coroutine, the ones a script makes included, carries the
instruction hook that enforces the run's instruction budget, timeout and
recursion depth; a tripped limit or a sandbox violation cannot be swallowed by
``pcall`` (the hook then fires at every instruction); the script never reaches
Python objects' attributes (lupa's attribute filter refuses every access) nor
lupa's ``python`` module.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path
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
from llmkit.scripting.lua._values import Converter, LuaFunction

__all__ = ["LuaEngine", "LuaFunction"]


def _deny(obj: Any, name: Any, is_setting: bool) -> Any:
    raise AttributeError("scripts cannot reach Python attributes")


class _Internals:
    """The prelude's functions, fetched from its table once."""

    NULL: Any
    array: Any
    collect: Any
    configure: Any
    env: Any
    handle: Any
    host: Any
    install: Any
    kind: Any
    same: Any
    load: Any
    lock_strings: Any
    object: Any
    print_with: Any
    require_with: Any
    stepper: Any
    trip: Any
    tripped: Any

    def __init__(self, table: Any) -> None:
        for name in self.__annotations__:
            setattr(self, name, table[name.encode()])


class LuaEngine(Engine):
    """Lua 5.4 scripts with the llmkit modules (``llmkit[lua]``); options as for :class:`~llmkit.scripting.Engine`."""

    name = "lua"
    extensions = (".lua",)
    spec_suffix = "_spec.lua"

    def spec_helpers(self) -> str:
        """``describe``/``it``/``expect`` for Lua spec files."""
        return resources.files(__package__).joinpath("spec.lua").read_text(encoding="utf-8")

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        lupa = require("lupa.lua54", extra="lua", feature="Lua scripting", package="lupa")
        self._lupa = lupa
        self._runtime = lupa.LuaRuntime(
            encoding=None,
            register_eval=False,
            register_builtins=False,
            unpack_returned_tuples=True,
            max_memory=self.limits.max_memory,
            attribute_filter=_deny,
        )
        self._runtime.globals()[b"python"] = None
        prelude = resources.files(__package__).joinpath("prelude.lua").read_bytes()
        # Every internal is fetched once, here: lupa answers an index of a Lua table made from a
        # Python callback that runs inside a coroutine with that coroutine's stack mixed in.
        self._k = _Internals(self._runtime.execute(prelude, self.clock))
        self._k.lock_strings(self.sandbox.encode())
        self._values = Converter(self, lupa, self._runtime, self._k)
        self._host: Host | None = None
        self._env: Any = None
        self._host_errors: dict[str, BaseException] = {}
        self._deadline: float | None = None
        self._bridges: list[tuple[bytes, Any, Any, bool]] = []
        from llmkit.scripting.bridges import load_bridge

        for name in self.bridge_names:
            bridge = load_bridge(name)
            functions = {
                key.encode(): self.lua_function(fn.function, raw=True)
                for key, fn in bridge.functions.items()
            }
            for key, (value, _doc) in bridge.constants.items():
                functions[key.encode()] = self._values.to_lua(value)
            table = self._runtime.table_from(functions)
            self._bridges.append((name.encode(), table, bridge.values, bridge.flat))

    # ------------------------------------------------------------ the adapter

    def lua_function(
        self, fn: Callable[..., Any], *, raw: bool = False, takes_host: bool = True, level: int = 2
    ) -> Any:
        """``fn`` as a Lua function: arguments and result converted, errors raised in Lua.

        ``raw``: ``fn`` takes the run's :class:`Host` first (bridge functions,
        object methods). An awaitable result suspends the calling coroutine.
        ``level``: the frame an error points at (3 for a helper the prelude wraps).
        """
        to_lua, from_lua = self._values.to_lua, self._values.from_lua
        needs_host = raw and takes_host

        def call(*args: Any) -> tuple[int, Any]:
            try:
                values = [from_lua(a) for a in args]
                # The arguments belong to the calling coroutine's Lua state: no frame kept by a
                # traceback may hold them after that coroutine is gone.
                del args
                result = fn(self._current_host(), *values) if needs_host else fn(*values)
                if inspect.isawaitable(result) and not isinstance(result, Promise):
                    return 1, result
                return 0, to_lua(result)
            except Exception as exc:
                return 2, self._describe(exc)

        return self._k.host(call, level)

    def _current_host(self) -> Host:
        if self._host is None:
            raise UsageError("This function works only while a script runs.")
        return self._host

    def _describe(self, exc: BaseException) -> bytes:
        if isinstance(exc, ScriptLimitError):
            self._k.trip(exc.kind.encode(), exc.message.encode())
            return exc.message.encode()
        if isinstance(exc, ScriptSandboxError):
            self._k.trip(b"sandbox", exc.message.encode())
            return exc.message.encode()
        message = f"{type(exc).__name__}: {exc}"
        if len(self._host_errors) < 100:
            self._host_errors[message] = exc
        return message.encode()

    # -------------------------------------------------------------- running

    async def _execute(self, code: str, host: Host) -> Any:
        reuse = self.interactive and self._env is not None
        env = self._env if reuse else self._new_env(host)
        env[b"print"] = self._k.print_with(
            self.lua_function(lambda text: host.write(text), level=3)
        )
        # Lua cuts chunk names at 60 bytes: messages carry the file's name, errors the full path.
        chunk, problem = self._k.load(code.encode(), Path(host.script).name[-50:].encode(), env)
        if chunk is None:
            message, line = self._split(host.script, problem)
            raise ScriptSyntaxError(message, script=host.script, line=line)
        self._env = env
        self._start(host)
        try:
            return self._values.from_lua(await self._drive(chunk, ()))
        finally:
            self._finish()

    def _new_env(self, host: Host) -> Any:
        env = self._k.env(self.sandbox.encode())
        for name, table, values, flat in self._bridges:
            extra = self._values.to_lua(values(host) if values is not None else {})
            self._k.install(env, name, table, extra, flat)
        for key, value in self.globals.items():
            env[key.encode()] = self._values.to_lua(value)
        if self.sandbox == "standard":
            read = self.lua_function(
                lambda name: self._module_source(self._current_host(), name, ".lua")[0],
                level=3,
            )  # level 3: an error points at the script's require, not at the prelude
            env[b"require"] = self._k.require_with(read, env)
        return env

    def _start(self, host: Host) -> None:
        limits = self.limits
        self._deadline = None if limits.timeout is None else self.clock() + limits.timeout
        self._k.configure(
            -1 if limits.max_instructions is None else limits.max_instructions,
            -1 if self._deadline is None else self._deadline,
            -1 if limits.max_depth is None else limits.max_depth,
        )
        self._host = host
        self._host_errors.clear()

    def _finish(self) -> None:
        self._host = None
        self._host_errors.clear()
        self._k.collect()

    async def _call(self, function: str, args: tuple[Any, ...]) -> Any:
        target = None if self._env is None else self._env[function.encode()]
        if self._lupa.lua_type(target) != "function":
            raise UsageError(f"No function {function!r}: run a script that defines it first.")
        return await self.call_function(target, args)

    async def call_function(self, function: Any, args: tuple[Any, ...]) -> Any:
        """Run the Lua ``function`` with ``args`` as a new coroutine; its result as a plain value."""
        if self.closed:
            raise UsageError("The Lua engine this function belongs to is closed.")
        if self._host is not None:  # within a run: its budget, host and deadline
            lua_args = [self._values.to_lua(a) for a in args]
            return self._values.from_lua(await self._drive(function, lua_args))
        host = self._call_host()
        self._start(host)
        try:
            lua_args = [self._values.to_lua(a) for a in args]
            return self._values.from_lua(await self._drive(function, lua_args))
        finally:
            await host.close()
            self._finish()

    async def _drive(self, function: Any, args: Any) -> Any:
        script = self._host.script if self._host is not None else "<script>"
        try:
            step = self._k.stepper(function)
            send: tuple[Any, ...] = tuple(args)
            while True:
                ok, done, value, tb = step(*send)
                self._check_tripped(script, None if ok else value, tb)
                if not ok:
                    raise self._script_error(script, value, tb)
                if done:
                    return value
                try:
                    result = await self._wait(value)
                    send = (0, self._values.to_lua(result))
                except ScriptTimeoutError as exc:
                    self._k.trip(b"timeout", exc.message.encode())
                    send = (2, exc.message.encode())
                except Exception as exc:
                    send = (2, self._describe(exc))
        except self._lupa.LuaMemoryError as exc:
            raise self._memory_error(script) from exc

    async def _wait(self, awaitable: Any) -> Any:
        if self._deadline is None:
            return await awaitable
        remaining = self._deadline - self.clock()
        timeout = ScriptTimeoutError(
            "time limit: the script ran past its timeout", kind="timeout", script="<script>"
        )
        if remaining <= 0:
            with contextlib.suppress(Exception):
                awaitable.close()
            raise timeout
        try:
            async with asyncio.timeout(remaining) as scope:
                return await awaitable
        except TimeoutError:
            if scope.expired():
                raise timeout from None
            raise

    # ------------------------------------------------------------- errors

    def _check_tripped(self, script: str, error: Any, tb: Any) -> None:
        kind, message, where = self._k.tripped()
        if kind is None:
            return
        kind, message = kind.decode(), message.decode()
        text = error.decode(errors="replace") if isinstance(error, bytes) else message
        found, line = self._split(script, text)
        if message not in found:
            found, line = message, None
        if line is None and where > 0:
            line = where
        trace = tb.decode(errors="replace") if isinstance(tb, bytes) else ""
        if kind == "sandbox":
            raise ScriptSandboxError(found, script=script, line=line, traceback=trace)
        cls = ScriptTimeoutError if kind == "timeout" else ScriptLimitError
        raise cls(found, kind=kind, script=script, line=line, traceback=trace)

    def _memory_error(self, script: str) -> ScriptLimitError:
        self._k.collect()
        return ScriptLimitError(
            f"memory limit: the script needed more than {self.limits.max_memory} bytes "
            "(raise max_memory / --max-memory)",
            kind="memory",
            script=script,
        )

    def _script_error(self, script: str, value: Any, tb: Any) -> ScriptError:
        error = self._values.from_lua(value) if not isinstance(value, bytes) else value
        if isinstance(error, bytes):
            error = error.decode(errors="replace")
        text = error if isinstance(error, str) else f"error object: {error!r}"
        trace = tb.decode(errors="replace") if isinstance(tb, bytes) else ""
        if text == "not enough memory":
            return self._memory_error(script)
        message, line = self._split(script, text)
        if "stack overflow" in message:
            return ScriptLimitError(
                f"recursion limit: {message}",
                kind="recursion",
                script=script,
                line=line,
                traceback=trace,
            )
        exc = ScriptError(message, script=script, line=line, traceback=trace)
        for host_message, cause in self._host_errors.items():
            if host_message in text:
                exc.__cause__ = cause
                break
        return exc

    @staticmethod
    def _split(script: str, problem: Any) -> tuple[str, int | None]:
        text = problem.decode(errors="replace") if isinstance(problem, bytes) else str(problem)
        match = re.match(r"(.*?):(\d+): (.*)", text, re.DOTALL)
        if match and match.group(1) in (script, Path(script).name[-50:]):
            return match.group(3), int(match.group(2))
        return text, None

    def _close(self) -> None:
        self._env = None
        self._bridges.clear()
        self._k.collect()

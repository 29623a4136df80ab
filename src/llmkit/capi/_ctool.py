"""A tool whose body is a C callback: JSON arguments in, malloc'd JSON text out.

Guarantees:

- The callback runs on a worker thread of the runtime, never on the loop; the
  interpreter lock is released while it runs. Its answer comes back to the
  loop with one ``call_soon_threadsafe``; a callback whose run was cancelled
  before a worker took it never runs.
- Its answer is freed with ``free()`` exactly once, whatever it holds.
- The callbacks of one client run one at a time (its
  :class:`~llmkit.capi._runtime.Gate`), also across calls.
- NULL, text that is not UTF-8, not strict JSON (``NaN``, ``1e400``), or that
  spells a lone surrogate fail the run with ``ERR_TOOL``: nothing of it reaches
  the model. A callback that outlasts ``timeout`` fails it with
  ``ERR_TIMEOUT`` (the callback goes on on its worker thread, and its answer,
  when it comes, is freed and dropped).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
from typing import Any

from llmkit import _json
from llmkit.capi import _jsontext
from llmkit.capi._abi import Status
from llmkit.capi._errors import CallError
from llmkit.capi._runtime import Call, Gate, current_call
from llmkit.tools import SchemaTool
from llmkit.types import JSONDict

__all__ = ["CTool"]


class _Expired(Exception):
    """The tool's callback outlasted its timeout."""


def _expire(answer: asyncio.Future[Any]) -> None:
    _settle(answer, None, _Expired())


def _settle(answer: asyncio.Future[Any], value: Any, failure: BaseException | None) -> None:
    """Give ``answer`` its value or failure, unless it has one (or was cancelled) already."""
    if answer.done():
        return
    if failure is None:
        answer.set_result(value)
    else:
        answer.set_exception(failure)


class CTool:
    """A C tool callback with its userdata, as an llmkit tool (:meth:`tool`)."""

    def __init__(
        self,
        *,
        ffi: Any,
        lib: Any,
        name: str,
        fn: Any,
        userdata: Any,
        workers: concurrent.futures.Executor,
        timeout: float,
        gate: Gate,
    ) -> None:
        self.name = name
        self._ffi = ffi
        self._lib = lib
        self._fn = fn
        self._userdata = userdata
        self._workers = workers
        self._timeout = timeout
        self._gate = gate

    def tool(self, schema: JSONDict) -> SchemaTool:
        """The llmkit tool that calls the callback, its arguments described by ``schema``."""

        async def call(**arguments: Any) -> Any:
            return await self.call(arguments)

        description = schema.get("description")
        return SchemaTool(
            call,
            name=self.name,
            description=description if isinstance(description, str) else "",
            parameters=schema,
            errors="raise",
        )

    async def call(self, arguments: JSONDict) -> Any:
        """Run the callback with ``arguments`` on a worker thread; its answer as a JSON value."""
        data = _jsontext.utf8(
            _json.dumps(arguments),
            f"the model's arguments for tool {self.name!r}",
            status=Status.ERR_RUN,
        )
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Any] = loop.create_future()
        call = current_call.get()

        def job() -> None:
            try:
                value, failure = self._blocking(data, call), None
            except BaseException as exc:
                value, failure = None, exc
            # A closed loop raises RuntimeError: llmkit_shutdown ran, nobody waits for this.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, answer, value, failure)

        work = self._workers.submit(job)
        timer = loop.call_later(self._timeout, _expire, answer)
        try:
            return await answer
        except _Expired:
            raise CallError(
                Status.ERR_TIMEOUT,
                f"tool {self.name!r} took longer than the client's tool_timeout "
                f"({self._timeout:g} s): make the callback faster or raise tool_timeout",
            ) from None
        finally:
            timer.cancel()
            work.cancel()  # a callback not started yet never starts; a running one goes on

    def _blocking(self, data: bytes, call: Call | None) -> Any:
        ffi = self._ffi
        with self._gate.callback(call):
            answer = self._fn(ffi.new("char[]", data), self._userdata)
        if answer == ffi.NULL:
            raise CallError(
                Status.ERR_TOOL,
                f"tool {self.name!r} returned NULL: return JSON text from malloc(), "
                'such as strdup("144") or strdup("\\"sunny\\"")',
            )
        try:
            raw = bytes(ffi.string(answer))
        finally:
            self._lib.free(answer)
        return _jsontext.read(
            raw,
            f"the answer of tool {self.name!r}",
            expect='JSON from malloc(), such as strdup("144"), or strdup("\\"sunny\\"") for a string',
            verb="return",
            status=Status.ERR_TOOL,
        )

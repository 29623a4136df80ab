"""The functions libllmkit.so exports: C arguments in, a status out, nothing Python crosses the ABI.

Guarantees:

- Every export catches everything: a failure is a status and a message
  (:func:`~llmkit.capi._errors.status_for`), kept for ``llmkit_last_error`` on
  the calling thread and, when the call names a live client, on the client.
- C arguments are checked before anything runs: NULL pointers
  (``ERR_ARGUMENT``), text that is not UTF-8 or spells a lone surrogate
  (``ERR_UTF8``), text that is not strict JSON (``ERR_JSON``: ``NaN`` and
  ``1e400`` are refused, see :mod:`llmkit.capi._jsontext`), handles that are
  freed or foreign (``ERR_HANDLE``, read as numbers, never dereferenced).
- Strings handed out are allocated with ``malloc`` and tracked by address, so
  ``llmkit_free`` of a pointer llmkit did not hand out, or of one freed whose
  address llmkit has not handed out again since, frees nothing and says so.
  (A second free of an address handed out again frees the new string: only
  the address reaches llmkit.) Text that UTF-8 cannot carry is ``ERR_UTF8``.
- ``llmkit_json_get`` / ``llmkit_json_text`` read one value of any JSON text
  by JSON Pointer (:mod:`llmkit.capi._pointer`), so C needs no JSON parser.
- ``llmkit_stream`` calls the event callback on the calling thread, one event
  at a time, in order; the calling thread holds no lock of llmkit while it
  waits for the next event. A client's callbacks, of every call, run one at a
  time (its :class:`~llmkit.capi._runtime.Gate`).
- ``llmkit_shutdown`` frees the clients that exist when it starts, not one
  made while it runs; the C side learns whether llmkit runs
  (``llmkit_set_running``), for its fork gate.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from typing import Any

from llmkit import _envelope
from llmkit.capi import _jsontext, _runtime
from llmkit.capi._abi import Status
from llmkit.capi._client import Client, check_keys
from llmkit.capi._ctool import CTool
from llmkit.capi._errors import CallError, status_for
from llmkit.capi._handles import Handles
from llmkit.capi._pointer import resolve
from llmkit.capi._runtime import Runtime, in_callback

__all__ = ["Exports", "install"]

_DEFAULT_TOOL_THREADS = 32
_INIT_OPTIONS = ("tool_threads",)
_DONE = object()
_JSON_NAMES = {list: "an array", str: "a string", int: "a number", float: "a number"}
_JSON_NAMES.update({bool: "a boolean", type(None): "null"})


def install(ffi: Any, lib: Any) -> None:
    """Define the Python twin of every function of ``EXPORTS`` (``ffi.def_extern``) on one :class:`Exports`."""
    from llmkit.capi._abi import EXPORTS, twin

    # The host program gets every failure as a status and a message; without a handler,
    # Python's last-resort one would print llmkit's warnings (tracebacks) on its stderr.
    logging.getLogger("llmkit").addHandler(logging.NullHandler())
    exports = Exports(ffi, lib)
    for name in EXPORTS:
        ffi.def_extern(name=twin(name))(getattr(exports, name))


class Exports:
    """The state behind the exports: the runtime, the client handles, the strings handed out."""

    def __init__(self, ffi: Any, lib: Any) -> None:
        self._ffi = ffi
        self._lib = lib
        self._clients: Handles[Client] = Handles()
        self._runtime: Runtime | None = None
        self._lock = threading.Lock()
        self._given: set[int] = set()
        self._given_lock = threading.Lock()
        self._local = threading.local()
        self._empty = ffi.new("char[]", b"")
        self._bad_handle = ffi.new(
            "char[]",
            b"not a live llmkit client: it was freed, or never came from llmkit_client_new",
        )

    # ------------------------------------------------------------------ plumbing

    def _fail(self, where: str, exc: BaseException, client: Client | None = None) -> int:
        status, message = status_for(exc)
        text = self._ffi.new("char[]", f"{where}: {message}".encode("utf-8", "replace"))
        self._local.error = text
        if client is not None:
            client.errors.append(text)
        return int(status)

    def _runtime_now(self) -> Runtime:
        with self._lock:
            if self._runtime is None:
                self._start(_DEFAULT_TOOL_THREADS)
            assert self._runtime is not None
            return self._runtime

    def _start(self, threads: int) -> None:
        """Start the runtime (``self._lock`` held)."""
        self._runtime = Runtime(tool_threads=threads)
        self._lib.llmkit_set_running(1)

    def _bytes(self, pointer: Any, what: str) -> bytes:
        if pointer == self._ffi.NULL:
            raise CallError(
                Status.ERR_ARGUMENT, f"{what} is NULL: pass a NUL-terminated UTF-8 string"
            )
        return bytes(self._ffi.string(pointer))

    def _text(self, pointer: Any, what: str) -> str:
        return _jsontext.decode(self._bytes(pointer, what), what)

    def _object(self, pointer: Any, what: str, *, optional: bool = False) -> dict[str, Any]:
        if optional and pointer == self._ffi.NULL:
            return {}
        value = _jsontext.read(self._bytes(pointer, what), what, expect="a JSON object")
        if not isinstance(value, dict):
            raise CallError(
                Status.ERR_ARGUMENT,
                f"{what} is a JSON object ({{...}}), not {_JSON_NAMES.get(type(value), 'that')}",
            )
        return value

    def _client(self, pointer: Any) -> Client:
        if pointer == self._ffi.NULL:
            raise CallError(
                Status.ERR_ARGUMENT, "client is NULL: pass a client from llmkit_client_new"
            )
        found = self._clients.get(int(self._ffi.cast("uintptr_t", pointer)))
        if found is None:
            raise CallError(Status.ERR_HANDLE, self._ffi.string(self._bad_handle).decode())
        return found

    def _hand_out(self, data: bytes) -> Any:
        """``data`` in memory from ``malloc``, tracked for ``llmkit_free``."""
        memory = self._lib.malloc(len(data) + 1)
        if memory == self._ffi.NULL:
            raise MemoryError(f"malloc of {len(data) + 1} bytes failed")
        text = self._ffi.cast("char *", memory)
        self._ffi.memmove(text, data, len(data))
        text[len(data)] = b"\0"
        with self._given_lock:
            self._given.add(int(self._ffi.cast("uintptr_t", text)))
        return text

    # ------------------------------------------------------------------- exports

    def llmkit_init(self, options_json: Any) -> int:
        """``llmkit_init``."""
        try:
            options = self._object(options_json, "options_json", optional=True)
            check_keys(options, _INIT_OPTIONS, "options_json")
            threads = options.get("tool_threads", _DEFAULT_TOOL_THREADS)
            if isinstance(threads, bool) or not isinstance(threads, int) or not 0 < threads <= 1024:
                raise CallError(
                    Status.ERR_ARGUMENT, f"tool_threads is a count from 1 to 1024, not {threads!r}"
                )
            with self._lock:
                if self._runtime is None:
                    self._start(threads)
                elif "tool_threads" in options and self._runtime.tool_threads != threads:
                    raise CallError(
                        Status.ERR_STATE,
                        f"llmkit is started already with tool_threads={self._runtime.tool_threads}: "
                        "call llmkit_init before anything else, or llmkit_shutdown first",
                    )
            return int(Status.OK)
        except BaseException as exc:
            return self._fail("llmkit_init", exc)

    def llmkit_shutdown(self) -> int:
        """``llmkit_shutdown``."""
        try:
            if in_callback():
                raise CallError(Status.ERR_STATE, "llmkit_shutdown cannot run inside a callback")
            with self._lock:
                # Together: a client made after this line has the next runtime, and stays.
                runtime, self._runtime = self._runtime, None
                handles = self._clients.handles()
            for handle in handles:
                client = self._clients.pop(handle)
                if client is not None:
                    client.close("shutdown")
            if runtime is not None:
                runtime.stop()
            with self._lock:
                if self._runtime is None:
                    self._lib.llmkit_set_running(0)
            return int(Status.OK)
        except BaseException as exc:
            return self._fail("llmkit_shutdown", exc)

    def llmkit_client_new(self, options_json: Any) -> Any:
        """``llmkit_client_new``."""
        try:
            options = self._object(options_json, "options_json")
            runtime = self._runtime_now()
            client = Client(options, runtime=runtime)
            with self._lock:
                handle = self._clients.add(client) if self._runtime is runtime else None
            if handle is None:
                client.close("shutdown")
                raise CallError(
                    Status.ERR_STATE,
                    "llmkit_shutdown ran while this client was made: make it again",
                )
            return self._ffi.cast("llmkit_client *", handle)
        except BaseException as exc:
            self._fail("llmkit_client_new", exc)
            return self._ffi.NULL

    def llmkit_client_free(self, client: Any) -> None:
        """``llmkit_client_free``."""
        try:
            if client == self._ffi.NULL:
                return
            found = self._clients.pop(int(self._ffi.cast("uintptr_t", client)))
            if found is None:
                raise CallError(
                    Status.ERR_HANDLE,
                    "not a live llmkit client (freed already, or never made): nothing was freed",
                )
            found.close()
        except BaseException as exc:
            self._fail("llmkit_client_free", exc)

    def llmkit_tool_register(
        self, client: Any, name: Any, schema_json: Any, fn: Any, userdata: Any
    ) -> int:
        """``llmkit_tool_register``."""
        found: Client | None = None
        try:
            found = self._client(client)
            tool_name = self._text(name, "name")
            Client.check_tool_name(tool_name)
            schema = self._object(schema_json, "schema_json")
            if fn == self._ffi.NULL:
                raise CallError(Status.ERR_ARGUMENT, "fn is NULL: pass the tool's callback")
            made = CTool(
                ffi=self._ffi,
                lib=self._lib,
                name=tool_name,
                fn=fn,
                userdata=userdata,
                workers=found.runtime.workers,
                timeout=found.tool_timeout,
                gate=found.gate,
            )
            found.add_tool(tool_name, made.tool(schema))
            return int(Status.OK)
        except BaseException as exc:
            return self._fail("llmkit_tool_register", exc, found)

    def llmkit_run(self, client: Any, request_json: Any, out_json: Any) -> int:
        """``llmkit_run``."""
        found: Client | None = None
        try:
            if out_json == self._ffi.NULL:
                raise CallError(
                    Status.ERR_ARGUMENT, "out_json is NULL: pass the address of a char * to fill"
                )
            out_json[0] = self._ffi.NULL
            found = self._client(client)
            plan = found.plan(self._object(request_json, "request_json"))
            call = found.begin()
            try:
                result = found.runtime.wait(call, found.run(plan))
            finally:
                found.end(call)
            out_json[0] = self._hand_out(_jsontext.dump(_envelope.dump(result), "the run's result"))
            return int(Status.OK)
        except BaseException as exc:
            return self._fail("llmkit_run", exc, found)

    def llmkit_stream(self, client: Any, request_json: Any, fn: Any, userdata: Any) -> int:
        """``llmkit_stream``."""
        found: Client | None = None
        try:
            found = self._client(client)
            if fn == self._ffi.NULL:
                raise CallError(Status.ERR_ARGUMENT, "fn is NULL: pass the event callback")
            plan = found.plan(self._object(request_json, "request_json"))
            call = found.begin()
            try:
                self._stream(found, call, found.stream(plan), fn, userdata)
            finally:
                found.end(call)
            return int(Status.OK)
        except BaseException as exc:
            return self._fail("llmkit_stream", exc, found)

    def _stream(
        self, client: Client, call: _runtime.Call, events: Any, fn: Any, userdata: Any
    ) -> None:
        inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()

        async def pump() -> None:
            async for event in events:
                inbox.put(event)

        runtime = client.runtime
        future = runtime.submit(call, pump(), then=lambda: inbox.put(_DONE))
        stopped = False
        try:
            while (event := inbox.get()) is not _DONE:
                if stopped:
                    continue
                text = _jsontext.dump(_envelope.dump(event), f"the event {event.topic}")
                data = self._ffi.new("char[]", text)
                with client.gate.callback(call):
                    answer = fn(data, userdata)
                if answer != 0:
                    stopped = True
                    call.cancel("stopped")
        except BaseException:
            # An event that cannot be written stops the run; its failure is the one reported.
            call.cancel("stopped")
            while inbox.get() is not _DONE:
                pass
            with contextlib.suppress(BaseException):
                runtime.finish(call, future)
            raise
        runtime.finish(call, future)
        if stopped:
            # The run may have reached its end before the cancellation did (events are read
            # behind it); the caller asked to stop, so the answer does not depend on that race.
            raise CallError(Status.ERR_CANCELLED, _runtime.STOPPED)

    def llmkit_cancel(self, client: Any) -> int:
        """``llmkit_cancel``."""
        found: Client | None = None
        try:
            found = self._client(client)
            found.cancel("cancelled")
            return int(Status.OK)
        except BaseException as exc:
            return self._fail("llmkit_cancel", exc, found)

    def llmkit_last_error(self, client: Any) -> Any:
        """``llmkit_last_error``."""
        try:
            if client == self._ffi.NULL:
                return getattr(self._local, "error", self._empty)
            found = self._clients.get(int(self._ffi.cast("uintptr_t", client)))
            if found is None:
                return self._bad_handle
            return found.errors[-1] if found.errors else self._empty
        except BaseException:
            return self._empty

    def llmkit_json_get(self, json_text: Any, pointer: Any, out_json: Any) -> int:
        """``llmkit_json_get``."""
        return self._json_value("llmkit_json_get", json_text, pointer, out_json, plain=False)

    def llmkit_json_text(self, json_text: Any, pointer: Any, out_text: Any) -> int:
        """``llmkit_json_text``."""
        return self._json_value("llmkit_json_text", json_text, pointer, out_text, plain=True)

    def _json_value(
        self, where: str, json_text: Any, pointer: Any, out: Any, *, plain: bool
    ) -> int:
        try:
            if out == self._ffi.NULL:
                raise CallError(
                    Status.ERR_ARGUMENT, "the out pointer is NULL: pass the address of a char *"
                )
            out[0] = self._ffi.NULL
            # A lone surrogate is refused only where a value holding one is handed out.
            raw = self._bytes(json_text, "json")
            document = _jsontext.read(raw, "json", expect="JSON text", surrogates=False)
            path = self._text(pointer, "pointer")
            value = resolve(document, path)
            what = f"the value at {path!r}"
            if plain and isinstance(value, str):
                out[0] = self._hand_out(_jsontext.c_string(value, what))
            else:
                out[0] = self._hand_out(_jsontext.dump(value, what))
            return int(Status.OK)
        except BaseException as exc:
            return self._fail(where, exc)

    def llmkit_free(self, pointer: Any) -> None:
        """``llmkit_free``."""
        try:
            if pointer == self._ffi.NULL:
                return
            address = int(self._ffi.cast("uintptr_t", pointer))
            with self._given_lock:
                ours = address in self._given
                self._given.discard(address)
            if not ours:
                raise CallError(
                    Status.ERR_ARGUMENT,
                    "not a string llmkit handed out, or one freed already: nothing was freed",
                )
            self._lib.free(pointer)
        except BaseException as exc:
            self._fail("llmkit_free", exc)

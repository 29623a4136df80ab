"""JSON-RPC 2.0 over stdio: the run service's operations for a program in any language.

::

    llmkit rpc app.py:agent                  # reads requests on stdin, answers on stdout

    -> {"jsonrpc": "2.0", "id": 1, "method": "stream", "params": {"input": "Where is order 42?"}}
    <- {"jsonrpc": "2.0", "method": "run.event", "params": {"request": 1, "run": "run_…", "id": 1, "event": {"topic": "run.start", …}}}
    <- …
    <- {"jsonrpc": "2.0", "id": 1, "result": {"id": "run_…", "status": "complete", "output": "…", …}}

The framing is in :mod:`llmkit.serve._rpc_framing` (one JSON message per
line), the methods in :mod:`llmkit.serve._rpc_methods` (each one call of
:class:`~llmkit.serve.RunService`), the error codes in
:mod:`llmkit.serve._rpc_protocol`. What always holds:

- stdout carries only protocol messages, one per line: while the server
  runs, file descriptor 1 points at stderr, so a ``print`` in a tool (or a
  library writing to it) lands on stderr, as do the logs;
- every request with an id gets exactly one response; a notification
  (no id) gets none, not even an error; a batch (an array) gets one array
  of the responses its requests earn (none when all are notifications);
- requests are handled concurrently, so a ``cancel`` reaches a run another
  request waits for; responses may come in any order (match them by id), and
  a request's ``run.event`` notifications all come before its response;
- a line that is not JSON, not a request, or longer than the limit is
  answered with an error (id null when it has none) and the server goes on
  with the next line;
- when stdin ends, the requests in progress are answered, then the runs
  still going are cancelled and the server returns; a client that stopped
  reading does not stop the server (what it no longer reads is dropped).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from llmkit._json import dumps
from llmkit._jsondata import loads
from llmkit.serve._rpc_framing import MAX_LINE, TOO_LONG, LineFramer, frame
from llmkit.serve._rpc_methods import METHODS, Call
from llmkit.serve._rpc_protocol import (
    INTERNAL_ERROR,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    RequestId,
    RpcError,
    error_for,
    error_response,
    notification,
    read_request,
    result_response,
)
from llmkit.serve._service import RunService

__all__ = ["RpcServer"]

Write = Callable[[bytes], None]
Read = Callable[[], Awaitable[bytes]]

_CHUNK = 65536


class RpcServer:
    """Answers JSON-RPC 2.0 requests with the operations of a :class:`RunService`.

    ``tenant`` is whom the runs and sessions belong to (one client per
    server); ``max_line`` bounds the bytes of one message.
    """

    def __init__(
        self, service: RunService, *, tenant: str = "rpc", max_line: int = MAX_LINE
    ) -> None:
        self.service = service
        self.tenant = tenant
        self.max_line = max_line
        self._write: Write | None = None

    # ------------------------------------------------------------------ one message

    async def handle(self, line: bytes, write: Write) -> None:
        """Answer one line (a message or a batch) through ``write``, notifications first."""
        if line == TOO_LONG:
            error = RpcError(INVALID_REQUEST, f"A message is at most {self.max_line} bytes.")
            self._send(write, error_response(None, error))
            return
        try:
            message = loads(line.decode("utf-8"))
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            error = RpcError(PARSE_ERROR, f"The line is not JSON: {exc}.")
            self._send(write, error_response(None, error))
            return
        if not isinstance(message, list):
            response = await self._answer(message, write)
            if response is not None:
                self._send(write, response)
            return
        if not message:
            error = RpcError(INVALID_REQUEST, "A batch holds at least one request.")
            self._send(write, error_response(None, error))
            return
        answers = await asyncio.gather(*(self._answer(item, write) for item in message))
        responses = [answer for answer in answers if answer is not None]
        if responses:
            self._send(write, responses)

    async def _answer(self, message: object, write: Write) -> dict[str, Any] | None:
        request_id = _readable_id(message)
        try:
            request = read_request(message)
        except RpcError as error:
            return error_response(request_id, error)
        method = METHODS.get(request.method)
        try:
            if method is None:
                raise RpcError(
                    METHOD_NOT_FOUND,
                    f"No method {request.method!r}; the methods are: {', '.join(METHODS)}.",
                )
            method.check(request.method, request.params)

            def notify(name: str, params: dict[str, Any]) -> None:
                self._send(write, notification(name, params))

            call = Call(self.service, self.tenant, request.id, request.params, notify)
            result = await method.run(call)
        except Exception as exc:
            return None if request.notification else error_response(request.id, error_for(exc))
        if request.notification:
            return None
        return result_response(request.id, result)

    def _send(self, write: Write, message: Any) -> None:
        try:
            text = dumps(message)
        except (TypeError, ValueError) as exc:  # a value of the run that JSON cannot hold
            request_id = message.get("id") if isinstance(message, dict) else None
            error = RpcError(INTERNAL_ERROR, f"The answer cannot be written as JSON: {exc}.")
            text = dumps(error_response(request_id, error))
        write(frame(text))

    # ----------------------------------------------------------------- the stream

    async def serve(self, read: Read, write: Write) -> None:
        """Answer every message ``read`` gives (b"" at the end) until it ends; see the guarantees."""
        framer = LineFramer(max_line=self.max_line)
        pending: set[asyncio.Task[None]] = set()
        try:
            while True:
                data = await read()
                for line in framer.feed(data) if data else framer.end():
                    task = asyncio.ensure_future(self.handle(line, write))
                    pending.add(task)
                    task.add_done_callback(pending.discard)
                if not data:
                    break
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
        finally:
            for task in pending:
                task.cancel()
            await self.service.aclose()

    async def serve_stdio(self) -> None:
        """Serve this process's stdin and stdout until stdin ends (stdout pointed at stderr meanwhile)."""
        sys.stdout.flush()
        wire = os.dup(1)
        os.dup2(2, 1)  # anything else written to stdout now lands on stderr
        try:
            writer = _PipeWriter(wire)
            with contextlib.redirect_stdout(sys.stderr):  # a print reaches stderr at once
                await self.serve(_stdin_reader(), writer.write)
        finally:
            sys.stdout.flush()
            os.dup2(wire, 1)
            os.close(wire)


def _readable_id(message: object) -> RequestId:
    if isinstance(message, dict):
        found = message.get("id")
        if isinstance(found, str | int) and not isinstance(found, bool):
            return found
    return None


class _PipeWriter:
    """Writes whole messages to a file descriptor; once the reader has gone, drops them."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.gone = False

    def write(self, data: bytes) -> None:
        if self.gone:
            return
        view = memoryview(data)
        try:
            while view:
                written = os.write(self.fd, view)
                view = view[written:]
        except (BrokenPipeError, OSError):
            self.gone = True


def _stdin_reader() -> Read:
    """Chunks of stdin as they come (b"" at its end), read by a daemon thread.

    A thread reads, so stdin may be a pipe, a terminal or a file, and a read
    that never returns does not keep the process from exiting.
    """
    loop = asyncio.get_running_loop()
    chunks: asyncio.Queue[bytes] = asyncio.Queue()

    def pump() -> None:
        while True:
            try:
                data = os.read(0, _CHUNK)
            except OSError:
                data = b""
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody reads
                loop.call_soon_threadsafe(chunks.put_nowait, data)
            if not data:
                return

    threading.Thread(target=pump, name="llmkit rpc stdin", daemon=True).start()
    return chunks.get

"""One MCP session, owned by a background task, and the readable cause of a failed connection.

What always holds:

- a session is opened and closed by one owner task on the event loop that
  started it; callers on any task or loop only read its client;
- :meth:`Session.stop` ends a session from any thread at any stage: one that
  is still starting is cancelled (a server that never answers the handshake
  is not waited for), one that is open is closed gracefully;
- once the owner task has ended, the server process of a stdio session has
  exited and been reaped (see :mod:`.stdio`), and the HTTP client is closed;
- :func:`explain` names what went wrong (the process exited with its code and
  stderr, connection refused at an address, an HTTP status at a path) and
  never shows headers or environment values.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from llmkit.tools._mcp.http import HTTPInfo, HTTPServer, open_http
from llmkit.tools._mcp.stdio import ProcessInfo, StdioServer, open_stdio

__all__ = ["Server", "Session", "explain", "sentence"]

Server = StdioServer | HTTPServer

_RUNNING_GRACE = 2.0
"""Seconds a started stdio server may take to exit once its stdin closes."""


class Session:
    """One connected MCP client, kept open by its owner task until :meth:`stop`."""

    def __init__(self, loop: asyncio.AbstractEventLoop, server: Server) -> None:
        self.loop = loop
        self.server = server
        self.info: ProcessInfo | HTTPInfo = (
            ProcessInfo(server.env) if isinstance(server, StdioServer) else HTTPInfo()
        )
        self.client: Any = None
        self.ready: asyncio.Future[None] = loop.create_future()
        # A start that fails after every waiter gave up (a connect timeout) is not an error to log.
        self.ready.add_done_callback(lambda f: f.cancelled() or f.exception())
        self.dead = False
        self.task: asyncio.Task[None] | None = None
        self._closing = asyncio.Event()
        self._scope: Any = None

    def start(self, make_client: Callable[[Any], Any]) -> None:
        """Start the owner task (on the running loop, which must be :attr:`loop`)."""
        self.task = self.loop.create_task(self._own(make_client), name=f"mcp {self.server}")

    def _transport(self) -> Any:
        if isinstance(self.server, StdioServer):
            assert isinstance(self.info, ProcessInfo)
            return open_stdio(self.server, self.info)
        assert isinstance(self.info, HTTPInfo)
        return open_http(self.server, self.info)

    async def _own(self, make_client: Callable[[Any], Any]) -> None:
        import anyio

        try:
            with anyio.CancelScope() as self._scope:
                async with contextlib.AsyncExitStack() as stack:
                    self.client = await stack.enter_async_context(make_client(self._transport()))
                    if isinstance(self.info, ProcessInfo):
                        self.info.grace = _RUNNING_GRACE
                    self.ready.set_result(None)
                    await self._closing.wait()
            if not self.ready.done():
                self.ready.set_exception(ConnectionAbortedError("the connection was stopped"))
        except BaseException as exc:  # handed to whoever waits for the session
            if not self.ready.done():
                if isinstance(exc, asyncio.CancelledError):
                    self.ready.cancel()
                else:
                    self.ready.set_exception(exc)
            if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt | SystemExit):
                raise
        finally:
            self.dead = True

    def stop(self) -> None:
        """End the session from any thread: cancel it while it starts, close it once open."""
        self.dead = True

        def now() -> None:
            if self.ready.done() and not self.ready.cancelled() and self.ready.exception() is None:
                self._closing.set()
            elif self._scope is not None:
                self._scope.cancel()
            elif self.task is not None:
                self.task.cancel()  # not yet running its first step: nothing to clean up

        with contextlib.suppress(RuntimeError):  # its loop is closed: the session closed with it
            self.loop.call_soon_threadsafe(now)

    async def ended(self) -> None:
        """Wait, on any loop, until the owner task has finished (the server is stopped)."""
        task = self.task
        if task is None or self.loop.is_closed():
            return
        if self.loop is asyncio.get_running_loop():
            await asyncio.wait([task])
            return

        async def wait() -> None:
            await asyncio.wait([task])

        with contextlib.suppress(RuntimeError):
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(wait(), self.loop))

    def usable_from(self, loop: asyncio.AbstractEventLoop) -> bool:
        """Whether a call on ``loop`` may use this session."""
        return not self.dead and (self.loop is loop or not self.loop.is_closed())


def _leaves(exc: BaseException, depth: int = 0) -> list[BaseException]:
    """``exc``, the members of its groups, and what caused each (outermost first)."""
    if depth > 20:
        return []
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner, depth + 1)]
    found = [exc]
    # A suppressed context still tells the cause (httpx hides the refused connection there).
    cause = exc.__cause__ if exc.__cause__ is not None else exc.__context__
    if cause is not None and not isinstance(cause, asyncio.CancelledError):
        found.extend(_leaves(cause, depth + 1))
    return found


def explain(exc: BaseException, server: Server, info: ProcessInfo | HTTPInfo) -> str:
    """What went wrong, in words, for ``exc`` raised while connecting or talking to ``server``."""
    leaves = _leaves(exc)
    if isinstance(server, StdioServer) and isinstance(info, ProcessInfo):
        if info.pid is None:
            for leaf in leaves:
                if isinstance(leaf, FileNotFoundError):
                    return f"the command {server.command!r} was not found"
                if isinstance(leaf, OSError):
                    return f"the command could not be started ({leaf.strerror or leaf})"
        exited = info.exit_text()
        if exited is not None:
            return exited
    elif isinstance(server, HTTPServer) and isinstance(info, HTTPInfo):
        import httpx2

        if any(isinstance(leaf, ConnectionRefusedError) for leaf in leaves):
            return f"connection refused at {_address(server)}"
        for leaf in leaves:
            if isinstance(leaf, httpx2.TimeoutException):
                return f"no answer from {_address(server)} in time ({type(leaf).__name__})"
            if isinstance(leaf, httpx2.ConnectError):
                text = str(leaf)
                return f"cannot connect to {_address(server)}: {text or type(leaf).__name__}"
        if info.status is not None:
            hint = {
                404: " (is the path of the URL right?)",
                401: " (check the credentials sent in headers)",
                403: " (check the credentials sent in headers)",
            }.get(info.status, "")
            return f"HTTP {info.status} at {info.path or '/'}{hint}"
    return _say(leaves[0] if leaves else exc)


def _address(server: HTTPServer) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(server.url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"


def _say(exc: BaseException) -> str:
    """``Type: message`` of an exception (an MCP error's own message)."""
    text = str(getattr(exc, "message", "") or exc).rstrip(".")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def sentence(start: str, why: str) -> str:
    """``start: why.``, without a full stop after a quoted block of lines."""
    return f"{start}: {why}" + ("" if "\n" in why else ".")

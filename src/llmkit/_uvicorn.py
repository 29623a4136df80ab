"""Serving an ASGI app under uvicorn on a socket bound first: in a background thread or in the foreground.

The one way llmkit runs a uvicorn server: :class:`llmkit.serve.Server`
(``llmkit serve``, ``llmkit ui``), the MCP server's streamable HTTP
(``llmkit mcp serve``) and the fake provider server (``llmkit.testing``,
``python -m llmkit.testing``) all drive a :class:`UvicornServer`, each with
its own :class:`UvicornOptions` (log settings, lifespan, timeouts) and name.
What always holds:

- the socket is bound and listening before uvicorn starts, so ``port=0``
  picks a free port, the address is known at once, and early clients wait in
  the backlog instead of failing; an address that cannot be bound is a
  :class:`~llmkit.errors.UsageError` naming it;
- access logs, the ``Server`` header and proxy headers are off: a request's
  headers, and so its token, are never logged;
- :meth:`UvicornServer.start` returns once uvicorn accepts requests (or raises
  :class:`~llmkit.errors.UsageError` saying why it did not start); the app gets
  an event loop of its own in a daemon thread, so sync code can call it;
  starting a running server does nothing;
- :meth:`UvicornServer.stop` asks uvicorn to exit, waits for the thread,
  cancels what is left on its loop and closes the socket; it is idempotent;
- :meth:`UvicornServer.run` serves in the foreground until SIGINT or SIGTERM
  (uvicorn's own signal handling); :meth:`UvicornServer.serve` does the same on
  the caller's event loop, and also ends when cancelled.

uvicorn is imported when a server is configured, never on import of this module.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypedDict, Unpack

from llmkit.errors import UsageError

if TYPE_CHECKING:
    import uvicorn

__all__ = ["UvicornOptions", "UvicornServer", "bind"]

_START_TIMEOUT = 10.0
_BACKLOG = 2048


class UvicornOptions(TypedDict, total=False):
    """The uvicorn settings each server chooses (uvicorn's defaults otherwise)."""

    log_level: str
    """uvicorn's log level (``"warning"`` …)."""
    log_config: dict[str, Any] | None
    """uvicorn's logging configuration; None leaves logging as the process set it up."""
    lifespan: Literal["auto", "on", "off"]
    """Whether the app's lifespan events run."""
    timeout_keep_alive: int
    """Seconds an idle keep-alive connection stays open."""
    timeout_graceful_shutdown: int
    """Seconds requests in flight get to finish once the server is asked to stop."""


def bind(host: str, port: int) -> socket.socket:
    """A non-blocking TCP socket listening on ``host:port`` (IPv6 when ``host`` holds a colon).

    Raises :class:`~llmkit.errors.UsageError` when the address cannot be bound.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted sockets only when the
    # protocol is explicit, and without it Nagle's algorithm adds ~40 ms to each keep-alive reply.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError(
            f"Cannot listen on {host}:{port} ({exc.strerror}); pick another port (0: a free one)."
        ) from None
    sock.listen(_BACKLOG)
    sock.setblocking(False)
    return sock


class UvicornServer:
    """``app`` served by uvicorn on ``host:port``, in a thread (:meth:`start`) or in the foreground.

    ``name`` names the thread and the server in errors; ``options`` are the
    uvicorn settings this server chooses (see :class:`UvicornOptions`).
    """

    def __init__(
        self, app: Any, *, host: str, port: int, name: str, **options: Unpack[UvicornOptions]
    ) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.name = name
        self.options = options
        self._sock: socket.socket | None = None
        self._address: tuple[str, int] | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    @property
    def address(self) -> tuple[str, int] | None:
        """The ``(host, port)`` the socket is bound to while serving, else None."""
        return self._address

    @property
    def running(self) -> bool:
        """Whether a background thread is serving."""
        return self._thread is not None and self._thread.is_alive()

    def _config(self) -> uvicorn.Config:
        import uvicorn

        return uvicorn.Config(
            self.app,
            access_log=False,
            server_header=False,
            proxy_headers=False,
            backlog=_BACKLOG,
            **self.options,
        )

    def _bind(self) -> tuple[socket.socket, tuple[str, int]]:
        sock = self._sock = bind(self.host, self.port)
        host, port = sock.getsockname()[:2]
        address = self._address = (host, port)
        return sock, address

    def start(self) -> tuple[str, int]:
        """Serve in a background thread; returns the bound ``(host, port)`` once requests are accepted."""
        if self.running and self._address is not None:
            return self._address
        import uvicorn

        server = uvicorn.Server(self._config())
        sock, address = self._bind()
        self._failure = None
        thread = threading.Thread(
            target=self._serve, args=(server, sock), name=self.name, daemon=True
        )
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise UsageError(f"{self.name} did not start: {self._failure!r}")
            time.sleep(0.001)
        return address

    def _serve(self, server: uvicorn.Server, sock: socket.socket) -> None:
        factory = server.config.get_loop_factory()
        loop = factory() if factory is not None else asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.serve(sockets=[sock]))
        except BaseException as exc:
            self._failure = exc
        finally:
            with contextlib.suppress(Exception):
                for task in asyncio.all_tasks(loop):
                    task.cancel()
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            sock.close()

    def stop(self) -> None:
        """Stop serving and wait for the thread to end (idempotent)."""
        server, thread, sock = self._server, self._thread, self._sock
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout=_START_TIMEOUT)
        if sock is not None:
            sock.close()
        self._server = self._thread = self._sock = None
        self._address = None

    def run(self, *, ready: Callable[[tuple[str, int]], Any] | None = None) -> None:
        """Serve in the foreground until interrupted; ``ready((host, port))`` once the socket listens."""
        import uvicorn

        server = uvicorn.Server(self._config())
        sock, address = self._bind()
        try:
            if ready is not None:
                ready(address)
            server.run(sockets=[sock])
        finally:
            sock.close()
            self._sock = self._address = None

    async def serve(self, *, ready: Callable[[tuple[str, int]], Any] | None = None) -> None:
        """Serve on the running event loop until interrupted or cancelled.

        ``ready((host, port))`` is called once the socket listens.
        """
        import uvicorn

        server = uvicorn.Server(self._config())
        sock, address = self._bind()
        try:
            if ready is not None:
                ready(address)
            await server.serve(sockets=[sock])
        finally:
            sock.close()
            self._sock = self._address = None

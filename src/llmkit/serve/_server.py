"""Running an app under uvicorn: in the foreground (``llmkit serve``) or in a background thread.

:class:`Server` binds its socket before uvicorn starts (so ``port=0`` picks a
free port and the URL is known at once), on 127.0.0.1 unless told otherwise.
Access logs are off: a request's headers, and so its token, are never logged.
In a thread, the app gets an event loop of its own, so sync code (a script, a
test, the OpenAI client) can call it.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from llmkit._optional import require
from llmkit.errors import UsageError

if TYPE_CHECKING:
    import uvicorn

__all__ = ["Server"]

_START_TIMEOUT = 10.0


class Server:
    """``app`` served by uvicorn on ``http://host:port`` (``port=0``: a free one)."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0) -> None:
        require("uvicorn", extra="serve", feature="Serving agents over HTTP")
        self.app = app
        self.host = host
        self.port = port
        self._sock: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    @property
    def url(self) -> str:
        """``http://host:port`` once the socket is bound."""
        if self._sock is None:
            raise UsageError("The server is not running: use 'with Server(app):' or start().")
        host, port = self._sock.getsockname()[:2]
        return f"http://{host}:{port}"

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise UsageError(
                f"Cannot listen on {self.host}:{self.port} ({exc.strerror}); pick another --port."
            ) from None
        sock.listen(2048)
        sock.setblocking(False)
        self._sock = sock
        return sock

    def _config(self) -> uvicorn.Config:
        import uvicorn

        return uvicorn.Config(
            self.app,
            access_log=False,
            server_header=False,
            proxy_headers=False,
            timeout_keep_alive=5,
            timeout_graceful_shutdown=5,
            backlog=2048,
            log_level="warning",
        )

    def run(self, *, ready: Callable[[str], Any] | None = None) -> None:
        """Serve in the foreground until interrupted; ``ready(url)`` once the socket listens."""
        import uvicorn

        sock = self._bind()
        if ready is not None:
            ready(self.url)
        try:
            uvicorn.Server(self._config()).run(sockets=[sock])
        finally:
            sock.close()
            self._sock = None

    def start(self) -> Server:
        """Serve in a background thread; returns once requests are accepted."""
        import uvicorn

        sock = self._bind()
        server = self._server = uvicorn.Server(self._config())
        thread = self._thread = threading.Thread(
            target=self._serve, args=(server, sock), name="llmkit-serve", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise UsageError(f"The server did not start: {self._failure!r}")
            time.sleep(0.001)
        return self

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
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def stop(self) -> None:
        """Stop serving and wait for the thread (idempotent)."""
        server, thread, sock = self._server, self._thread, self._sock
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout=_START_TIMEOUT)
        if sock is not None:
            sock.close()
        self._server = self._thread = self._sock = None

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self._sock is not None else "not running"
        return f"<Server {where}>"

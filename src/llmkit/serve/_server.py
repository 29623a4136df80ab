"""Running an app under uvicorn: in the foreground (``llmkit serve``) or in a background thread.

:class:`Server` binds its socket before uvicorn starts (so ``port=0`` picks a
free port and the URL is known at once), on 127.0.0.1 unless told otherwise.
Access logs are off: a request's headers, and so its token, are never logged.
In a thread, the app gets an event loop of its own, so sync code (a script, a
test, the OpenAI client) can call it. It is a :class:`llmkit._uvicorn.UvicornServer`
with the serve settings: warnings logged, the app's lifespan run when it has
one, idle connections closed after 5 s, 5 s for requests in flight at shutdown.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

from llmkit._optional import require
from llmkit._uvicorn import UvicornServer
from llmkit.errors import UsageError

__all__ = ["Server"]


class Server:
    """``app`` served by uvicorn on ``http://host:port`` (``port=0``: a free one)."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0) -> None:
        require("uvicorn", extra="serve", feature="Serving agents over HTTP")
        self.app = app
        self.host = host
        self.port = port
        self._uvicorn = UvicornServer(
            app,
            host=host,
            port=port,
            name="llmkit-serve",
            log_level="warning",
            timeout_keep_alive=5,
            timeout_graceful_shutdown=5,
        )

    @property
    def url(self) -> str:
        """``http://host:port`` once the socket is bound."""
        address = self._uvicorn.address
        if address is None:
            raise UsageError("The server is not running: use 'with Server(app):' or start().")
        return _url(address)

    def run(self, *, ready: Callable[[str], Any] | None = None) -> None:
        """Serve in the foreground until interrupted; ``ready(url)`` once the socket listens."""
        self._uvicorn.run(ready=None if ready is None else lambda address: ready(_url(address)))

    def start(self) -> Server:
        """Serve in a background thread; returns once requests are accepted."""
        self._uvicorn.start()
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread (idempotent)."""
        self._uvicorn.stop()

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
        where = self.url if self._uvicorn.address is not None else "not running"
        return f"<Server {where}>"


def _url(address: tuple[str, int]) -> str:
    host, port = address
    if ":" in host:  # an IPv6 address goes in brackets in a URL
        host = f"[{host}]"
    return f"http://{host}:{port}"

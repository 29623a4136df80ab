"""An MCP server over streamable HTTP, and what its answers said about the session.

The SDK turns an HTTP error into a JSON-RPC error without the status; a
response hook on llmkit's HTTP client keeps the facts a message and a
reconnection need (:class:`HTTPInfo`):

- the last error status and the path it came from;
- whether the server has forgotten the session: a 404 to a request that
  carried a session id (what the MCP specification says), or a 400 whose
  body speaks of the session (what the reference servers answer after a
  restart).

The headers (often keys) never reach a message: only the URL's scheme, host,
port and path are shown.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

__all__ = ["HTTPInfo", "HTTPServer", "open_http"]

_SESSION_HEADER = "mcp-session-id"


@dataclass(frozen=True, slots=True)
class HTTPServer:
    """A server at ``url``; ``headers`` go with every request (never shown)."""

    url: str
    headers: Mapping[str, str] = field(repr=False)

    def __str__(self) -> str:
        return shown_url(self.url)


def shown_url(url: str) -> str:
    """``url`` without user info, query or fragment (they may hold keys)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


class HTTPInfo:
    """What the server's HTTP answers said, for messages and for starting a new session."""

    def __init__(self) -> None:
        self.status: int | None = None
        """The last error status (400 or more) the server answered."""
        self.path = ""
        """The path of the request that got it."""
        self.session_gone = False
        """The server answered a request with a session id as if it did not know the session."""

    async def see(self, response: Any) -> None:
        """Response hook of the HTTP client."""
        status = int(response.status_code)
        if status < 400:
            return
        self.status = status
        self.path = str(response.request.url.path)
        if _SESSION_HEADER not in response.request.headers:
            return
        if status == 404:
            self.session_gone = True
        elif status == 400:
            with contextlib.suppress(Exception):  # a body that cannot be read says nothing
                body = await response.aread()
                if b"session" in body.lower():
                    self.session_gone = True


@contextlib.asynccontextmanager
async def open_http(server: HTTPServer, info: HTTPInfo) -> AsyncIterator[tuple[Any, Any]]:
    """The SDK's streamable HTTP transport on a client that reports to ``info``."""
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    client = create_mcp_http_client(headers=dict(server.headers))
    client.event_hooks = {"request": [], "response": [info.see]}
    async with client, streamable_http_client(server.url, http_client=client) as streams:
        yield streams

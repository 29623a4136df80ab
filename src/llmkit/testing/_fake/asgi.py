"""Protocol-neutral HTTP pieces of the fake server: responses that stream, break or vanish.

Faults need what ordinary responses never do: closing the TCP connection
part-way (or before any byte). ASGI has no message for that, so the outermost
layer, :class:`ConnectionAccess`, keeps uvicorn's per-request cycle in the
scope, and :func:`drop_connection` closes its transport.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = [
    "ConnectionAccess",
    "ConnectionDropped",
    "DropResponse",
    "EventStreamResponse",
    "drop_connection",
    "html_response",
    "json_response",
    "wait_unless_gone",
]

_CYCLE = "llmkit.connection"
_HTML = (
    b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    b"<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n"
)


class ConnectionDropped(Exception):
    """Raised to make the HTTP server close a connection when its transport is out of reach."""


class ConnectionAccess:
    """Outermost ASGI layer: remembers the connection of each request so faults can drop it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            # uvicorn's send is a method of the request's cycle, which owns the transport.
            scope[_CYCLE] = getattr(send, "__self__", None)
        await self.app(scope, receive, send)


async def drop_connection(scope: Scope) -> None:
    """Close the client's connection now, without finishing (or starting) the response."""
    cycle = scope.get(_CYCLE)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise ConnectionDropped
    transport.close()
    # Once uvicorn has seen the connection go it does not complain about the unfinished response.
    for _ in range(400):
        if getattr(cycle, "disconnected", True):
            return
        await asyncio.sleep(0.005)


class DropResponse(Response):
    """Closes the connection without sending anything."""

    def __init__(self) -> None:
        self.status_code = 0
        self.background = None
        self.raw_headers = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await drop_connection(scope)


class EventStreamResponse(Response):
    """A ``text/event-stream`` answer sent event by event (chunked), optionally cut short.

    With ``drop_after`` set, only that many events are sent (with
    ``mid_event``, then half of the next one) before the connection is
    dropped without the closing chunk.
    """

    media_type = "text/event-stream"

    def __init__(
        self,
        events: list[bytes],
        headers: Mapping[str, str],
        *,
        drop_after: int | None = None,
        mid_event: bool = False,
    ) -> None:
        self.status_code = 200
        self.background = None
        self.events = events
        self.drop_after = drop_after
        self.mid_event = mid_event
        self.init_headers({**headers, "cache-control": "no-cache"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        events = self.events
        cut = self.drop_after
        for event in events if cut is None else events[:cut]:
            await send({"type": "http.response.body", "body": event, "more_body": True})
        if cut is None:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        if self.mid_event and cut < len(events):
            half = events[cut][: max(1, len(events[cut]) // 2)]
            await send({"type": "http.response.body", "body": half, "more_body": True})
        await drop_connection(scope)


async def wait_unless_gone(seconds: float, receive: Receive) -> bool:
    """Wait ``seconds``; return True early if the client disconnects meanwhile.

    Call it only once the request body has been read: the next message the
    server can deliver is then the disconnect.
    """
    watcher = asyncio.ensure_future(receive())
    try:
        done, _ = await asyncio.wait({watcher}, timeout=seconds)
    finally:
        watcher.cancel()
    return bool(done) and watcher.result().get("type") == "http.disconnect"


def html_response(status: int, headers: Mapping[str, str]) -> Response:
    """An HTML error page such as a proxy in front of the API would send."""
    return Response(_HTML, status, dict(headers), "text/html")


def json_response(status: int, body: bytes, headers: Mapping[str, Any]) -> Response:
    """A JSON answer with ``body`` already encoded."""
    return Response(body, status, headers, "application/json")

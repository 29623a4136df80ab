"""The UI's ASGI app: the page under ``/ui/``, its small JSON API, and the serve app for the rest.

Routing, in order:

- ``/`` and ``/ui`` redirect to ``/ui/``;
- ``/ui/api/...``: the UI's own read-only JSON API (what is served, the recordings
  folder), behind the same bearer tokens as the serve app, and counted by the
  same rate limit (one bucket per token for both);
- ``/ui/<file>``: the page's static files (no token: they hold no data);
- ``/favicon.ico``: 204, no content (a browser asks for it without a token);
- anything else goes to the serve app (``llmkit.serve.app_for``), whose routes,
  token rules, limits and lifespan apply unchanged. Without one (``llmkit ui
  --recordings DIR`` alone) the rest answers 404.

The serve layer knows nothing of this module: the UI wraps the serve app, as
middleware would, and the page reaches agents only through ``/v1``.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from llmkit.serve._http import error_body
from llmkit.ui._asgi import send_bytes, send_json
from llmkit.ui._assets import Assets
from llmkit.ui._recordings import Folder, UnreadableFile, redacted_json

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

    from llmkit.serve import RateLimit, Tokens

__all__ = ["UIApp"]


class UIApp:
    """The page, its JSON API and (when given) the serve app, as one ASGI app."""

    def __init__(
        self,
        *,
        serve: ASGIApp | None,
        tokens: Tokens,
        targets: list[dict[str, Any]],
        folder: Folder | None,
        rate_limit: RateLimit | None = None,
    ) -> None:
        self.serve = serve
        self.rate_limit = rate_limit
        self.tokens = tokens
        self.targets = targets
        self.folder = folder
        self.assets = Assets()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if path in ("/", "/ui"):
                await send_bytes(
                    send,
                    b"",
                    status=307,
                    content_type="text/plain",
                    headers=((b"location", b"/ui/"),),
                )
                return
            if path == "/favicon.ico":
                await send_bytes(send, b"", status=204, content_type="image/x-icon")
                return
            if path.startswith("/ui/api/"):
                await self._api(scope, path[len("/ui/api/") :], send)
                return
            if path.startswith("/ui/"):
                if scope["method"] not in ("GET", "HEAD"):
                    await _refuse(send, 405, f"{scope['method']} is not allowed on {path}.")
                    return
                await self.assets.answer(path[len("/ui/") :], send)
                return
        if self.serve is not None:
            await self.serve(scope, receive, send)
        elif scope["type"] == "lifespan":
            await _lifespan(receive, send)
        else:
            await _refuse(send, 404, f"No route {scope.get('path', '')}; the UI is at /ui/.")

    async def _api(self, scope: Scope, route: str, send: Send) -> None:
        headers = dict(scope["headers"])
        auth = headers.get(b"authorization", b"").decode("latin-1")
        tenant = self.tokens.tenant(auth)
        if tenant is None:
            await _refuse(
                send,
                401,
                "A valid bearer token is required: send 'Authorization: Bearer <token>' with a "
                "token the server was given.",
                code="invalid_api_key",
            )
            return
        limit = self.rate_limit
        if limit is not None and (wait := limit.check(tenant)) > 0:
            await _refuse(
                send,
                429,
                f"Too many requests for this token (at most {limit.requests} per "
                f"{limit.per:g} s); retry after the time in Retry-After.",
                code="rate_limit_exceeded",
                headers=((b"retry-after", limit.retry_after(wait).encode("ascii")),),
            )
            return
        if scope["method"] != "GET":
            await _refuse(
                send, 405, f"The UI's API is read-only: {scope['method']} is not allowed."
            )
            return
        if route == "info":
            await self._send(send, self._info())
            return
        if route == "recordings" or route.startswith("recordings/"):
            await self._recordings(route[len("recordings/") :], send)
            return
        await _refuse(send, 404, f"No UI API route {route!r}; see /ui/api/info.", code="not_found")

    def _info(self) -> dict[str, Any]:
        return {
            "object": "ui",
            "targets": self.targets,
            "recordings": self.folder is not None,
        }

    async def _recordings(self, name: str, send: Send) -> None:
        folder = self.folder
        if folder is None:
            await _refuse(
                send,
                404,
                "This server browses no recordings: start it with --recordings DIR.",
                code="not_found",
            )
            return
        if not name:
            await self._send(send, await asyncio.to_thread(folder.listing), threaded=True)
            return
        try:
            data = await asyncio.to_thread(folder.open, name)
        except UnreadableFile as exc:
            body = error_body(422, str(exc), code="unreadable_file")
            await send_bytes(send, redacted_json(body), status=422, content_type="application/json")
            return
        if data is None:
            await _refuse(send, 404, f"No recording or report named {name!r} in the folder.")
            return
        await self._send(send, data, threaded=True)

    async def _send(self, send: Send, data: Any, *, threaded: bool = False) -> None:
        # A recording's JSON can be large: encoding and redacting it runs in a worker thread.
        body = await asyncio.to_thread(redacted_json, data) if threaded else redacted_json(data)
        await send_bytes(send, body, content_type="application/json")


async def _refuse(
    send: Send,
    status: int,
    message: str,
    *,
    code: str | None = None,
    headers: tuple[tuple[bytes, bytes], ...] = (),
) -> None:
    codes = {401: "invalid_api_key", 404: "not_found", 405: "method_not_allowed"}
    code = code or codes.get(status, "invalid_request")
    if status == 401:
        headers = ((b"www-authenticate", b"Bearer"),)
    await send_json(send, error_body(status, message, code=code), status=status, headers=headers)


async def _lifespan(receive: Receive, send: Send) -> None:
    """Answer the server's lifespan messages when there is no serve app to do it."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return

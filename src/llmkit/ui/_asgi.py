"""The few raw ASGI answers the UI sends: bytes with headers, JSON, errors in the server's shape.

Every answer carries the page's security headers: a content security policy that
allows scripts, styles and connections from the page's own origin only (no
inline script, no eval, no other host), ``nosniff``, no referrer, no framing.
So even markup that slipped past the page's escaping could not run a script.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llmkit._json import body_bytes

if TYPE_CHECKING:
    from starlette.types import Send

__all__ = ["SECURITY_HEADERS", "send_bytes", "send_json"]

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (
        b"content-security-policy",
        b"default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        b"img-src 'self' data: blob: https:; base-uri 'none'; form-action 'none'; "
        b"frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
)


async def send_bytes(
    send: Send,
    body: bytes,
    *,
    status: int = 200,
    content_type: str,
    headers: tuple[tuple[bytes, bytes], ...] = (),
) -> None:
    """One whole answer: ``status``, ``body`` of ``content_type``, the security headers."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type.encode("latin-1")),
                (b"content-length", str(len(body)).encode("ascii")),
                *SECURITY_HEADERS,
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def send_json(
    send: Send,
    data: Any,
    *,
    status: int = 200,
    headers: tuple[tuple[bytes, bytes], ...] = (),
) -> None:
    """``data`` as a JSON answer."""
    await send_bytes(
        send, body_bytes(data), status=status, content_type="application/json", headers=headers
    )

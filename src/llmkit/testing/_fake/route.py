"""The one preamble of every route of the fake server, and its answer to a broken setup.

Every protocol's route reads the body, parses it as JSON and records the
request before it checks anything (:func:`receive`), so a test sees even the
requests the server refused. A problem in the test's own setup (a script that
ran out, a script function that raised) or a bug here is kept on the server's
``errors`` and answered 500 in the protocol's error form (:func:`server_failure`
gives the message).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llmkit.errors import UsageError
from llmkit.testing._fake.asgi import json_response
from llmkit.testing._fake.state import RecordedRequest, ServerState, parse_body, record_request

if TYPE_CHECKING:
    from starlette.requests import Request as HTTPRequest
    from starlette.responses import Response as HTTPResponse
    from starlette.types import Receive

__all__ = ["Incoming", "answer", "receive", "server_failure"]


@dataclass(slots=True)
class Incoming:
    """One request as read: its id, the body as received and parsed, its recorded entry."""

    request_id: str
    """The id the answer carries (empty for protocols that send none)."""
    raw: bytes
    """The body exactly as received."""
    body: Any
    """The body parsed as JSON, or :data:`~llmkit.testing._fake.state.NOT_JSON`."""
    entry: RecordedRequest | None
    """Where the answer's status is recorded (None when the server does not record)."""
    receive: Receive
    """The ASGI receive channel, to notice a client that leaves while a slow fault waits."""


async def receive(state: ServerState, request: HTTPRequest, request_id: str = "") -> Incoming:
    """Read, parse and record ``request``."""
    raw = await request.body()
    body = parse_body(raw)
    entry = record_request(state, request, raw, body)
    return Incoming(request_id, raw, body, entry, request.receive)


def server_failure(state: ServerState, exc: BaseException) -> str:
    """Keep ``exc`` on ``state.errors`` and return the message of the 500 answer."""
    state.errors.append(exc)
    return str(exc) if isinstance(exc, UsageError) else f"The fake server failed: {exc!r}"


def answer(
    entry: RecordedRequest | None, status: int, body: bytes, headers: Mapping[str, Any]
) -> HTTPResponse:
    """A JSON answer with ``body`` already encoded, its status recorded on ``entry``."""
    if entry is not None:
        entry.status = status
    return json_response(status, body, headers)

"""HTTP pieces the app shares: OpenAI-shaped errors, bounded JSON bodies, server-sent events.

Every error the server answers has OpenAI's shape, ``{"error": {"message",
"type", "param", "code"}}``, and never a traceback: an unexpected exception is
logged on the server and answered with a generic 500. Bodies are read in
chunks and refused with 413 once they pass the limit, before they are parsed.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from llmkit._json import body_bytes, loads_body
from llmkit.errors import UsageError
from llmkit.serve._errors import ServeError, TooManyRunsError

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

__all__ = ["ApiError", "error_body", "error_response", "json_response", "read_json", "sse"]

logger = logging.getLogger("llmkit.serve")

_TYPES = {
    401: "authentication_error",
    403: "permission_error",
    404: "invalid_request_error",
    409: "invalid_request_error",
    413: "invalid_request_error",
    429: "rate_limit_error",
}


class ApiError(Exception):
    """An answer with an error status: OpenAI's error body, and headers such as ``Retry-After``."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.headers = headers or {}

    @classmethod
    def of(cls, exc: UsageError) -> ApiError:
        """The answer to a refused request: a :class:`ServeError`'s status, else 400."""
        if isinstance(exc, TooManyRunsError):
            wait = str(max(1, round(exc.retry_after)))
            return cls(429, str(exc), code=exc.code, headers={"Retry-After": wait})
        if isinstance(exc, ServeError):
            return cls(exc.status, str(exc), code=exc.code)
        return cls(400, str(exc))


def error_body(status: int, message: str, *, code: str | None = None) -> dict[str, Any]:
    """OpenAI's error object for ``status``."""
    kind = _TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """``data`` as a JSON answer (written by orjson)."""
    from starlette.responses import Response

    return Response(body_bytes(data), status, headers=headers, media_type="application/json")


def error_response(error: ApiError) -> Response:
    """The JSON answer of ``error``; the OpenAI client does not retry it unless it may help."""
    headers = dict(error.headers)
    if error.status != 429:
        headers.setdefault("x-should-retry", "false")
    body = error_body(error.status, error.message, code=error.code)
    body["error"]["param"] = error.param
    return json_response(body, error.status, headers)


async def read_json(request: Request, limit: int) -> Any:
    """The request's JSON body, read up to ``limit`` bytes (413 past it, 400 when not JSON)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data.strip():
        raise ApiError(400, "The request needs a JSON body.")
    try:
        return loads_body(data)
    except ValueError:
        raise ApiError(400, "The request body is not valid JSON; send a JSON object.") from None


def _too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        f"The request body is larger than this server accepts ({limit} bytes).",
        code="request_too_large",
    )


def sse(data: Any, *, event_id: int | None = None, event: str | None = None) -> bytes:
    """One server-sent event: optional ``id:`` and ``event:`` lines, the JSON ``data:`` line."""
    head = b""
    if event_id is not None:
        head += b"id: %d\n" % event_id
    if event is not None:
        head += b"event: " + event.encode("utf-8") + b"\n"
    payload = data if isinstance(data, bytes) else body_bytes(data)
    return head + b"data: " + payload + b"\n\n"

"""JSON-RPC 2.0 messages: reading a request, writing a response, and the error codes.

The codes are JSON-RPC's own for a broken message, and server errors in the
range JSON-RPC reserves (-32000 to -32099) for what the run service refuses:

=======  ====================  ==================================================
code     ``data.type``         meaning
=======  ====================  ==================================================
-32700   ``parse_error``       the line is not JSON (or not UTF-8)
-32600   ``invalid_request``   not a JSON-RPC 2.0 request object; an empty batch;
                               a line longer than the limit
-32601   ``method_not_found``  no such method (the message lists them)
-32602   ``invalid_params``    params missing, unknown, of the wrong type, or a
                               value the service refuses (a bad session id …)
-32603   ``internal_error``    the server failed; its log (stderr) has the
                               traceback, the client gets only the type
-32001   ``model_not_found``   no served agent or workflow has that name
-32002   ``run_not_found``     no run with that id
-32003   ``session_not_found`` no session with that id
-32004   ``run_state``         the run's state does not allow it (approve a run
                               that is not paused, cancel a finished one)
-32005   ``too_many_runs``     the limit of concurrent runs is reached;
                               ``data.retry_after`` says when to try again
=======  ====================  ==================================================

Every error's ``data`` has ``type``; a message never holds a traceback or a secret.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

from llmkit._redact import redact
from llmkit.errors import UsageError
from llmkit.serve._errors import (
    RunStateError,
    ServeError,
    TooManyRunsError,
    UnknownRunError,
    UnknownSessionError,
    UnknownTargetError,
)

__all__ = [
    "INTERNAL_ERROR",
    "INVALID_PARAMS",
    "INVALID_REQUEST",
    "METHOD_NOT_FOUND",
    "PARSE_ERROR",
    "Request",
    "RequestId",
    "RpcError",
    "error_for",
    "error_response",
    "notification",
    "read_request",
    "result_response",
]

PARSE_ERROR: Final = -32700
INVALID_REQUEST: Final = -32600
METHOD_NOT_FOUND: Final = -32601
INVALID_PARAMS: Final = -32602
INTERNAL_ERROR: Final = -32603

_SERVICE_CODES: dict[type[ServeError], int] = {
    UnknownTargetError: -32001,
    UnknownRunError: -32002,
    UnknownSessionError: -32003,
    RunStateError: -32004,
    TooManyRunsError: -32005,
}

# The service words a few refusals for its HTTP clients; a JSON-RPC client reads these instead.
_RPC_WORDING: dict[type[ServeError], str] = {
    UnknownRunError: "No run with that id here; start one with the run or stream method.",
}

_TYPES: dict[int, str] = {
    PARSE_ERROR: "parse_error",
    INVALID_REQUEST: "invalid_request",
    METHOD_NOT_FOUND: "method_not_found",
    INVALID_PARAMS: "invalid_params",
    INTERNAL_ERROR: "internal_error",
}

RequestId: TypeAlias = "str | int | None"
"""A request's id: a string, an integer, or None (null, in an error about an unreadable request)."""

_log = logging.getLogger("llmkit")


class RpcError(Exception):
    """A JSON-RPC error to answer: ``code``, ``message`` and ``data`` (whose ``type`` names it)."""

    def __init__(self, code: int, message: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = {"type": _TYPES.get(code, "server_error"), **(data or {})}


@dataclass(frozen=True, slots=True)
class Request:
    """One JSON-RPC request or notification, its envelope checked."""

    method: str
    params: dict[str, Any]
    id: RequestId
    notification: bool
    """No ``id``: nothing is answered, not even an error."""


def read_request(message: object) -> Request:
    """``message`` (one decoded JSON value of a batch or a line) as a :class:`Request`.

    Raises :class:`RpcError` -32600 for what is not a JSON-RPC 2.0 request and
    -32602 for params given by position.
    """
    if not isinstance(message, dict):
        raise RpcError(
            INVALID_REQUEST,
            'A request is a JSON object: {"jsonrpc": "2.0", "id": 1, "method": "...", '
            '"params": {...}}.',
        )
    request_id = message.get("id")
    if request_id is not None and (isinstance(request_id, bool) or not _is_id(request_id)):
        raise RpcError(INVALID_REQUEST, "A request id is a string or an integer.")
    if message.get("jsonrpc") != "2.0":
        raise RpcError(INVALID_REQUEST, 'A request says "jsonrpc": "2.0".', _id_data(request_id))
    method = message.get("method")
    if not isinstance(method, str) or not method:
        raise RpcError(
            INVALID_REQUEST, "A request names its method as a string.", _id_data(request_id)
        )
    params = message.get("params", {})
    if isinstance(params, list):
        raise RpcError(
            INVALID_PARAMS,
            f"{method}: pass params by name, as an object (positional params are not taken).",
        )
    if not isinstance(params, dict):
        raise RpcError(INVALID_PARAMS, f"{method}: params is an object of named values.")
    return Request(method, params, request_id, notification="id" not in message)


def _is_id(value: object) -> bool:
    return isinstance(value, str | int)


def _id_data(request_id: object) -> dict[str, Any] | None:
    return None if request_id is None else {"id": request_id}


def error_for(exc: BaseException) -> RpcError:
    """The JSON-RPC error a failure of a method answers (see the table in the module docstring)."""
    if isinstance(exc, RpcError):
        return exc
    if isinstance(exc, ServeError):
        for kind, code in _SERVICE_CODES.items():
            if isinstance(exc, kind):
                data: dict[str, Any] = {"type": exc.code, "status": exc.status}
                if isinstance(exc, TooManyRunsError):
                    data["retry_after"] = exc.retry_after
                message = _RPC_WORDING.get(kind) or redact(str(exc))
                return RpcError(code, message, data)
        return RpcError(INVALID_PARAMS, redact(str(exc)), {"status": exc.status})
    if isinstance(exc, UsageError):
        return RpcError(INVALID_PARAMS, redact(str(exc)), {"error": type(exc).__name__})
    _log.error("A JSON-RPC method failed", exc_info=exc)
    return RpcError(
        INTERNAL_ERROR,
        f"The server failed with {type(exc).__name__}; its log (stderr) has the details.",
        {"error": type(exc).__name__},
    )


def result_response(request_id: RequestId, result: Any) -> dict[str, Any]:
    """A success response."""
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


def error_response(request_id: RequestId, error: RpcError) -> dict[str, Any]:
    """An error response (``id`` null when the request could not be read)."""
    body = {"code": error.code, "message": error.message, "data": error.data}
    return {"jsonrpc": "2.0", "id": request_id, "error": body}


def notification(method: str, params: dict[str, Any]) -> dict[str, Any]:
    """A notification from the server (no id, nothing answers it)."""
    return {"jsonrpc": "2.0", "method": method, "params": params}

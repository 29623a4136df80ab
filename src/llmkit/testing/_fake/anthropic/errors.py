"""Anthropic error answers: the ``{"type": "error", ...}`` body and the constructors rules share.

The wording follows the real API (``WIRE.md``): validation failures read
``"<path>: <problem>"`` in the style of the API's own messages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from llmkit.errors import ContextLengthError, ProviderError
from llmkit.testing._fault import Fault, status_for
from llmkit.types import Response

__all__ = [
    "AnthropicWireError",
    "check_auth",
    "check_version",
    "error_for_exception",
    "error_for_fault",
    "extra_input",
    "invalid",
    "model_not_found",
    "not_json",
    "required",
    "should_retry",
    "stream_error",
    "wrong_type",
]

KNOWN_VERSIONS = ("2023-01-01", "2023-06-01", "2026-10-21")
"""The ``anthropic-version`` values the API accepts."""


def should_retry(status: int) -> bool:
    """What the API's ``x-should-retry`` header says for ``status``."""
    return status in (408, 409, 429) or status >= 500


@dataclass(slots=True)
class AnthropicWireError:
    """An Anthropic error answer: status, error type and message, extra headers."""

    status: int
    message: str
    type: str = "invalid_request_error"
    headers: dict[str, str] = field(default_factory=dict)

    def body(self, request_id: str) -> bytes:
        """The JSON body ``{"type": "error", "error": {"type", "message"}, "request_id"}``."""
        error = {"type": self.type, "message": self.message}
        return json.dumps({"type": "error", "error": error, "request_id": request_id}).encode()

    def event(self) -> bytes:
        """The same error as a server-sent ``error`` event, as sent part-way through a stream."""
        data = json.dumps({"type": "error", "error": {"type": self.type, "message": self.message}})
        return f"event: error\ndata: {data}\n\n".encode()


def invalid(message: str) -> AnthropicWireError:
    """A 400 ``invalid_request_error``."""
    return AnthropicWireError(400, message)


def required(path: str) -> AnthropicWireError:
    """400: the field at ``path`` is missing."""
    return invalid(f"{path}: Field required")


def extra_input(path: str) -> AnthropicWireError:
    """400: a field the API does not know."""
    return invalid(f"{path}: Extra inputs are not permitted")


_TYPE_NAMES = {
    "str": "a valid string",
    "int": "a valid integer",
    "number": "a valid number",
    "bool": "a valid boolean",
    "list": "a valid list",
    "dict": "a valid dictionary",
}


def wrong_type(path: str, expected: str) -> AnthropicWireError:
    """400: the value at ``path`` is not of the ``expected`` kind (str, int, number, bool …)."""
    return invalid(f"{path}: Input should be {_TYPE_NAMES.get(expected, expected)}")


def not_json(reason: str) -> AnthropicWireError:
    """The answer to a body that is not JSON."""
    return invalid(f"The request body is not valid JSON: {reason}")


def model_not_found(model: str) -> AnthropicWireError:
    """The answer to a model the server does not serve."""
    return AnthropicWireError(404, f"model: {model}", "not_found_error")


def check_auth(
    x_api_key: str | None, authorization: str | None, api_key: str | None
) -> AnthropicWireError | None:
    """401 unless a key came in ``x-api-key`` or as ``Authorization: Bearer`` (``x-api-key`` wins).

    With ``api_key`` set, only that key is accepted.
    """
    key = (x_api_key or "").strip()
    if not key:
        scheme, _, bearer = (authorization or "").partition(" ")
        key = bearer.strip() if scheme.lower() == "bearer" else ""
    if not key:
        return AnthropicWireError(401, "x-api-key header is required", "authentication_error")
    if api_key is not None and key != api_key:
        return AnthropicWireError(401, "invalid x-api-key", "authentication_error")
    return None


def check_version(version: str | None) -> AnthropicWireError | None:
    """400 unless ``anthropic-version`` is present and one the API knows."""
    if not version:
        return invalid("anthropic-version: header is required")
    if version not in KNOWN_VERSIONS:
        return invalid(f'anthropic-version: "{version}" is not a valid version')
    return None


# ------------------------------------------------------------ scripted errors

_DEFAULTS: dict[int, tuple[str, str]] = {
    400: (
        "invalid_request_error",
        "There was an issue with the format or content of your request.",
    ),
    401: ("authentication_error", "invalid x-api-key"),
    402: ("billing_error", "Your credit balance is too low to access the Anthropic API."),
    403: (
        "permission_error",
        "Your API key does not have permission to use the specified resource.",
    ),
    404: ("not_found_error", "The requested resource could not be found."),
    408: ("timeout_error", "Request timed out."),
    409: ("invalid_request_error", "A conflicting request is in progress."),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: ("rate_limit_error", "Number of requests has exceeded your per-minute rate limit."),
    500: ("api_error", "Internal server error"),
    503: ("overloaded_error", "Overloaded"),
    504: ("timeout_error", "Request timed out."),
    529: ("overloaded_error", "Overloaded"),
}
_CONTEXT = "prompt is too long: 200001 tokens > 200000 maximum"


def _defaults(status: int) -> tuple[str, str]:
    if status in _DEFAULTS:
        return _DEFAULTS[status]
    if status >= 500:
        return ("api_error", f"The server answered HTTP {status}.")
    return ("invalid_request_error", f"The request failed with HTTP {status}.")


def _headers(retry_after: float | None, ms: int | None = None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if retry_after is not None:
        headers["retry-after"] = f"{retry_after:g}"
    if ms is not None:
        headers["retry-after-ms"] = str(ms)
    return headers


def error_for_exception(exc: BaseException) -> AnthropicWireError:
    """The Anthropic error answer for a scripted exception (its own fields win over defaults)."""
    status = status_for(exc)
    kind, message = _defaults(status)
    if isinstance(exc, ContextLengthError):
        kind, message = "invalid_request_error", _CONTEXT
    if not isinstance(exc, ProviderError):
        return AnthropicWireError(status, message, kind, {})
    if not isinstance(exc, ContextLengthError):
        message = exc.provider_message or exc.message
    return AnthropicWireError(status, message, exc.error_type or kind, _headers(exc.retry_after))


def error_for_fault(fault: Fault) -> AnthropicWireError:
    """The Anthropic error answer for a ``status`` or ``context_length`` fault."""
    if fault.kind == "context_length":
        return AnthropicWireError(400, fault.message or _CONTEXT, "invalid_request_error", {})
    status = fault.http_status
    kind, message = _defaults(status)
    return AnthropicWireError(
        status,
        fault.message or message,
        fault.error_type or kind,
        _headers(fault.retry_after, fault.retry_after_ms),
    )


def stream_error(response: Response) -> AnthropicWireError | None:
    """The ``error`` event a scripted response with ``finish_reason="error"`` ends with.

    ``provider_data["anthropic"]["error"]`` may give its ``type`` and
    ``message``; the default is ``overloaded_error``, the usual mid-stream failure.
    """
    if response.finish_reason != "error":
        return None
    data = ((response.provider_data or {}).get("anthropic") or {}).get("error") or {}
    kind = str(data.get("type") or "overloaded_error")
    status = next((s for s, (k, _) in _DEFAULTS.items() if k == kind), 500)
    if kind == "overloaded_error":
        status = 529
    return AnthropicWireError(status, str(data.get("message") or _defaults(status)[1]), kind, {})

"""Gemini error answers: ``{"error": {"code", "message", "status", "details"}}``, their
constructors, and the answers for scripted exceptions and faults."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from llmkit.errors import ContextLengthError, ProviderError
from llmkit.testing._fault import Fault, retry_after_seconds, status_for

__all__ = [
    "STATUS_NAMES",
    "GeminiWireError",
    "bad",
    "check_key",
    "error_for_exception",
    "error_for_fault",
    "invalid_payload",
    "model_not_found",
    "not_json",
    "request_error",
]

STATUS_NAMES: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "NOT_IMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_TYPE = "type.googleapis.com/google.rpc."


@dataclass(slots=True)
class GeminiWireError:
    """A Gemini error answer: HTTP status, message, ``details`` and extra headers."""

    code: int
    message: str
    details: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    status: str | None = None
    """The RPC status name; derived from ``code`` when left out."""

    @property
    def status_name(self) -> str:
        """``INVALID_ARGUMENT``, ``NOT_FOUND`` … as the API names the status."""
        if self.status is not None:
            return self.status
        return STATUS_NAMES.get(self.code, "INTERNAL" if self.code >= 500 else "UNKNOWN")

    def error_object(self) -> dict[str, Any]:
        """The value of the body's ``error`` key."""
        error: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "status": self.status_name,
        }
        if self.details:
            error["details"] = self.details
        return error

    def body(self) -> bytes:
        """The JSON error body."""
        return json.dumps({"error": self.error_object()}, indent=2).encode()


def bad(message: str, details: list[dict[str, Any]] | None = None) -> GeminiWireError:
    """A 400 ``INVALID_ARGUMENT``."""
    return GeminiWireError(400, message, details or [])


def request_error(path: str, text: str, request: str = "GenerateContentRequest") -> GeminiWireError:
    """400 in the API's field-check form: ``* Request.path: text``."""
    where = f"{request}.{path}" if path else request
    return bad(
        f"* {where}: {text}\n",
        [
            {
                "@type": f"{_TYPE}BadRequest",
                "fieldViolations": [{"field": path, "description": text}],
            }
        ],
    )


def invalid_payload(path: str, message: str) -> GeminiWireError:
    """400 for a body the JSON mapping cannot read (unknown name, wrong value type)."""
    return bad(
        message,
        [
            {
                "@type": f"{_TYPE}BadRequest",
                "fieldViolations": [{"field": path, "description": message}],
            }
        ],
    )


def not_json(raw: bytes) -> GeminiWireError:
    """The answer to a body that is not a JSON object."""
    shown = raw[:40].decode("utf-8", "replace")
    return invalid_payload("", f"Invalid JSON payload received. Unexpected token.\n{shown}\n^")


def model_not_found(model: str, version: str, method: str) -> GeminiWireError:
    """404 for a model that does not exist or does not serve ``method``."""
    return GeminiWireError(
        404,
        f"models/{model} is not found for API version {version}, or is not supported for "
        f"{method}. Call ListModels to see the list of available models and their supported "
        "methods.",
    )


def check_key(
    header: str | None, query_key: str | None, api_key: str | None
) -> GeminiWireError | None:
    """403 without a key (header or ``?key=``); 400 ``API_KEY_INVALID`` for a wrong one."""
    key = header or query_key
    if not key:
        return GeminiWireError(
            403,
            "Method doesn't allow unregistered callers (callers without established identity). "
            "Please use API Key or other form of API consumer identity to call this API.",
        )
    if api_key is not None and key != api_key:
        return bad(
            "API key not valid. Please pass a valid API key.",
            [
                {
                    "@type": f"{_TYPE}ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                    "metadata": {"service": "generativelanguage.googleapis.com"},
                },
                {
                    "@type": f"{_TYPE}LocalizedMessage",
                    "locale": "en-US",
                    "message": "API key not valid. Please pass a valid API key.",
                },
            ],
        )
    return None


# ------------------------------------------------------------ scripted errors

_DEFAULTS = {
    400: "Request contains an invalid argument.",
    401: "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential.",
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    429: "Resource has been exhausted (e.g. check quota).",
    500: "An internal error has occurred. Please retry or report in "
    "https://developers.generativeai.google/guide/troubleshooting",
    503: "The model is overloaded. Please try again later.",
    504: "Deadline expired before operation could complete.",
}
_CONTEXT = "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576)."


def _retry_details(seconds: float | None) -> list[dict[str, Any]]:
    if seconds is None:
        return []
    return [{"@type": f"{_TYPE}RetryInfo", "retryDelay": f"{seconds:g}s"}]


def _reason_details(reason: str | None) -> list[dict[str, Any]]:
    if not reason:
        return []
    return [{"@type": f"{_TYPE}ErrorInfo", "reason": reason, "domain": "googleapis.com"}]


def _default_message(status: int) -> str:
    if status in _DEFAULTS:
        return _DEFAULTS[status]
    return _DEFAULTS[500] if status >= 500 else f"The request failed with HTTP {status}."


def error_for_exception(exc: BaseException) -> GeminiWireError:
    """The Gemini error answer for a scripted exception (its own fields win over defaults)."""
    status = status_for(exc)
    if isinstance(exc, ContextLengthError) and not exc.provider_message:
        return GeminiWireError(400, _CONTEXT)
    if not isinstance(exc, ProviderError):
        return GeminiWireError(status, _default_message(status))
    details = _reason_details(exc.code) + _retry_details(exc.retry_after)
    return GeminiWireError(
        status,
        exc.provider_message or _default_message(status),
        details,
        status=exc.error_type,
    )


def error_for_fault(fault: Fault) -> GeminiWireError:
    """The Gemini error answer for a ``status`` or ``context_length`` fault.

    ``error_type`` overrides the status name, ``code_str`` becomes the
    ``ErrorInfo`` reason, a retry wait becomes a ``RetryInfo`` detail.
    """
    if fault.kind == "context_length":
        return GeminiWireError(400, fault.message or _CONTEXT)
    status = fault.http_status
    details = _reason_details(fault.error_code) + _retry_details(retry_after_seconds(fault))
    return GeminiWireError(
        status, fault.message or _default_message(status), details, status=fault.error_type
    )

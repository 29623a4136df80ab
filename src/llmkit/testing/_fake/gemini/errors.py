"""Gemini error answers: ``{"error": {"code", "message", "status", "details"}}`` and their constructors."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "STATUS_NAMES",
    "GeminiError",
    "bad",
    "check_key",
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
class GeminiError:
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


def bad(message: str, details: list[dict[str, Any]] | None = None) -> GeminiError:
    """A 400 ``INVALID_ARGUMENT``."""
    return GeminiError(400, message, details or [])


def request_error(path: str, text: str, request: str = "GenerateContentRequest") -> GeminiError:
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


def invalid_payload(path: str, message: str) -> GeminiError:
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


def not_json(raw: bytes) -> GeminiError:
    """The answer to a body that is not a JSON object."""
    shown = raw[:40].decode("utf-8", "replace")
    return invalid_payload("", f"Invalid JSON payload received. Unexpected token.\n{shown}\n^")


def model_not_found(model: str, version: str, method: str) -> GeminiError:
    """404 for a model that does not exist or does not serve ``method``."""
    return GeminiError(
        404,
        f"models/{model} is not found for API version {version}, or is not supported for "
        f"{method}. Call ListModels to see the list of available models and their supported "
        "methods.",
    )


def check_key(header: str | None, query_key: str | None, api_key: str | None) -> GeminiError | None:
    """403 without a key (header or ``?key=``); 400 ``API_KEY_INVALID`` for a wrong one."""
    key = header or query_key
    if not key:
        return GeminiError(
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

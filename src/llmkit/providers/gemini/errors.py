"""Gemini error bodies (``{"error": {"code", "message", "status", "details"}}``), read onto the error tree.

Pure, no I/O. :class:`GeminiErrors` reads the body of a failed call for the
transport; :func:`error_from_body` turns an error object inside a 200 answer
or a stream into the :class:`~llmkit.errors.ProviderError` to raise.
``details`` carry what the message does not: a ``google.rpc.ErrorInfo``
reason (``API_KEY_INVALID``) and a ``google.rpc.RetryInfo`` delay (Gemini
sends no ``Retry-After`` header on 429).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from llmkit._json import dumps
from llmkit.errors import (
    AuthenticationError,
    ContextLengthError,
    ProviderError,
    error_for_status,
)
from llmkit.http import ErrorInfo
from llmkit.types import JSONDict

__all__ = ["GeminiErrors", "error_from_body", "retry_delay_in_body"]

_PROVIDER = "gemini"
_KEY_HINT = (
    "Check the API key: set GEMINI_API_KEY (or GOOGLE_API_KEY) or pass api_key=... to "
    "llmkit.model()."
)
_CONTEXT_WORDS = (
    "exceeds the maximum number of tokens",
    "input token count",
    "context length",
    "context window",
    "too many tokens",
)


def _details(error: JSONDict) -> list[JSONDict]:
    details = error.get("details")
    return [d for d in details if isinstance(d, dict)] if isinstance(details, list) else []


def _reason(error: JSONDict) -> str | None:
    for detail in _details(error):
        if str(detail.get("@type", "")).endswith("google.rpc.ErrorInfo"):
            reason = detail.get("reason")
            if isinstance(reason, str):
                return reason
    return None


def _read(status: int, body: bytes) -> tuple[ErrorInfo, JSONDict]:
    try:
        data = json.loads(body) if body else None
    except ValueError:
        data = None
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        text = body[:300].decode("utf-8", "replace").strip()
        return ErrorInfo(text or f"HTTP {status} with an empty body"), {}
    kind = error.get("status")
    kind = kind if isinstance(kind, str) else None
    message = error.get("message")
    info = ErrorInfo(
        message if isinstance(message, str) and message else kind or f"HTTP {status}",
        kind,
        _reason(error) or kind,
    )
    return info, error


def _refine(info: ErrorInfo, status: int, model_id: str, api_version: str) -> None:
    text = info.message.lower()
    if info.code == "API_KEY_INVALID" or "api key not valid" in text or status == 401:
        info.error_class = AuthenticationError
        info.hint = _KEY_HINT
    elif status == 403 and "unregistered callers" in text:
        info.hint = "No API key reached Gemini. " + _KEY_HINT
    elif any(words in text for words in _CONTEXT_WORDS):
        info.error_class = ContextLengthError
        info.hint = "Shorten the conversation or pick a model with a larger context window."
    elif status == 404 and "models/" in text:
        info.hint = (
            f"Check the model name {model_id!r} (llmkit.model('gemini/<model>')) and the API "
            f"version ({api_version}; pass api_version= to change it)."
        )


@dataclass(frozen=True, slots=True)
class GeminiErrors:
    """How one Gemini model's error bodies are read: the class, the hint and the wait.

    A model passes ``GeminiErrors(...).read`` to its
    :class:`~llmkit.http.Endpoint` as the ``error_parser``.
    """

    model_id: str
    """The model id, named in the hint of a 404 about the model."""
    api_version: str
    """The API version (``"v1beta"`` …), named in the same hint."""

    def read(self, status: int, body: bytes) -> ErrorInfo:
        """What the error body of a call answered with HTTP ``status`` says.

        A bad key becomes an :class:`~llmkit.errors.AuthenticationError` and a
        prompt over the context window a :class:`~llmkit.errors.ContextLengthError`;
        the wait a 429 asks for comes from the body's ``RetryInfo``.
        """
        info, _ = _read(status, body)
        _refine(info, status, self.model_id, self.api_version)
        # Gemini sends no Retry-After header on 429: the wait is a RetryInfo detail of the body.
        info.retry_after = retry_delay_in_body(body)
        return info


def retry_delay_in_body(body: bytes) -> float | None:
    """Seconds from a ``google.rpc.RetryInfo`` detail (``"retryDelay": "12.5s"``), if any."""
    try:
        data = json.loads(body) if body else None
    except ValueError:
        return None
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return None
    for detail in _details(error):
        if str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            delay = detail.get("retryDelay")
            if isinstance(delay, str) and delay.endswith("s"):
                try:
                    return max(0.0, float(delay[:-1]))
                except ValueError:
                    return None
    return None


def error_from_body(error: Any, request_id: str | None) -> ProviderError:
    """The error for an error object inside a 200 answer or a stream."""
    body = dumps({"error": error}).encode()
    code = error.get("code") if isinstance(error, dict) else None
    status = code if isinstance(code, int) and 400 <= code < 600 else None
    info, _ = _read(status or 0, body)
    _refine(info, status or 0, "", "")
    cls = info.error_class or (error_for_status(status) if status else ProviderError)
    return cls(
        f"gemini reported an error: {info.message}",
        status=status,
        provider=_PROVIDER,
        error_type=info.error_type,
        code=info.code,
        provider_message=info.message,
        request_id=request_id,
        body=body.decode()[:4000],
        retryable=None if status else False,
        retry_after=retry_delay_in_body(body),
    )

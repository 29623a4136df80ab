"""Anthropic error bodies (``{"type": "error", "error": {"type", "message"}}``), read onto llmkit's error tree.

Pure, no I/O. :class:`AnthropicErrors` reads the body of a failed call for the
transport; :func:`error_from_body` turns an ``error`` object (a stream's
``error`` event, or a body) into the :class:`~llmkit.errors.ProviderError` to
raise, its class picked by the error ``type``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from llmkit._json import dumps
from llmkit.errors import (
    AuthenticationError,
    BadRequestError,
    ContextLengthError,
    NotFoundError,
    OverloadedError,
    PermissionDeniedError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitError,
    ServerError,
)
from llmkit.http import ErrorInfo, parse_error_body
from llmkit.types import JSONDict

__all__ = ["AnthropicErrors", "error_from_body"]

_ERROR_TYPES: dict[str, type[ProviderError]] = {
    "invalid_request_error": BadRequestError,
    "authentication_error": AuthenticationError,
    "permission_error": PermissionDeniedError,
    "not_found_error": NotFoundError,
    "request_too_large": BadRequestError,
    "rate_limit_error": RateLimitError,
    "api_error": ServerError,
    "overloaded_error": OverloadedError,
    "timeout_error": ProviderTimeoutError,
}


@dataclass(frozen=True, slots=True)
class AnthropicErrors:
    """How one model's error bodies are read: the class to raise and the hint to add.

    A model passes ``AnthropicErrors(...).read`` to its
    :class:`~llmkit.http.Endpoint` as the ``error_parser``.
    """

    key_env: str | None
    """The variable that holds the key, named in the hint of a 401."""
    model_id: str
    """The model id, named in the hint of a 404 about the model."""

    def read(self, status: int, body: bytes) -> ErrorInfo:
        """What the error body of a call answered with HTTP ``status`` says.

        A prompt over the context window becomes a
        :class:`~llmkit.errors.ContextLengthError` and an ``overloaded_error`` an
        :class:`~llmkit.errors.OverloadedError` whatever the status; a bad key,
        model name or a request over the size limit gets a hint.
        """
        info = _read_error(body)
        _refine(info, status, self.key_env, self.model_id)
        return info


def _read_error(body: bytes) -> ErrorInfo:
    try:
        data = json.loads(body) if body else None
    except ValueError:
        data = None
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        kind = error.get("type")
        return ErrorInfo(error["message"], str(kind) if kind is not None else None)
    return parse_error_body(0, body)


def _refine(info: ErrorInfo, status: int, key_env: str | None, model_id: str) -> None:
    text = info.message.lower()
    kind = info.error_type
    if "prompt is too long" in text or "context window" in text:
        info.error_class = ContextLengthError
        info.hint = "Shorten the conversation or pick a model with a larger context window."
    elif kind == "overloaded_error" and status not in (503, 529):
        info.error_class = OverloadedError
    elif status == 401:
        where = f"set {key_env} or " if key_env else ""
        info.hint = f"Check the API key: {where}pass api_key=... to llmkit.model()."
    elif status == 404 and "model" in text:
        info.hint = f"Check the model name {model_id!r} (llmkit.model('anthropic/<model>'))."
    elif status == 413 or kind == "request_too_large":
        info.hint = (
            "The request is larger than the API takes (32 MB): send large images and "
            "documents by URL, or fewer of them per call."
        )


def error_from_body(data: JSONDict, provider: str, request_id: str | None) -> ProviderError:
    """The error an ``error`` object stands for (a stream's ``error`` event, or a body)."""
    info = _read_error(dumps(data).encode())
    _refine(info, 0, None, "")
    cls = info.error_class or _ERROR_TYPES.get(info.error_type or "", ProviderError)
    label = f" ({info.error_type})" if info.error_type else ""
    hint = f" {info.hint}" if info.hint else ""
    return cls(
        f"{provider} reported an error{label}: {info.message}{hint}",
        provider=provider,
        error_type=info.error_type,
        provider_message=info.message,
        request_id=request_id or (data.get("request_id") if isinstance(data, dict) else None),
        body=dumps(data)[:4000],
    )

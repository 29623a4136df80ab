"""OpenAI-compatible error bodies, read onto llmkit's error tree with a hint that says what to do.

Pure, no I/O. :class:`OpenAIErrors` reads the body of a failed call
(``{"error": {"message", "type", "code", "param"}}``) for the transport;
:func:`error_in_body` turns an error object that a gateway sends inside a 200
answer or a stream into the :class:`~llmkit.errors.ProviderError` to raise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llmkit._json import dumps
from llmkit.errors import (
    ContentFilterError,
    ContextLengthError,
    ProviderError,
    error_for_status,
)
from llmkit.http import ErrorInfo, parse_error_body

__all__ = ["OpenAIErrors", "error_in_body"]


@dataclass(frozen=True, slots=True)
class OpenAIErrors:
    """How one model's error bodies are read: the class to raise and the hint to add.

    A model passes ``OpenAIErrors(...).read`` to its
    :class:`~llmkit.http.Endpoint` as the ``error_parser``.
    """

    provider: str
    """The provider name in hints (``"openai"``, ``"groq"`` …)."""
    key_env: str | None
    """The variable that holds the key, named in the hint of a 401."""
    model_id: str
    """The model id, named in the hint of a 404 about the model."""

    def read(self, status: int, body: bytes) -> ErrorInfo:
        """What the error body of a call answered with HTTP ``status`` says.

        A context overflow becomes a :class:`~llmkit.errors.ContextLengthError` and a
        filtered request a :class:`~llmkit.errors.ContentFilterError`; a bad key or
        model name gets a hint that says what to check.
        """
        info = parse_error_body(status, body)
        _refine(info, status, self.provider, self.key_env, self.model_id)
        return info


def _refine(
    info: ErrorInfo, status: int, provider: str, key_env: str | None, model_id: str
) -> None:
    code = (info.code or "").lower()
    text = info.message.lower()
    if code == "context_length_exceeded" or "context length" in text or "context window" in text:
        info.error_class = ContextLengthError
        info.hint = "Shorten the conversation or pick a model with a larger context window."
    elif (
        code in ("content_filter", "content_policy_violation")
        or info.error_type == "content_filter"
    ):
        info.error_class = ContentFilterError
    elif status == 401:
        where = f"set {key_env} or " if key_env else ""
        info.hint = f"Check the API key: {where}pass api_key=... to llmkit.model()."
    elif status == 404 and ("model" in code or "model" in text):
        info.hint = f"Check the model name {model_id!r} (llmkit.model('{provider}/<model>'))."


def error_in_body(error: Any, provider: str, request_id: str | None) -> ProviderError:
    """An error object sent inside a 200 answer or a stream (as some gateways do)."""
    info = parse_error_body(0, dumps({"error": error}).encode())
    status = error.get("code") if isinstance(error, dict) else None
    status = status if isinstance(status, int) and 400 <= status < 600 else None
    _refine(info, status or 0, provider, None, "")
    cls = info.error_class or (error_for_status(status) if status else ProviderError)
    return cls(
        f"{provider} reported an error: {info.message}",
        status=status,
        provider=provider,
        error_type=info.error_type,
        code=info.code,
        provider_message=info.message,
        request_id=request_id,
        retryable=None if status else False,
    )

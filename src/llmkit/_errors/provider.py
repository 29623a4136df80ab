"""The errors of model calls, one class per kind of failure, and the class for each HTTP status.

Served by :mod:`llmkit.errors`; import from it. Every :class:`ProviderError`
says whether a retry may help (``retryable``) and keeps every attribute
across pickling; :func:`error_for_status` maps every status to a class.
"""

from __future__ import annotations

from typing import Any

from llmkit._errors.base import LLMKitError, _rebuild

__all__ = [
    "AllModelsFailedError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "ContentFilterError",
    "ContextLengthError",
    "InvalidResponseError",
    "NotFoundError",
    "OverloadedError",
    "PermissionDeniedError",
    "ProviderConnectionError",
    "ProviderError",
    "ProviderTimeoutError",
    "RateLimitError",
    "ServerError",
    "StreamInterruptedError",
    "error_for_status",
]


class ProviderError(LLMKitError):
    """A model call failed at run time.

    Attributes say what happened, for logs and retry decisions:

    - ``status``: HTTP status code, or None when no response arrived;
    - ``provider``: the provider name (``"openai"``, ``"groq"``, …);
    - ``error_type`` / ``code`` / ``param``: the provider's own error classification;
    - ``provider_message``: the provider's message, unchanged (secrets redacted);
    - ``request_id``: the provider's request id, for support tickets;
    - ``body``: the raw error body (text, secrets redacted);
    - ``retryable``: True when sending the same request again may succeed;
    - ``retry_after``: seconds the provider asked us to wait, when it said.

    Raised inside an agent run, it also carries ``messages`` (the
    conversation so far) and ``usage`` (what the run consumed), as an
    :class:`AgentError` does; for a plain model call they stay empty.
    """

    default_retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        provider: str | None = None,
        error_type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        provider_message: str | None = None,
        request_id: str | None = None,
        body: str | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.provider = provider
        self.error_type = error_type
        self.code = code
        self.param = param
        self.provider_message = provider_message
        self.request_id = request_id
        self.body = body
        self.retryable = self.default_retryable if retryable is None else retryable
        self.retry_after = retry_after
        self.messages: Any = []
        """The conversation up to the failed call (a list of :class:`~llmkit.types.Message`),
        when an agent run made the call; empty otherwise."""
        self.usage: Any = None
        """The :class:`~llmkit.types.Usage` of the run up to the failed call, when an agent
        run made it; None otherwise."""

    def __str__(self) -> str:
        text = self.message
        if self.request_id:
            text += f" (request id: {self.request_id})"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, status={self.status!r}, "
            f"provider={self.provider!r}, retryable={self.retryable!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Keeps every attribute across pickling (multiprocessing, Ray).
        return (_rebuild, (type(self), self.message, self.__dict__.copy()))


class AuthenticationError(ProviderError):
    """401: the API key is missing, wrong or revoked."""


class PermissionDeniedError(ProviderError):
    """403: the key is valid but may not use this model, feature or region."""


class NotFoundError(ProviderError):
    """404: the model (or endpoint) does not exist or the key cannot see it."""


class BadRequestError(ProviderError):
    """400/413/422: the provider rejected the request; the message says which part."""


class ContextLengthError(BadRequestError):
    """The conversation is longer than the model's context window: trim it or pick a larger model."""


class ContentFilterError(ProviderError):
    """The provider refused the prompt or filtered the answer on content grounds."""


class ConflictError(ProviderError):
    """409: a conflicting request was in flight; retrying usually helps."""

    default_retryable = True


class RateLimitError(ProviderError):
    """429: too many requests or tokens; wait ``retry_after`` seconds (when given) and retry."""

    default_retryable = True


class ServerError(ProviderError):
    """5xx: the provider failed to answer; retrying may help."""

    default_retryable = True


class OverloadedError(ServerError):
    """503/529: the provider is overloaded; back off and retry."""


class ProviderTimeoutError(ProviderError):
    """No answer in time (connecting, reading, or the whole call)."""

    default_retryable = True


class ProviderConnectionError(ProviderError):
    """Could not connect to the provider, or the connection dropped."""

    default_retryable = True


class StreamInterruptedError(ProviderConnectionError):
    """A streamed answer broke part-way. Events already yielded stay delivered.

    ``partial`` holds the response assembled from what arrived before the
    break (text so far, complete tool calls), when there was any.
    """

    partial: Any = None
    """The :class:`~llmkit.types.Response` assembled before the break, or None when nothing
    arrived (typed ``Any``: the error tree imports no data types)."""


class InvalidResponseError(ProviderError):
    """The provider answered with something that is not its protocol (HTML, broken JSON…)."""


class AllModelsFailedError(ProviderError):
    """Every model of a fallback, race or consensus failed; ``errors`` holds each failure.

    ``errors`` is a list of ``(model name, exception)`` pairs in the order tried.
    It is retryable when any of the failures was.
    """

    def __init__(self, message: str, errors: list[tuple[str, BaseException]]) -> None:
        retryable = any(getattr(e, "retryable", False) for _, e in errors)
        last = errors[-1][1] if errors else None
        super().__init__(
            message,
            status=getattr(last, "status", None),
            provider=getattr(last, "provider", None),
            retryable=retryable,
        )
        self.errors = errors


_BY_STATUS: dict[int, type[ProviderError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: ProviderTimeoutError,
    409: ConflictError,
    413: BadRequestError,
    422: BadRequestError,
    429: RateLimitError,
    503: OverloadedError,
    529: OverloadedError,
}


def error_for_status(status: int) -> type[ProviderError]:
    """The error class llmkit uses for an HTTP status code."""
    cls = _BY_STATUS.get(status)
    if cls is not None:
        return cls
    if status >= 500:
        return ServerError
    return ProviderError

"""Faults: scripted failures (error statuses, dropped connections, slow or broken answers).

A :class:`Fault` is one turn of a script; :data:`Turn`, the type of a script's
turns, is defined here beside it, because a fault carries the turn it cuts off
or delays. The fake provider server turns it
into what a failing provider sends over the wire; :class:`~llmkit.testing.ScriptedModel`
turns it into the :class:`~llmkit.errors.ProviderError` the transport would raise
for that wire behaviour, so both fakes exercise the same error paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from llmkit.errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ContentFilterError,
    ContextLengthError,
    InvalidResponseError,
    NotFoundError,
    OverloadedError,
    PermissionDeniedError,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitError,
    ServerError,
    StreamInterruptedError,
    UsageError,
    error_for_status,
)
from llmkit.types import Response, ToolCall

__all__ = [
    "Fault",
    "FaultKind",
    "Turn",
    "instantiate",
    "interrupted",
    "provider_error",
    "retry_after_seconds",
    "status_for",
]

FaultKind: TypeAlias = Literal[
    "status", "context_length", "drop", "end_early", "slow", "malformed_json", "html"
]
"""What a :class:`Fault` does."""

_DEFAULT_PARTIAL = "This answer is cut off before it ends, as if the network failed."


@dataclass(frozen=True, slots=True)
class Fault:
    """A scripted failure; build one with the class methods, put it in a script as a turn.

    A fault consumes one turn, so ``[Fault.status(429, retry_after=0), "hello"]``
    means "the first request is rate-limited, the retry gets hello".
    """

    kind: FaultKind
    http_status: int = 200
    """The HTTP status sent (``status``, ``context_length``, ``html``)."""
    message: str | None = None
    error_type: str | None = None
    error_code: str | None = None
    retry_after: float | None = None
    """Seconds, sent as ``Retry-After``."""
    retry_after_ms: int | None = None
    """Milliseconds, sent as ``retry-after-ms``."""
    after_events: int = 0
    """``drop``, ``end_early``: how many stream events are sent before the stream stops."""
    mid_event: bool = False
    """``drop``: also send half of the next event before dropping."""
    seconds: float = 0.0
    """``slow``: delay before the first byte."""
    then: Turn | None = None
    """``slow``: the turn served after the delay; ``drop``, ``end_early``: the answer cut off."""

    @classmethod
    def status(
        cls,
        code: int,
        message: str | None = None,
        *,
        error_type: str | None = None,
        code_str: str | None = None,
        retry_after: float | None = None,
        retry_after_ms: int | None = None,
    ) -> Fault:
        """Answer with HTTP status ``code`` and the provider's error body.

        ``message``, ``error_type`` and ``code_str`` override the body's fields
        (defaults follow the provider's own wording for that status);
        ``retry_after`` / ``retry_after_ms`` add the ``Retry-After`` /
        ``retry-after-ms`` headers.
        """
        if not 400 <= code <= 599:
            raise UsageError(f"Fault.status() takes an error status (400-599), got {code}.")
        return cls(
            "status",
            code,
            message,
            error_type,
            code_str,
            retry_after,
            retry_after_ms,
        )

    @classmethod
    def context_length(cls, message: str | None = None) -> Fault:
        """Answer 400 ``context_length_exceeded``: the conversation is too long for the model."""
        return cls("context_length", 400, message, error_code="context_length_exceeded")

    @classmethod
    def drop(
        cls, after_events: int = 0, mid_event: bool = False, *, turn: Turn | None = None
    ) -> Fault:
        """Drop the connection part-way.

        Streaming: send ``after_events`` stream events (and, with ``mid_event``,
        half of the next one), then close the connection without ending the
        body. Not streaming: close the connection without any response.
        ``turn`` is the answer being cut off (a text reply by default).
        In-process models yield the first ``after_events`` events and raise
        :class:`~llmkit.errors.StreamInterruptedError` (an event cannot be
        halved there), or :class:`~llmkit.errors.ProviderConnectionError`
        when not streaming.
        """
        if after_events < 0:
            raise UsageError("Fault.drop(after_events=...) must be 0 or more.")
        return cls(
            "drop",
            after_events=after_events,
            mid_event=mid_event,
            then=_DEFAULT_PARTIAL if turn is None else turn,
        )

    @classmethod
    def end_early(cls, after_events: int = 0, *, turn: Turn | None = None) -> Fault:
        """End a stream cleanly part-way: its end marker comes without the final chunk.

        Streaming (OpenAI protocol): send ``after_events`` stream events (the
        first carries only the role), then ``data: [DONE]``, with no chunk
        giving a finish reason or usage, as llama.cpp's server ends an earlier
        stream when requests overlap. Not streaming: the connection closes
        without an answer, as with :meth:`drop`. ``turn`` is the answer being
        cut off (a text reply by default). In-process models behave as for
        :meth:`drop`: the events, then :class:`~llmkit.errors.StreamInterruptedError`.
        """
        if after_events < 0:
            raise UsageError("Fault.end_early(after_events=...) must be 0 or more.")
        return cls(
            "end_early", after_events=after_events, then=_DEFAULT_PARTIAL if turn is None else turn
        )

    @classmethod
    def slow(cls, seconds: float, then: Turn = "This reply was delayed.") -> Fault:
        """Wait ``seconds`` before the first byte, then serve ``then``."""
        if seconds < 0:
            raise UsageError("Fault.slow(seconds) must be 0 or more.")
        return cls("slow", seconds=seconds, then=then)

    @classmethod
    def malformed_json(cls) -> Fault:
        """Answer 200 with a body that is not valid JSON (in a stream: a chunk that is not JSON)."""
        return cls("malformed_json")

    @classmethod
    def html(cls, status: int = 200) -> Fault:
        """Answer with an HTML page, as a misconfigured proxy or a wrong base URL would."""
        return cls("html", status)


Turn: TypeAlias = (
    str | ToolCall | list[ToolCall] | Response | BaseException | type[BaseException] | Fault
)
"""One scripted answer: text, tool call(s), a response, an exception, or a fault."""


# Status each llmkit error stands for when a script raises it; the most specific class wins.
_STATUS: tuple[tuple[type[ProviderError], int], ...] = (
    (ContextLengthError, 400),
    (ContentFilterError, 400),
    (BadRequestError, 400),
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (ProviderTimeoutError, 408),
    (ConflictError, 409),
    (RateLimitError, 429),
    (OverloadedError, 503),
    (ServerError, 500),
)


def status_for(exc: BaseException | type[BaseException]) -> int:
    """The HTTP status the fake server answers when a script turn is ``exc``.

    A :class:`ProviderError` instance with ``status`` set keeps it; otherwise
    its class decides; any other exception is a 500.
    """
    if isinstance(exc, ProviderError) and exc.status is not None:
        return exc.status
    cls = exc if isinstance(exc, type) else type(exc)
    for error_cls, status in _STATUS:
        if issubclass(cls, error_cls):
            return status
    return 500


def instantiate(cls: type[BaseException]) -> BaseException:
    """An instance of an exception class given as a turn (provider errors get a status)."""
    if issubclass(cls, ProviderError):
        return cls(f"Scripted {cls.__name__}.", status=status_for(cls), provider="test")
    return cls()


def retry_after_seconds(fault: Fault) -> float | None:
    """The wait a fault asks for, in seconds (``retry_after`` wins over ``retry_after_ms``)."""
    if fault.retry_after is not None:
        return float(fault.retry_after)
    if fault.retry_after_ms is not None:
        return fault.retry_after_ms / 1000
    return None


def provider_error(fault: Fault, *, provider: str = "test") -> ProviderError:
    """The error llmkit's transport raises for ``fault``, for in-process models.

    ``drop`` is handled by the caller when it streams (events first); here it
    is the non-streaming case, a connection closed without a response.
    """
    kind = fault.kind
    common: dict[str, Any] = {"provider": provider}
    if kind == "status" or kind == "context_length":
        status = fault.http_status
        cls: type[ProviderError] = error_for_status(status)
        if fault.error_code == "context_length_exceeded":
            cls = ContextLengthError
        message = fault.message or f"HTTP {status} from the scripted provider."
        return cls(
            message,
            status=status,
            error_type=fault.error_type,
            code=fault.error_code,
            provider_message=message,
            retry_after=retry_after_seconds(fault),
            **common,
        )
    if kind == "drop" or kind == "end_early":
        return ProviderConnectionError(
            "The provider closed the connection without sending a response.", **common
        )
    if kind == "malformed_json":
        return InvalidResponseError(
            "The provider answered with a body that is not valid JSON.", status=200, **common
        )
    if kind == "html":
        status = fault.http_status
        text = (
            f"The provider answered HTTP {status} with an HTML page instead of JSON; "
            "check the base URL and any proxy in between."
        )
        if status >= 400:
            return error_for_status(status)(text, status=status, **common)
        return InvalidResponseError(text, status=status, **common)
    raise UsageError(f"A {kind!r} fault is not an error by itself.")


def interrupted(partial: Any, *, provider: str = "test") -> StreamInterruptedError:
    """The error for a stream that broke after some events; ``partial`` is what arrived."""
    err = StreamInterruptedError(
        "The provider closed the connection before the stream ended.", provider=provider
    )
    err.partial = partial
    return err

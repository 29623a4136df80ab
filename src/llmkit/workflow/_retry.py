"""``Retry``: how often a failed step runs again, how long it waits first, and on which errors.

A :class:`Retry` is frozen configuration, checked when it is built (a bad value is a
:class:`~llmkit.errors.UsageError` naming the option). Its two questions are pure:
:meth:`Retry.retries` (is this error one to try again?) and :meth:`Retry.delay_for` (how
long to wait after a failed attempt, or None to stop). The waits come from the package's
one backoff formula, :func:`llmkit.http.backoff_delay`, the one the transport uses for a
single model call.

The default rule (``on=None``) retries what may succeed on a second try:

=================================  =========================================================
error                              retried by default
=================================  =========================================================
``ProviderError``                  when its ``retryable`` is True (429, 5xx, timeouts …)
``TimeoutError``                   yes
``StepTimeoutError``               yes (an attempt took longer than the step's ``timeout=``)
``RunTimeoutError``                yes (an agent run took longer than its own timeout)
``ConnectionError``                yes
``OutputValidationError``          yes (the model may answer validly next time)
anything else                      no: ``UsageError``, ``HookError``/``GuardrailTripped``,
                                   ``NoBranchMatched``, ``StateValidationError``,
                                   ``PredicateError``, ``StepInputError``, ``CircuitOpenError``
=================================  =========================================================

Cancellation, ``KeyboardInterrupt``, ``SystemExit`` and ``ReplayDivergence`` are never
retried, whatever ``on=`` says. In a replay, a recorded error whose class could not be
rebuilt (a ``ReplayedError``) matches the ``on=`` classes of its recorded class's name.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

from llmkit.errors import (
    OutputValidationError,
    ProviderError,
    ReplayDivergence,
    ReplayedError,
    RunTimeoutError,
    StepTimeoutError,
    UsageError,
    WorkflowError,
)
from llmkit.http import backoff_delay
from llmkit.http._retry import BACKOFF_KINDS, BackoffKind

__all__ = ["ErrorTypes", "Retry", "check_error_types", "matches", "retried_by_default"]

ErrorTypes: TypeAlias = type[BaseException] | tuple[type[BaseException], ...]
"""One exception class or a tuple of them (as ``except`` and ``isinstance`` take)."""

_RETRIED: tuple[type[BaseException], ...] = (
    TimeoutError,
    StepTimeoutError,
    RunTimeoutError,
    ConnectionError,
    OutputValidationError,
)
# Stops, not failures: no policy retries them.
_NEVER: tuple[type[BaseException], ...] = (
    asyncio.CancelledError,
    KeyboardInterrupt,
    SystemExit,
    GeneratorExit,
    ReplayDivergence,
)


def retried_by_default(error: BaseException) -> bool:
    """Whether the default rule (the table of this module) retries ``error``."""
    if isinstance(error, _NEVER):
        return False
    if isinstance(error, ProviderError):
        return error.retryable
    return isinstance(error, _RETRIED)


def matches(error: BaseException, on: ErrorTypes | None) -> bool:
    """Whether ``error`` is one ``on`` names (the default rule when ``on`` is None).

    ``error`` is what the attempt failed with: the exception a step raised, or the workflow's
    own error (``StepTimeoutError``, ``CircuitOpenError`` …). A workflow error also matches
    when its cause does (``on=TimeoutError`` matches a step past its timeout).
    """
    if isinstance(error, _NEVER):
        return False
    if on is None:
        return retried_by_default(error)
    if isinstance(error, on):
        return True
    if isinstance(error, ReplayedError):
        names = {kind.__name__ for kind in (on if isinstance(on, tuple) else (on,))}
        return error.error_type in names
    cause = error.__cause__
    return isinstance(error, WorkflowError) and cause is not None and isinstance(cause, on)


def check_error_types(on: object, *, owner: str) -> None:
    """Raise UsageError unless ``on`` is None, an exception class, or a tuple of them."""
    if on is None:
        return
    items = on if isinstance(on, tuple) else (on,)
    bad = [
        item for item in items if not (isinstance(item, type) and issubclass(item, BaseException))
    ]
    if bad or not items:
        shown = repr(bad[0]) if bad else "()"
        raise UsageError(
            f"{owner}(on=...) takes an exception class or a tuple of them, e.g. "
            f"on=(RateLimitError, ServerError); {shown} is not one."
        )


def _check_seconds(value: object, option: str, owner: str) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise UsageError(f"{owner}({option}=...) takes seconds, 0 or more, not {value!r}.")


@dataclass(frozen=True, slots=True)
class Retry:
    """Run a failed step again: how often, how long to wait, on which errors.

    On a combinator, ``retry=`` is the default of every step inside it; ``step(flow,
    retry=...)`` retries a whole sub-flow. A step's retries come on top of the transport's
    retries of each model call: with ``Retry(attempts=3)`` around an agent whose model keeps
    the default ``RetryPolicy(max_retries=2)``, one model request may be sent up to
    3 * (1 + 2) = 9 times.
    """

    attempts: int = 3
    """Total attempts, the first included (1 or more; 1 means no retry)."""
    backoff: BackoffKind = "exponential"
    """How waits grow: ``"exponential"`` (delay·2^n), ``"linear"`` (delay·(n+1)) or ``"constant"``."""
    delay: float = 0.5
    """The base wait in seconds."""
    max_delay: float = 30.0
    """No wait is longer, ``Retry-After`` included."""
    jitter: bool = True
    """Full jitter: wait a random time between 0 and the computed wait."""
    on: ErrorTypes | None = None
    """The errors to retry; None: the default rule (see the module's table)."""

    def __post_init__(self) -> None:
        attempts = self.attempts
        if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
            raise UsageError(
                "Retry(attempts=...) counts every attempt, the first included: pass a whole "
                f"number, 1 or more, not {attempts!r}."
            )
        if self.backoff not in BACKOFF_KINDS:
            raise UsageError(
                f"Retry(backoff=...) is one of {', '.join(map(repr, BACKOFF_KINDS))}, "
                f"not {self.backoff!r}."
            )
        _check_seconds(self.delay, "delay", "Retry")
        _check_seconds(self.max_delay, "max_delay", "Retry")
        if not isinstance(self.jitter, bool):
            raise UsageError(f"Retry(jitter=...) takes True or False, not {self.jitter!r}.")
        check_error_types(self.on, owner="Retry")

    def retries(self, error: BaseException) -> bool:
        """Whether ``error`` is one this policy retries (``on=``, else the default rule)."""
        return matches(error, self.on)

    def delay_for(
        self, attempt: int, error: BaseException, rng: Callable[[], float] = random.random
    ) -> float | None:
        """Seconds before the next attempt after failed attempt ``attempt`` (1-based), or None to stop.

        None when ``attempt`` was the last one or the policy does not retry ``error``. A
        provider that asked for a wait (``retry_after``, on the error or its cause) gets at
        least that, up to ``max_delay``.
        """
        if attempt >= self.attempts or not self.retries(error):
            return None
        wait = backoff_delay(
            self.backoff,
            attempt - 1,
            base=self.delay,
            max_delay=self.max_delay,
            jitter=self.jitter,
            rng=rng,
        )
        asked = _retry_after(error)
        if asked is not None:
            wait = min(self.max_delay, max(wait, asked))
        return wait


def _retry_after(error: BaseException) -> float | None:
    for candidate in (error, error.__cause__):
        if isinstance(candidate, ProviderError) and candidate.retry_after is not None:
            return float(candidate.retry_after)
    return None

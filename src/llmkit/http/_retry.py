"""When to retry a failed call, and how long to wait first.

Pure functions on plain data: the endpoint asks :func:`retry_delay` after
each failure and sleeps for what it returns (or gives up on None).
:func:`backoff_delay` is the one backoff formula of the package (exponential,
linear or constant, capped, with full jitter); the transport and the
workflow retry policy both compute their waits with it.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias, get_args

from llmkit.errors import ProviderError, UsageError

__all__ = [
    "BACKOFF_KINDS",
    "BackoffKind",
    "RetryPolicy",
    "backoff_delay",
    "parse_retry_after",
    "retry_delay",
]

BackoffKind: TypeAlias = Literal["exponential", "linear", "constant"]
"""How waits grow between attempts: doubling, by one base step each time, or not at all."""

BACKOFF_KINDS: tuple[str, ...] = get_args(BackoffKind)
"""The names :func:`backoff_delay` takes, for checking a setting before it is used."""

# 2.0**1024 overflows a float; no cap anyone sets needs more than 2**64 base steps.
_MAX_DOUBLINGS = 64


def backoff_delay(
    kind: BackoffKind,
    attempt: int,
    *,
    base: float,
    max_delay: float,
    jitter: bool = True,
    rng: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before retry ``attempt + 1``: base·2^attempt, base·(attempt+1) or base, capped, full jitter.

    ``attempt`` counts the retries already made (0 after the first failure). The computed
    wait is capped at ``max_delay``; with ``jitter`` (full jitter) the result is
    ``rng() * cap``, a random wait between 0 and the cap, so clients that failed together
    do not retry together. Never raises for a large ``attempt``.
    """
    if attempt < 0:
        raise UsageError(f"attempt counts the retries already made (0 or more), not {attempt!r}.")
    if kind == "exponential":
        cap = base * 2.0 ** min(attempt, _MAX_DOUBLINGS)
    elif kind == "linear":
        cap = base * (attempt + 1)
    elif kind == "constant":
        cap = base
    else:
        raise UsageError(
            f"Unknown backoff {kind!r}; pass one of {', '.join(map(repr, BACKOFF_KINDS))}."
        )
    cap = min(max_delay, cap)
    return rng() * cap if jitter else cap


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How a model retries failed calls.

    Only failures that may succeed on a second try are retried: HTTP 408, 409,
    429, 5xx (529 included), timeouts and connection errors. Waits grow
    exponentially with full jitter (a random wait between 0 and
    ``initial_delay * 2**attempt``, capped at ``max_delay``); when the provider
    says how long to wait (``Retry-After`` / ``retry-after-ms``), that wins.
    """

    max_retries: int = 2
    """Retries after the first attempt (0 disables retrying)."""
    initial_delay: float = 0.5
    """Upper bound of the first randomised wait, in seconds."""
    max_delay: float = 8.0
    """Upper bound of any randomised wait, in seconds."""
    max_retry_after: float = 60.0
    """The longest provider-requested wait honoured; longer requests raise at once."""

    @classmethod
    def of(cls, max_retries: int | None = None, retry: RetryPolicy | None = None) -> RetryPolicy:
        """The policy a model's ``max_retries=`` / ``retry=`` options ask for (one or neither)."""
        if retry is None:
            return cls() if max_retries is None else cls(max_retries=max_retries)
        if max_retries is not None:
            raise UsageError("Pass either max_retries= or retry=, not both.")
        if not isinstance(retry, RetryPolicy):
            raise UsageError(
                "retry= takes a RetryPolicy, e.g. RetryPolicy(max_retries=5), not "
                f"{type(retry).__name__}."
            )
        return retry

    def __post_init__(self) -> None:
        retries = self.max_retries
        if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
            raise UsageError(f"max_retries must be a whole number, 0 or more, not {retries!r}.")
        for delay in (self.initial_delay, self.max_delay, self.max_retry_after):
            if (
                not isinstance(delay, int | float)
                or isinstance(delay, bool)
                or not math.isfinite(delay)
                or delay < 0
            ):
                raise UsageError(f"Retry delays must be 0 or more seconds, not {delay!r}.")


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds the provider asked us to wait, from ``retry-after-ms`` or ``Retry-After``.

    ``Retry-After`` may be a number of seconds or an HTTP date. Returns None
    when neither header is present or readable.
    """
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def retry_delay(
    policy: RetryPolicy,
    attempt: int,
    error: ProviderError,
    rng: Callable[[], float] = random.random,
) -> float | None:
    """Seconds to wait before retry number ``attempt + 1``, or None to give up.

    ``attempt`` counts the retries already made (0 after the first failure).
    """
    if not error.retryable or attempt >= policy.max_retries:
        return None
    if error.retry_after is not None:
        if error.retry_after > policy.max_retry_after:
            return None
        return float(error.retry_after)
    return backoff_delay(
        "exponential",
        attempt,
        base=policy.initial_delay,
        max_delay=policy.max_delay,
        rng=rng,
    )

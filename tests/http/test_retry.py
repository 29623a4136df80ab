"""Retry decisions: which failures, how long to wait, Retry-After."""

from __future__ import annotations

import email.utils

import pytest

from llmkit.errors import (
    AuthenticationError,
    BadRequestError,
    ProviderConnectionError,
    RateLimitError,
    ServerError,
    UsageError,
)
from llmkit.http import RetryPolicy, backoff_delay, parse_retry_after, retry_delay
from llmkit.http._retry import BackoffKind


def test_retry_after_headers() -> None:
    assert parse_retry_after({"retry-after-ms": "1500"}) == 1.5
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert parse_retry_after({}) is None
    assert parse_retry_after({"retry-after": "soon"}) is None
    date = email.utils.formatdate(1_000_010, usegmt=True)
    assert parse_retry_after({"retry-after": date}, now=1_000_000) == pytest.approx(10.0)


def test_only_retryable_errors_are_retried() -> None:
    policy = RetryPolicy(max_retries=3)
    assert retry_delay(policy, 0, AuthenticationError("x", status=401)) is None
    assert retry_delay(policy, 0, BadRequestError("x", status=400)) is None
    for error in (RateLimitError("x"), ServerError("x"), ProviderConnectionError("x")):
        assert retry_delay(policy, 0, error, rng=lambda: 1.0) == 0.5


def test_backoff_grows_exponentially_with_full_jitter_and_a_cap() -> None:
    policy = RetryPolicy(max_retries=10, initial_delay=0.5, max_delay=3.0)
    error = ServerError("x")
    assert [retry_delay(policy, n, error, rng=lambda: 1.0) for n in range(5)] == [
        0.5,
        1.0,
        2.0,
        3.0,
        3.0,
    ]
    assert retry_delay(policy, 2, error, rng=lambda: 0.25) == 0.5


def test_retries_stop_after_max_retries() -> None:
    policy = RetryPolicy(max_retries=2)
    assert retry_delay(policy, 1, ServerError("x")) is not None
    assert retry_delay(policy, 2, ServerError("x")) is None


def test_provider_requested_wait_wins_unless_too_long() -> None:
    policy = RetryPolicy(max_retry_after=30)
    assert retry_delay(policy, 0, RateLimitError("x", retry_after=7.0)) == 7.0
    assert retry_delay(policy, 0, RateLimitError("x", retry_after=31.0)) is None


def test_x_should_retry_false_overrides() -> None:
    assert retry_delay(RetryPolicy(), 0, ServerError("x", retryable=False)) is None


def test_policy_validation() -> None:
    with pytest.raises(UsageError):
        RetryPolicy(max_retries=-1)
    with pytest.raises(UsageError):
        RetryPolicy(initial_delay=-1)


def test_policy_from_model_options() -> None:
    assert RetryPolicy.of() == RetryPolicy()
    assert RetryPolicy.of(5).max_retries == 5
    custom = RetryPolicy(max_retries=1, initial_delay=2.0)
    assert RetryPolicy.of(None, custom) is custom
    with pytest.raises(UsageError, match="either max_retries= or retry="):
        RetryPolicy.of(3, custom)


def _main_formula(policy: RetryPolicy, attempt: int, rng: float) -> float:
    """retry_delay's randomised wait as the transport computed it before backoff_delay existed."""
    cap = min(policy.max_delay, policy.initial_delay * (2.0**attempt))
    return rng * cap


@pytest.mark.parametrize("rng", [0.0, 0.123456789, 0.5, 0.999999])
@pytest.mark.parametrize(
    "policy",
    [RetryPolicy(max_retries=20), RetryPolicy(max_retries=20, initial_delay=0.3, max_delay=7.7)],
)
def test_retry_delay_gives_the_same_waits_as_before(policy: RetryPolicy, rng: float) -> None:
    error = ServerError("x")
    for attempt in range(11):
        expected = _main_formula(policy, attempt, rng)
        assert retry_delay(policy, attempt, error, rng=lambda: rng) == expected


@pytest.mark.parametrize(
    ("kind", "waits"),
    [
        ("exponential", [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]),
        ("linear", [0.5, 1.0, 1.5, 2.0, 2.5, 3.0]),
        ("constant", [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]),
    ],
)
def test_backoff_delay_kinds(kind: BackoffKind, waits: list[float]) -> None:
    cap = 5.0 if kind == "exponential" else 100.0
    plain = [backoff_delay(kind, n, base=0.5, max_delay=cap, jitter=False) for n in range(6)]
    assert plain == waits
    jittered = [backoff_delay(kind, n, base=0.5, max_delay=cap, rng=lambda: 0.5) for n in range(6)]
    assert jittered == [w / 2 for w in waits]
    assert backoff_delay(kind, 3, base=0.5, max_delay=0.25, jitter=False) == 0.25


def test_backoff_jitter_draws_between_zero_and_the_cap() -> None:
    draws = iter([0.0, 0.999])
    assert backoff_delay("constant", 0, base=2.0, max_delay=9.0, rng=lambda: next(draws)) == 0.0
    assert backoff_delay("constant", 0, base=2.0, max_delay=9.0, rng=lambda: next(draws)) == 1.998


def test_a_late_attempt_does_not_overflow() -> None:
    assert backoff_delay("exponential", 5000, base=0.5, max_delay=30.0, jitter=False) == 30.0
    assert (
        retry_delay(RetryPolicy(max_retries=10_000), 5000, ServerError("x"), rng=lambda: 1.0) == 8.0
    )


def test_backoff_refuses_an_unknown_kind_and_a_negative_attempt() -> None:
    with pytest.raises(UsageError, match="'exponential', 'linear', 'constant'"):
        backoff_delay("quadratic", 0, base=1.0, max_delay=1.0)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="0 or more"):
        backoff_delay("constant", -1, base=1.0, max_delay=1.0)

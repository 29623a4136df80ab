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
from llmkit.http import RetryPolicy, parse_retry_after, retry_delay


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

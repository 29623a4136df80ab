"""Retry and CircuitBreaker settings: checks, the default rule, the waits."""

from __future__ import annotations

import asyncio

import pytest

from llmkit.errors import (
    AuthenticationError,
    BadRequestError,
    CircuitOpenError,
    GuardrailTripped,
    HookError,
    NoBranchMatched,
    OutputValidationError,
    PredicateError,
    ProviderConnectionError,
    RateLimitError,
    ReplayDivergence,
    RunTimeoutError,
    ServerError,
    StateValidationError,
    StepInputError,
    StepTimeoutError,
    UsageError,
    UsageLimitExceeded,
    WorkflowError,
)
from llmkit.http import RetryPolicy, backoff_delay
from llmkit.workflow import CircuitBreaker, Retry

ALWAYS = Retry(attempts=10, delay=1.0, max_delay=1000.0, jitter=False)


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (RateLimitError("429"), True),
        (ServerError("500"), True),
        (ProviderConnectionError("reset"), True),
        (ServerError("500", retryable=False), False),
        (AuthenticationError("401", status=401), False),
        (BadRequestError("400", status=400), False),
        (TimeoutError(), True),
        (StepTimeoutError("took too long", path="a/b"), True),
        (RunTimeoutError("agent run too long"), True),
        (ConnectionError("refused"), True),
        (ConnectionResetError("reset"), True),
        (OutputValidationError("bad answer"), True),
        (ValueError("bug"), False),
        (UsageError("wrong call"), False),
        (HookError("hook raised"), False),
        (GuardrailTripped("no"), False),
        (NoBranchMatched("none"), False),
        (StateValidationError("invalid"), False),
        (PredicateError("raised"), False),
        (StepInputError("not a list"), False),
        (CircuitOpenError("open", key="openai", retry_in=3.0), False),
        (UsageLimitExceeded("over budget"), False),
        (WorkflowError("inner step failed"), False),
        (asyncio.CancelledError(), False),
        (KeyboardInterrupt(), False),
        (ReplayDivergence("differs"), False),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else str(v),
)
def test_the_default_rule(error: BaseException, retried: bool) -> None:
    assert Retry().retries(error) is retried
    assert CircuitBreaker("k").counts(error) is retried
    assert (ALWAYS.delay_for(1, error) is not None) is retried


def test_on_names_the_errors_to_retry() -> None:
    policy = Retry(on=(ValueError, CircuitOpenError))
    assert policy.retries(ValueError("x"))
    assert policy.retries(CircuitOpenError("open", key="k"))
    assert not policy.retries(RateLimitError("429"))  # on= replaces the default rule
    assert Retry(on=KeyError).retries(KeyError("k"))


def test_on_matches_a_workflow_error_by_its_cause() -> None:
    timeout = StepTimeoutError("took longer than its timeout", path="a")
    timeout.__cause__ = TimeoutError()
    assert Retry(on=TimeoutError).retries(timeout)
    assert not Retry(on=ValueError).retries(timeout)
    wrapped = ValueError("not a workflow error")
    wrapped.__cause__ = KeyError("k")
    assert not Retry(on=KeyError).retries(wrapped)


def test_stops_are_never_retried_whatever_on_says() -> None:
    policy = Retry(on=BaseException)
    for stop in (asyncio.CancelledError(), KeyboardInterrupt(), ReplayDivergence("x")):
        assert not policy.retries(stop)
        assert policy.delay_for(1, stop) is None


@pytest.mark.parametrize(
    ("backoff", "waits"),
    [
        ("exponential", [0.5, 1.0, 2.0, 4.0, 6.0, 6.0]),
        ("linear", [0.5, 1.0, 1.5, 2.0, 2.5, 3.0]),
        ("constant", [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]),
    ],
)
def test_delay_for_each_backoff(backoff: str, waits: list[float]) -> None:
    error = ServerError("500")
    plain = Retry(attempts=7, backoff=backoff, delay=0.5, max_delay=6.0, jitter=False)  # type: ignore[arg-type]
    assert [plain.delay_for(n, error) for n in range(1, 7)] == waits
    assert plain.delay_for(7, error) is None  # the last attempt failed: stop
    jittered = Retry(attempts=7, backoff=backoff, delay=0.5, max_delay=6.0)  # type: ignore[arg-type]
    assert [jittered.delay_for(n, error, rng=lambda: 0.5) for n in range(1, 7)] == [
        w / 2 for w in waits
    ]


def test_delay_for_uses_the_shared_backoff() -> None:
    policy = Retry(attempts=12, backoff="exponential", delay=0.3, max_delay=20.0)
    transport = RetryPolicy(initial_delay=0.3, max_delay=20.0)
    for attempt in range(1, 12):
        expected = backoff_delay(
            "exponential",
            attempt - 1,
            base=transport.initial_delay,
            max_delay=20.0,
            rng=lambda: 0.7,
        )
        assert policy.delay_for(attempt, TimeoutError(), rng=lambda: 0.7) == expected


def test_a_provider_s_retry_after_is_waited_up_to_max_delay() -> None:
    policy = Retry(attempts=5, delay=0.5, max_delay=10.0, jitter=False)
    assert policy.delay_for(1, RateLimitError("429", retry_after=4.0)) == 4.0
    assert policy.delay_for(4, RateLimitError("429", retry_after=1.0)) == 4.0  # backoff is longer
    assert policy.delay_for(1, RateLimitError("429", retry_after=60.0)) == 10.0
    wrapped = WorkflowError("step failed")
    wrapped.__cause__ = RateLimitError("429", retry_after=3.0)
    assert Retry(on=WorkflowError, jitter=False, delay=0.1).delay_for(1, wrapped) == 3.0


def test_one_attempt_never_retries() -> None:
    assert Retry(attempts=1).delay_for(1, TimeoutError()) is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"attempts": 0}, "attempts=.*1 or more, not 0"),
        ({"attempts": 2.5}, "attempts=.*not 2.5"),
        ({"attempts": True}, "attempts=.*not True"),
        ({"backoff": "quadratic"}, "'exponential', 'linear', 'constant', not 'quadratic'"),
        ({"delay": -1}, r"delay=\.\.\.\) takes seconds, 0 or more, not -1"),
        ({"max_delay": float("inf")}, r"max_delay=\.\.\.\) takes seconds"),
        ({"jitter": "yes"}, "jitter=.*True or False"),
        ({"on": (3,)}, r"on=\.\.\.\) takes an exception class or a tuple of them.*3 is not one"),
        ({"on": "ValueError"}, "'ValueError' is not one"),
        ({"on": ()}, r"\(\) is not one"),
    ],
)
def test_retry_refuses_bad_settings(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        Retry(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"key": ""}, "key=.*names the circuit"),
        ({"key": "k", "failure_threshold": 0}, "failure_threshold=.*1 or more, not 0"),
        ({"key": "k", "probes": -1}, "probes=.*not -1"),
        ({"key": "k", "reset_timeout": -5}, "reset_timeout=.*0 or more, not -5"),
        ({"key": "k", "on": (ValueError, 3)}, "3 is not one"),
    ],
)
def test_circuit_breaker_refuses_bad_settings(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        CircuitBreaker(**kwargs)  # type: ignore[arg-type]


def test_settings_are_frozen() -> None:
    retry = Retry()
    with pytest.raises(AttributeError):
        retry.attempts = 5  # type: ignore[misc]
    assert Retry(attempts=2) == Retry(attempts=2)
    assert CircuitBreaker("a", on=ValueError).counts(ValueError())
    assert not CircuitBreaker("a", on=ValueError).counts(ServerError("500"))

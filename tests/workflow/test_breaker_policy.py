"""Circuit breakers around running steps: refusals go to the fallback, keys are shared by runs.

Every run gets its own ``Breakers(clock=...)`` (or sets one with ``use_breakers``), so no test
depends on another's circuits; the clock never moves here, so an open circuit stays open.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from llmkit.errors import CircuitOpenError, WorkflowError
from llmkit.workflow import (
    Breakers,
    CircuitBreaker,
    Retry,
    Workflow,
    sequence,
    step,
    use_breakers,
)

pytestmark = pytest.mark.anyio


class Service:
    """A dependency that fails with ``error`` and counts its calls."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.calls = 0
        self.error = error

    def __call__(self, state: Any) -> str:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return "fresh"


def cached(state: Any) -> str:
    return "cached"


def registry() -> Breakers:
    return Breakers(clock=lambda: 1000.0)


def guarded(service: Service, breaker: CircuitBreaker, **options: Any) -> Workflow:
    return sequence(step(service, name="call", output="answer", breaker=breaker, **options))


async def test_an_open_circuit_sends_steps_to_the_fallback() -> None:
    service = Service(ConnectionError("down"))
    flow = guarded(service, CircuitBreaker("svc", failure_threshold=2), fallback=cached)
    gate = registry()
    for _ in range(2):
        result = await flow.run({}, breakers=gate)
        assert result.state["answer"] == "cached"
    assert (service.calls, gate.state("svc")) == (2, "open")

    result = await flow.run({}, breakers=gate)
    assert result.state["answer"] == "cached"
    assert service.calls == 2  # refused by the breaker: the service was not called
    record = next(r for r in result.trace if r.path.endswith("/call"))
    assert record.reason == "fallback"


async def test_without_a_fallback_the_refusal_fails_the_run() -> None:
    service = Service(ConnectionError("down"))
    flow = guarded(service, CircuitBreaker("svc", failure_threshold=1))
    gate = registry()
    with pytest.raises(WorkflowError):
        await flow.run({}, breakers=gate)
    with pytest.raises(CircuitOpenError) as caught:
        await flow.run({}, breakers=gate)
    assert "Circuit 'svc' is open after 1 failure in a row" in str(caught.value)
    assert service.calls == 1


async def test_a_retry_stops_at_an_open_circuit() -> None:
    service = Service(ConnectionError("down"))
    flow = guarded(
        service,
        CircuitBreaker("svc", failure_threshold=2),
        retry=Retry(attempts=5, delay=0.0, jitter=False),
    )
    with pytest.raises(CircuitOpenError):
        await flow.run({}, breakers=registry())
    assert service.calls == 2  # the third attempt was refused and CircuitOpenError is not retried


async def test_two_flows_share_a_circuit_by_key() -> None:
    first, second = Service(ConnectionError("down")), Service(ConnectionError("down"))
    flow_a = guarded(first, CircuitBreaker("search", failure_threshold=2), on_error="continue")
    flow_b = guarded(second, CircuitBreaker("search", failure_threshold=2), on_error="continue")
    gate = registry()
    await flow_a.run({}, breakers=gate)
    await flow_b.run({}, breakers=gate)
    assert gate.state("search") == "open"
    result = await flow_a.run({}, breakers=gate)
    assert (first.calls, second.calls) == (1, 1)
    assert [f.error_type for f in result.errors] == ["CircuitOpenError"]


async def test_concurrent_runs_count_into_one_circuit() -> None:
    service = Service(ConnectionError("down"))
    flow = guarded(service, CircuitBreaker("svc", failure_threshold=2), on_error="continue")
    gate = registry()
    await asyncio.gather(flow.run({}, breakers=gate), flow.run({}, breakers=gate))
    assert (service.calls, gate.state("svc")) == (2, "open")


async def test_an_error_the_breaker_does_not_count_leaves_it_closed() -> None:
    service = Service(ValueError("bad input"))  # not a dependency failure: not counted
    flow = guarded(service, CircuitBreaker("svc", failure_threshold=1), on_error="continue")
    gate = registry()
    for _ in range(3):
        await flow.run({}, breakers=gate)
    assert (service.calls, gate.state("svc")) == (3, "closed")


async def test_successes_keep_the_circuit_closed() -> None:
    service = Service()
    flow = guarded(service, CircuitBreaker("svc", failure_threshold=1))
    gate = registry()
    result = await flow.run({}, breakers=gate)
    assert result.state["answer"] == "fresh"
    assert gate.state("svc") == "closed"


async def test_a_run_uses_the_default_registry() -> None:
    service = Service(ConnectionError("down"))
    flow = guarded(service, CircuitBreaker("svc", failure_threshold=1), on_error="continue")
    mine = registry()
    with use_breakers(mine):
        await flow.run({})
    assert mine.state("svc") == "open"

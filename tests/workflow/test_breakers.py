"""Circuit breaker registry: the transition table, the registry's counts, probes, sharing, defaults.

Time is a fake clock handed to ``Breakers(clock=...)``; nothing here sleeps or reads the wall
clock.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import get_args

import pytest

from llmkit.errors import CircuitOpenError, UsageError
from llmkit.workflow import (
    Breakers,
    CircuitBreaker,
    breakers,
    reset_breakers,
    use_breakers,
)
from llmkit.workflow._breakers import Circuit, CircuitEvent, CircuitState, Permit, transition


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def registry(clock: FakeClock) -> Breakers:
    return Breakers(clock=clock)


def fail(registry: Breakers, breaker: CircuitBreaker, times: int = 1) -> None:
    for _ in range(times):
        registry.release(registry.acquire(breaker), ok=False)


# --------------------------------------------------------------------------- the pure transition

SETTINGS = CircuitBreaker("svc", failure_threshold=3, reset_timeout=10.0, probes=2)
NOW = 500.0
CLOSED = Circuit(SETTINGS, failures=1)
OPEN = Circuit(SETTINGS, state="open", failures=3, opened_at=NOW - 4.0)
OPEN_DUE = replace(OPEN, opened_at=NOW - 10.0)
HALF = Circuit(SETTINGS, state="half_open", failures=3, opened_at=NOW - 20.0, in_flight=1)
HALF_FULL = replace(HALF, in_flight=1, successes=1)

# (name, circuit, event, expected next circuit or None for a refused acquire)
TABLE: list[tuple[str, Circuit, CircuitEvent, Circuit | None]] = [
    ("closed acquire lets through", CLOSED, "acquire", CLOSED),
    ("closed success resets the count", CLOSED, "success", replace(CLOSED, failures=0)),
    ("closed failure counts", CLOSED, "failure", replace(CLOSED, failures=2)),
    (
        "closed failure at the threshold opens",
        replace(CLOSED, failures=2),
        "failure",
        Circuit(SETTINGS, state="open", failures=3, opened_at=NOW),
    ),
    ("closed cancel changes nothing", CLOSED, "cancel", CLOSED),
    ("open acquire before the timeout is refused", OPEN, "acquire", None),
    (
        "open acquire after the timeout is the first probe",
        OPEN_DUE,
        "acquire",
        replace(OPEN_DUE, state="half_open", in_flight=1),
    ),
    ("open success changes nothing", OPEN, "success", OPEN),
    ("open failure changes nothing", OPEN, "failure", OPEN),
    ("open cancel changes nothing", OPEN, "cancel", OPEN),
    ("half-open acquire takes a free probe slot", HALF, "acquire", replace(HALF, in_flight=2)),
    ("half-open acquire with every probe used is refused", HALF_FULL, "acquire", None),
    (
        "half-open acquire with every probe in flight is refused",
        replace(HALF, in_flight=2),
        "acquire",
        None,
    ),
    (
        "half-open success short of probes counts",
        HALF,
        "success",
        replace(HALF, in_flight=0, successes=1),
    ),
    ("half-open last success closes", HALF_FULL, "success", Circuit(SETTINGS, opened_at=NOW - 20)),
    (
        "half-open failure opens again with a new timer",
        HALF_FULL,
        "failure",
        Circuit(SETTINGS, state="open", failures=4, opened_at=NOW),
    ),
    ("half-open cancel frees the probe slot", HALF, "cancel", replace(HALF, in_flight=0)),
]


@pytest.mark.parametrize(
    ("circuit", "event", "expected"), [row[1:] for row in TABLE], ids=[row[0] for row in TABLE]
)
def test_transition_table(circuit: Circuit, event: CircuitEvent, expected: Circuit | None) -> None:
    assert transition(circuit, event, NOW) == expected


def test_the_table_covers_every_state_and_event() -> None:
    covered = {(row[1].state, row[2]) for row in TABLE}
    assert covered == {(s, e) for s in get_args(CircuitState) for e in get_args(CircuitEvent)}


def test_transition_keeps_the_period() -> None:
    circuit = replace(CLOSED, failures=2, epoch=7)
    assert transition(circuit, "failure", NOW).epoch == 7


def test_a_zero_reset_timeout_probes_at_once() -> None:
    circuit = Circuit(replace(SETTINGS, reset_timeout=0.0), state="open", failures=3, opened_at=NOW)
    after = transition(circuit, "acquire", NOW)
    assert after is not None and after.state == "half_open"


# --------------------------------------------------------------------------- the registry


def test_failures_in_a_row_open_the_circuit_at_the_threshold(
    registry: Breakers, clock: FakeClock
) -> None:
    breaker = CircuitBreaker("openai", failure_threshold=3, reset_timeout=30.0)
    fail(registry, breaker, 2)
    assert registry.state("openai") == "closed"
    registry.release(registry.acquire(breaker), ok=True)  # a success resets the count
    fail(registry, breaker, 2)
    assert registry.state("openai") == "closed"
    fail(registry, breaker)
    assert registry.state("openai") == "open"
    clock.advance(17.7)
    with pytest.raises(CircuitOpenError) as caught:
        registry.acquire(breaker)
    error = caught.value
    assert error.key == "openai"
    assert error.retry_in == pytest.approx(12.3)
    assert str(error) == (
        "Circuit 'openai' is open after 3 failures in a row; the next try is in 12.3 s"
    )


def test_an_open_circuit_lets_one_probe_through_after_the_timeout(
    registry: Breakers, clock: FakeClock
) -> None:
    breaker = CircuitBreaker("k", failure_threshold=1, reset_timeout=5.0)
    fail(registry, breaker)
    clock.advance(4.9)
    with pytest.raises(CircuitOpenError, match=r"after 1 failure in a row; .* in 0\.1 s$"):
        registry.acquire(breaker)
    clock.advance(0.1)
    assert registry.state("k") == "half_open"
    probe = registry.acquire(breaker)
    assert probe.probe
    with pytest.raises(CircuitOpenError, match="half-open and lets 1 probe through") as caught:
        registry.acquire(breaker)
    assert caught.value.retry_in == 0.0
    registry.release(probe, ok=True)
    assert registry.state("k") == "closed"
    registry.release(registry.acquire(breaker), ok=True)


def test_a_failed_probe_opens_the_circuit_with_a_new_timer(
    registry: Breakers, clock: FakeClock
) -> None:
    breaker = CircuitBreaker("k", failure_threshold=2, reset_timeout=5.0)
    fail(registry, breaker, 2)
    clock.advance(6.0)
    registry.release(registry.acquire(breaker), ok=False)
    assert registry.state("k") == "open"
    with pytest.raises(CircuitOpenError) as caught:
        registry.acquire(breaker)
    assert caught.value.retry_in == 5.0
    assert "after 3 failures in a row" in str(caught.value)


def test_probes_must_all_succeed_to_close(registry: Breakers, clock: FakeClock) -> None:
    breaker = CircuitBreaker("k", failure_threshold=1, reset_timeout=1.0, probes=3)
    fail(registry, breaker)
    clock.advance(1.0)
    for _ in range(2):
        registry.release(registry.acquire(breaker), ok=True)
        assert registry.state("k") == "half_open"
    registry.release(registry.acquire(breaker), ok=True)
    assert registry.state("k") == "closed"


def test_concurrent_acquirers_get_at_most_probes_permits(
    registry: Breakers, clock: FakeClock
) -> None:
    breaker = CircuitBreaker("k", failure_threshold=1, reset_timeout=1.0, probes=2)
    fail(registry, breaker)
    clock.advance(1.0)
    granted: list[Permit] = []
    refused: list[CircuitOpenError] = []

    async def call(gate: asyncio.Event) -> None:
        try:
            permit = registry.acquire(breaker)
        except CircuitOpenError as error:
            refused.append(error)
            return
        granted.append(permit)
        await gate.wait()  # every call is out at once before any ends
        registry.release(permit, ok=True)

    async def main() -> None:
        gate = asyncio.Event()
        async with asyncio.TaskGroup() as group:
            for _ in range(6):
                group.create_task(call(gate))
            await asyncio.sleep(0)
            assert len(granted) == 2
            gate.set()

    asyncio.run(main())
    assert (len(granted), len(refused)) == (2, 4)
    assert all(permit.probe for permit in granted)
    assert registry.state("k") == "closed"


def test_a_cancelled_probe_frees_its_slot(registry: Breakers, clock: FakeClock) -> None:
    breaker = CircuitBreaker("k", failure_threshold=1, reset_timeout=1.0)
    fail(registry, breaker)
    clock.advance(1.0)
    probe = registry.acquire(breaker)
    with pytest.raises(CircuitOpenError):
        registry.acquire(breaker)
    registry.release(probe, ok=None)
    assert registry.state("k") == "half_open"
    registry.release(registry.acquire(breaker), ok=True)
    assert registry.state("k") == "closed"


def test_a_call_without_a_verdict_leaves_a_closed_count_alone(registry: Breakers) -> None:
    breaker = CircuitBreaker("k", failure_threshold=2)
    fail(registry, breaker)
    registry.release(registry.acquire(breaker), ok=None)
    assert registry.state("k") == "closed"  # not counted as a failure
    fail(registry, breaker)  # nor as a success: the count went on
    assert registry.state("k") == "open"


def test_a_verdict_from_an_older_period_changes_nothing(
    registry: Breakers, clock: FakeClock
) -> None:
    breaker = CircuitBreaker("k", failure_threshold=1, reset_timeout=1.0, probes=1)
    slow = registry.acquire(breaker)  # let through while closed
    fail(registry, breaker)  # another call opens the circuit
    clock.advance(1.0)
    probe = registry.acquire(breaker)
    registry.release(slow, ok=True)  # would close a half-open circuit if it counted
    assert registry.state("k") == "half_open"
    registry.release(probe, ok=True)
    assert registry.state("k") == "closed"

    late = registry.acquire(breaker)
    registry.reset("k")
    registry.release(late, ok=False)  # failure_threshold=1 would open it if it counted
    assert registry.state("k") == "closed"


def test_a_permit_is_released_once(registry: Breakers) -> None:
    breaker = CircuitBreaker("k", failure_threshold=2)
    permit = registry.acquire(breaker)
    registry.release(permit, ok=False)
    with pytest.raises(UsageError, match="already released: release each permit once"):
        registry.release(permit, ok=False)
    assert registry.state("k") == "closed"  # the second release counted nothing
    fail(registry, breaker)
    assert registry.state("k") == "open"


def test_one_key_with_two_settings_is_refused(registry: Breakers) -> None:
    first = CircuitBreaker("openai", failure_threshold=5)
    second = CircuitBreaker("openai", failure_threshold=2)
    fail(registry, first)
    with pytest.raises(UsageError) as caught:
        registry.acquire(second)
    message = str(caught.value)
    assert repr(first) in message and repr(second) in message
    assert "give them the same CircuitBreaker, or another key" in message
    fail(registry, CircuitBreaker("openai", failure_threshold=5), 3)  # equal settings are one
    assert registry.state("openai") == "closed"  # the first settings' threshold still holds
    fail(registry, first)
    assert registry.state("openai") == "open"


def test_reset_forgets_the_circuit_and_its_settings(registry: Breakers) -> None:
    fail(registry, CircuitBreaker("a", failure_threshold=1))
    fail(registry, CircuitBreaker("b", failure_threshold=1))
    registry.reset("a")
    assert (registry.state("a"), registry.state("b")) == ("closed", "open")
    registry.release(registry.acquire(CircuitBreaker("a", failure_threshold=9)), ok=True)
    registry.reset()
    assert registry.state("b") == "closed"
    assert repr(registry) == "<Breakers empty>"


def test_a_key_is_shared_by_every_flow_and_concurrent_run(registry: Breakers) -> None:
    # Two flows each build their own CircuitBreaker for the key; two runs go on at once.
    for_flow_a = CircuitBreaker("search", failure_threshold=4)
    for_flow_b = CircuitBreaker("search", failure_threshold=4)

    async def run(breaker: CircuitBreaker, turn: asyncio.Event, next_turn: asyncio.Event) -> None:
        for _ in range(2):
            await turn.wait()
            turn.clear()
            permit = registry.acquire(breaker)
            next_turn.set()
            await asyncio.sleep(0)
            registry.release(permit, ok=False)

    async def main() -> None:
        a_turn, b_turn = asyncio.Event(), asyncio.Event()
        a_turn.set()
        async with asyncio.TaskGroup() as group:
            group.create_task(run(for_flow_a, a_turn, b_turn))
            group.create_task(run(for_flow_b, b_turn, a_turn))

    asyncio.run(main())
    assert registry.state("search") == "open"
    with pytest.raises(CircuitOpenError, match="after 4 failures in a row"):
        registry.acquire(for_flow_a)


@pytest.fixture
def tight_switching() -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads interleave as often as the interpreter allows
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def test_threads_hammering_one_registry_lose_no_update(
    registry: Breakers, tight_switching: None
) -> None:
    threads, rounds = 4, 3000
    breaker = CircuitBreaker("k", failure_threshold=threads * rounds + 1)
    start = threading.Barrier(threads)

    def hammer() -> None:
        start.wait()
        for _ in range(rounds):
            registry.release(registry.acquire(breaker), ok=False)

    workers = [threading.Thread(target=hammer) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert registry.state("k") == "closed"  # no failure counted twice
    fail(registry, breaker)
    assert registry.state("k") == "open"  # none lost: the count was threads * rounds


def test_threads_racing_for_probes_get_exactly_probes_permits(
    registry: Breakers, clock: FakeClock, tight_switching: None
) -> None:
    breaker = CircuitBreaker("k", failure_threshold=1, reset_timeout=1.0, probes=3)
    fail(registry, breaker)
    clock.advance(1.0)
    threads = 8
    start = threading.Barrier(threads)
    granted: list[Permit] = []
    lock = threading.Lock()

    def race() -> None:
        start.wait()
        for _ in range(200):
            try:
                permit = registry.acquire(breaker)
            except CircuitOpenError:
                continue
            with lock:
                granted.append(permit)

    workers = [threading.Thread(target=race) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(granted) == 3


def test_transitions_are_logged(
    registry: Breakers, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    breaker = CircuitBreaker("openai", failure_threshold=2, reset_timeout=1.0)
    with caplog.at_level(logging.WARNING, logger="llmkit.workflow"):
        fail(registry, breaker, 2)
        clock.advance(1.0)
        registry.release(registry.acquire(breaker), ok=False)
        clock.advance(1.0)
        registry.release(registry.acquire(breaker), ok=True)
    assert [r.getMessage() for r in caplog.records if r.name == "llmkit.workflow"] == [
        "Circuit 'openai' opened after 2 failures in a row",
        "Circuit 'openai' is half-open: letting a probe through",
        "Circuit 'openai' opened again after 3 failures in a row",
        "Circuit 'openai' is half-open: letting a probe through",
        "Circuit 'openai' closed: its probes succeeded",
    ]
    assert all(r.levelno == logging.WARNING for r in caplog.records)


def test_an_unused_key_is_closed(registry: Breakers) -> None:
    assert registry.state("never") == "closed"
    assert repr(registry) == "<Breakers empty>"


def test_bad_arguments_say_what_to_pass(registry: Breakers) -> None:
    cases = [
        (lambda: registry.acquire("openai"), "acquire() takes a CircuitBreaker, e.g."),
        (lambda: registry.release(object(), ok=True), "release() takes the Permit acquire() "),
        (
            lambda: registry.release(registry.acquire(CircuitBreaker("k")), ok="yes"),
            "release(ok=...) takes True, False or None, not 'yes'",
        ),
        (lambda: Breakers(clock=3.0), "Breakers(clock=...) takes a function returning seconds"),
        (lambda: use_breakers(object()).__enter__(), "use_breakers() takes a Breakers registry"),
    ]
    for call, message in cases:
        with pytest.raises(UsageError) as caught:
            call()
        assert message in str(caught.value)


# --------------------------------------------------------------------------- the default registry


def test_the_default_registry_is_the_process_s_own_until_reset() -> None:
    first = breakers()
    assert breakers() is first
    fresh = reset_breakers()
    assert fresh is not first and breakers() is fresh


def test_use_breakers_scopes_the_default_and_restores_it() -> None:
    outer = breakers()
    mine = Breakers()
    seen: list[Breakers] = []

    async def in_a_task() -> None:
        seen.append(breakers())

    async def main() -> None:
        with use_breakers(mine) as given:
            assert given is mine and breakers() is mine
            async with asyncio.TaskGroup() as group:
                group.create_task(in_a_task())
        seen.append(breakers())

    asyncio.run(main())
    assert seen == [mine, outer]
    assert breakers() is outer


def test_use_breakers_does_not_leak_into_other_threads() -> None:
    outer = breakers()
    seen: list[Breakers] = []
    with use_breakers(Breakers()):
        worker = threading.Thread(target=lambda: seen.append(breakers()))
        worker.start()
        worker.join()
    assert seen == [outer]


def test_reset_breakers_leaves_a_scoped_registry_in_force() -> None:
    mine = Breakers()
    with use_breakers(mine):
        reset_breakers()
        assert breakers() is mine

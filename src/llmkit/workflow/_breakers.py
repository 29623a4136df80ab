"""``Breakers``: the shared state of circuit breakers, by key, and the registry a run uses by default.

A :class:`~llmkit.workflow.CircuitBreaker` is settings only; its circuit (closed, open,
half-open, and the counts behind them) lives in a :class:`Breakers` registry under the
breaker's ``key``, so every step and every run that names the key shares one circuit.

How a circuit moves is one pure function, :func:`transition` (a circuit, an event, the
time → the next circuit), tested over every state and event. The registry applies it under
one ``threading.Lock`` and never awaits while holding it, so tasks of several event loops
and ``run_sync``'s worker thread may share a registry without losing an update.

Guarantees:

- ``acquire`` either returns a :class:`Permit` or raises
  :class:`~llmkit.errors.CircuitOpenError` (with ``key`` and ``retry_in``); every permit is
  released once, with a verdict (``ok=True``/``False``) or without one (``ok=None``: the
  attempt was cancelled, or failed with an error the breaker does not count).
- Half-open, at most ``probes`` calls are let through; a probe released without a verdict
  frees its slot for another.
- A verdict counts only for the period it was granted in: a call let through while the
  circuit was closed that fails after the circuit opened (or was reset) changes nothing.
- One key has one set of settings per registry: a second, different ``CircuitBreaker`` for
  the same key is refused with a :class:`~llmkit.errors.UsageError` naming both.
- Time comes from the registry's ``clock`` (``time.monotonic`` unless given), never from
  anywhere else, so tests drive it without sleeping; it is read under the lock, so a
  circuit sees time in the order its changes happen.
- Transitions are logged at WARNING on the ``llmkit.workflow`` logger (opened, half-open,
  closed), outside the lock.

The default registry follows the bus's shape: :func:`breakers` is the one
:func:`use_breakers` set in this context, else the process's own; :func:`reset_breakers`
replaces the process's own (for tests); a run's ``breakers=`` option overrides both.
"""

from __future__ import annotations

import contextvars
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Literal, TypeAlias, overload

from llmkit.errors import CircuitOpenError, UsageError
from llmkit.workflow._breaker import CircuitBreaker

__all__ = [
    "Breakers",
    "Circuit",
    "CircuitEvent",
    "CircuitState",
    "Permit",
    "breakers",
    "reset_breakers",
    "transition",
    "use_breakers",
]

_log = logging.getLogger("llmkit.workflow")

CircuitState: TypeAlias = Literal["closed", "open", "half_open"]
"""Where a circuit is: letting calls through, refusing them, or letting probes through."""

CircuitEvent: TypeAlias = Literal["acquire", "success", "failure", "cancel"]
"""What happens to a circuit: a call asks to go through, or a call let through ends."""


@dataclass(frozen=True, slots=True)
class Circuit:
    """The state of one circuit at one moment (immutable: each event makes a new one)."""

    settings: CircuitBreaker
    """The breaker settings the key was first used with."""
    state: CircuitState = "closed"
    """Closed, open or half-open."""
    failures: int = 0
    """Counted failures in a row (while open: the number that opened it)."""
    opened_at: float = 0.0
    """When the circuit last opened (the registry clock's time)."""
    in_flight: int = 0
    """Half-open: probes let through that have not ended yet."""
    successes: int = 0
    """Half-open: probes that succeeded."""
    epoch: int = 0
    """Which period of the circuit this is; permits of an older period carry no verdict."""

    def retry_in(self, now: float) -> float:
        """Seconds until an open circuit lets a probe through (0 when it would now)."""
        if self.state != "open":
            return 0.0
        return max(0.0, self.opened_at + self.settings.reset_timeout - now)


def _opened(circuit: Circuit, failures: int, now: float) -> Circuit:
    return replace(
        circuit, state="open", failures=failures, opened_at=now, in_flight=0, successes=0
    )


@overload
def transition(circuit: Circuit, event: Literal["acquire"], now: float) -> Circuit | None: ...
@overload
def transition(
    circuit: Circuit, event: Literal["success", "failure", "cancel"], now: float
) -> Circuit: ...
def transition(circuit: Circuit, event: CircuitEvent, now: float) -> Circuit | None:
    """The circuit after ``event`` at time ``now``; None when an ``"acquire"`` is refused.

    ``"success"``, ``"failure"`` and ``"cancel"`` end a call let through in the circuit's
    current period (the registry drops those of an older one):

    ==========  ================================  ==========================================
    state       acquire                           success / failure / cancel
    ==========  ================================  ==========================================
    closed      let through                       success: count back to 0; failure: count
                                                  + 1, open at the threshold; cancel: nothing
    open        refused until ``reset_timeout``   nothing (no call of this period is out)
                has passed, then half-open with
                this call as its first probe
    half_open   let through while fewer than      success: the ``probes``-th closes it;
                ``probes`` are out or succeeded,  failure: open again, new timer;
                else refused                      cancel: frees the probe's slot
    ==========  ================================  ==========================================
    """
    settings = circuit.settings
    state = circuit.state
    if event == "acquire":
        if state == "closed":
            return circuit
        if state == "open":
            if now - circuit.opened_at < settings.reset_timeout:
                return None
            return replace(circuit, state="half_open", in_flight=1, successes=0)
        if circuit.in_flight + circuit.successes >= settings.probes:
            return None
        return replace(circuit, in_flight=circuit.in_flight + 1)
    if state == "closed":
        if event == "success":
            return circuit if circuit.failures == 0 else replace(circuit, failures=0)
        if event == "failure":
            failures = circuit.failures + 1
            if failures >= settings.failure_threshold:
                return _opened(circuit, failures, now)
            return replace(circuit, failures=failures)
        return circuit
    if state == "open":
        return circuit
    in_flight = max(0, circuit.in_flight - 1)
    if event == "success":
        successes = circuit.successes + 1
        if successes >= settings.probes:
            return replace(circuit, state="closed", failures=0, in_flight=0, successes=0)
        return replace(circuit, in_flight=in_flight, successes=successes)
    if event == "failure":
        return _opened(circuit, circuit.failures + 1, now)
    return replace(circuit, in_flight=in_flight)


class Permit:
    """Leave to make one call through a circuit; give it back with :meth:`Breakers.release`.

    Every permit is released exactly once, whatever happens to the call (a ``finally``):
    a probe that is never released keeps its half-open slot taken.
    """

    __slots__ = ("_live", "epoch", "key", "probe")

    def __init__(self, key: str, epoch: int, *, probe: bool) -> None:
        self.key = key
        """The circuit's key."""
        self.epoch = epoch
        """The period of the circuit it was granted in."""
        self.probe = probe
        """Whether it was granted as a half-open probe."""
        self._live = True

    def _settle(self) -> bool:
        """Mark the permit released; False when it already was (called under the registry lock)."""
        live, self._live = self._live, False
        return live

    def __repr__(self) -> str:
        kind = "probe" if self.probe else "call"
        return f"<Permit {kind} of circuit {self.key!r}>"


_Logged: TypeAlias = tuple[str, CircuitState, CircuitState, int] | None


class Breakers:
    """The shared state of circuit breakers, by key (thread- and task-safe).

    One registry serves every run that uses it; :func:`breakers` gives the default one. Pass
    ``clock`` (a function returning seconds, monotonic) to drive time in tests.
    """

    __slots__ = ("_circuits", "_clock", "_epochs", "_lock")

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        if not callable(clock):
            raise UsageError(
                "Breakers(clock=...) takes a function returning seconds, e.g. time.monotonic; "
                f"not {type(clock).__name__}."
            )
        self._clock = clock
        self._lock = threading.Lock()
        self._circuits: dict[str, Circuit] = {}
        self._epochs = itertools.count(1)

    def state(self, key: str) -> CircuitState:
        """Where the circuit of ``key`` is now (``"closed"`` for a key never used).

        An open circuit whose ``reset_timeout`` has passed reads ``"half_open"``: the next
        call goes through as a probe.
        """
        now = self._clock()
        with self._lock:
            circuit = self._circuits.get(key)
        if circuit is None:
            return "closed"
        if circuit.state == "open" and circuit.retry_in(now) == 0.0:
            return "half_open"
        return circuit.state

    def reset(self, key: str | None = None) -> None:
        """Forget the circuit of ``key`` (every circuit when None): it starts closed, settings free.

        Calls let through before the reset end without a verdict.
        """
        with self._lock:
            if key is None:
                self._circuits.clear()
            else:
                self._circuits.pop(key, None)

    def acquire(self, breaker: CircuitBreaker) -> Permit:
        """Leave to make one call through ``breaker``'s circuit; raises ``CircuitOpenError`` if refused."""
        if not isinstance(breaker, CircuitBreaker):
            raise UsageError(
                "Breakers.acquire() takes a CircuitBreaker, e.g. CircuitBreaker('openai'); "
                f"not {type(breaker).__name__}."
            )
        key = breaker.key
        with self._lock:
            now = self._clock()  # read under the lock: circuits see time in the order they change
            old = self._circuits.get(key)
            if old is None:
                old = Circuit(settings=breaker, epoch=next(self._epochs))
                self._circuits[key] = old
            elif old.settings != breaker:
                raise UsageError(
                    f"Circuit {key!r} is used with two different settings: {old.settings!r} "
                    f"and {breaker!r}. Steps that share a key share one circuit: give them the "
                    "same CircuitBreaker, or another key."
                )
            new = transition(old, "acquire", now)
            if new is None:
                raise _refusal(old, now)
            logged = self._store(key, old, new)
            permit = Permit(key, self._circuits[key].epoch, probe=new.state == "half_open")
        _log_transition(logged)
        return permit

    def release(self, permit: object, *, ok: bool | None) -> None:
        """End the call ``permit`` let through: ``ok=True`` a success, ``False`` a failure that counts.

        ``ok=None`` gives no verdict: the attempt was cancelled, or it failed with an error
        the breaker does not count (``CircuitBreaker.counts(error)`` is False). A permit is
        released once; a second release is a :class:`~llmkit.errors.UsageError`.
        """
        if not isinstance(permit, Permit):
            raise UsageError(
                f"Breakers.release() takes the Permit acquire() returned, not {type(permit).__name__}."
            )
        if ok is not None and not isinstance(ok, bool):
            raise UsageError(f"Breakers.release(ok=...) takes True, False or None, not {ok!r}.")
        event: Literal["success", "failure", "cancel"] = (
            "cancel" if ok is None else "success" if ok else "failure"
        )
        logged: _Logged = None
        with self._lock:
            now = self._clock()
            if not permit._settle():
                raise UsageError(f"{permit!r} was already released: release each permit once.")
            old = self._circuits.get(permit.key)
            if old is not None and old.epoch == permit.epoch:
                logged = self._store(permit.key, old, transition(old, event, now))
        _log_transition(logged)

    def _store(self, key: str, old: Circuit, new: Circuit) -> _Logged:
        """Keep ``new`` as the circuit of ``key``; a change of state starts a new period."""
        if new.state == old.state:
            self._circuits[key] = new
            return None
        self._circuits[key] = replace(new, epoch=next(self._epochs))
        return (key, old.state, new.state, new.failures)

    def __repr__(self) -> str:
        with self._lock:
            shown = ", ".join(f"{k}={c.state}" for k, c in sorted(self._circuits.items()))
        return f"<Breakers {shown or 'empty'}>"


def _refusal(circuit: Circuit, now: float) -> CircuitOpenError:
    key = circuit.settings.key
    if circuit.state == "open":
        wait = circuit.retry_in(now)
        message = (
            f"Circuit {key!r} is open after {_failures(circuit.failures)} in a row; "
            f"the next try is in {wait:.1f} s"
        )
        return CircuitOpenError(message, key=key, retry_in=wait)
    probes = circuit.settings.probes
    message = (
        f"Circuit {key!r} is half-open and lets {probes} probe{'s' if probes != 1 else ''} "
        "through at a time; the next try is when one ends"
    )
    return CircuitOpenError(message, key=key, retry_in=0.0)


def _failures(count: int) -> str:
    return f"{count} failure" if count == 1 else f"{count} failures"


def _log_transition(logged: _Logged) -> None:
    if logged is None:
        return
    key, old, new, failures = logged
    if new == "open":
        again = " again" if old == "half_open" else ""
        _log.warning("Circuit %r opened%s after %s in a row", key, again, _failures(failures))
    elif new == "half_open":
        _log.warning("Circuit %r is half-open: letting a probe through", key)
    else:
        _log.warning("Circuit %r closed: its probes succeeded", key)


_scoped: contextvars.ContextVar[Breakers | None] = contextvars.ContextVar(
    "llmkit_breakers", default=None
)
_default: Breakers | None = None
_default_lock = threading.Lock()


def breakers() -> Breakers:
    """The breakers a run uses by default: the ones :func:`use_breakers` set, else the process's own."""
    scoped = _scoped.get()
    if scoped is not None:
        return scoped
    global _default
    with _default_lock:
        if _default is None:
            _default = Breakers()
        return _default


def reset_breakers() -> Breakers:
    """Replace the process's default registry with a new, empty one (for tests); returns it."""
    global _default
    with _default_lock:
        _default = Breakers()
        return _default


@contextmanager
def use_breakers(registry: Breakers) -> Iterator[Breakers]:
    """Make ``registry`` the default within a ``with`` block (this thread or task and its children)."""
    if not isinstance(registry, Breakers):
        raise UsageError(
            f"use_breakers() takes a Breakers registry, not {type(registry).__name__}."
        )
    token = _scoped.set(registry)
    try:
        yield registry
    finally:
        _scoped.reset(token)

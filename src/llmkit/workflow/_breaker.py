"""``CircuitBreaker``: the settings of one circuit, shared by key across steps and runs.

Configuration only, frozen and checked when built (a bad value is a
:class:`~llmkit.errors.UsageError` naming the option). The state of each circuit (closed,
open, half-open) lives in a ``Breakers`` registry, keyed by :attr:`CircuitBreaker.key`, so
every step and every run that names the same key shares one circuit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from llmkit.errors import UsageError
from llmkit.workflow._retry import ErrorTypes, check_error_types, matches

__all__ = ["CircuitBreaker"]


@dataclass(frozen=True, slots=True)
class CircuitBreaker:
    """Stop calling a failing dependency for a while; shared by ``key`` across steps and runs.

    Closed, it lets every call through and counts failures in a row; at
    ``failure_threshold`` it opens and refuses calls (``CircuitOpenError``) for
    ``reset_timeout`` seconds; then it lets ``probes`` calls through (half-open): that many
    successes close it, a failure opens it again.
    """

    key: str
    """The circuit's name: steps naming the same key share its state."""
    failure_threshold: int = 5
    """Failures in a row that open the circuit."""
    reset_timeout: float = 30.0
    """Seconds the circuit stays open before a probe is let through."""
    probes: int = 1
    """Successful probes (half-open) that close the circuit again."""
    on: ErrorTypes | None = None
    """The errors that count as failures; None: the default rule of ``Retry``."""

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not self.key.strip():
            raise UsageError(
                "CircuitBreaker(key=...) names the circuit steps share, e.g. "
                f"CircuitBreaker('openai'); not {self.key!r}."
            )
        for option in ("failure_threshold", "probes"):
            value = getattr(self, option)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise UsageError(
                    f"CircuitBreaker({option}=...) takes a whole number, 1 or more, not {value!r}."
                )
        timeout = self.reset_timeout
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)
            or not math.isfinite(timeout)
            or timeout < 0
        ):
            raise UsageError(
                f"CircuitBreaker(reset_timeout=...) takes seconds, 0 or more, not {timeout!r}."
            )
        check_error_types(self.on, owner="CircuitBreaker")

    def counts(self, error: BaseException) -> bool:
        """Whether ``error`` counts as a failure of this circuit (``on=``, else the default rule)."""
        return matches(error, self.on)

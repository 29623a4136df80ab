"""The limits a script runs under, read from numbers or from the command line's text.

``Limits`` is frozen plain data; :func:`parse_size` and :func:`parse_duration`
read ``"64MB"`` and ``"30s"`` and raise :class:`~llmkit.errors.UsageError`
with the accepted forms for anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from llmkit.errors import UsageError

__all__ = ["SANDBOXES", "Limits", "Sandbox", "parse_duration", "parse_size"]

Sandbox = Literal["strict", "standard", "permissive"]
"""What a script may reach: ``strict`` (pure computation and the bridges), ``standard``
(adds ``os.time``/``os.clock``/``os.date`` and ``require`` of modules beside the script),
``permissive`` (the whole standard library: trusted scripts only)."""

SANDBOXES: tuple[str, ...] = ("strict", "standard", "permissive")

_UNITS = {
    "": 1,
    "b": 1,
    "kb": 1024,
    "k": 1024,
    "mb": 1024**2,
    "m": 1024**2,
    "gb": 1024**3,
    "g": 1024**3,
}
_TIMES = {"": 1.0, "s": 1.0, "ms": 0.001, "m": 60.0, "min": 60.0, "h": 3600.0}


def parse_size(value: int | str | None) -> int | None:
    """Bytes from ``64MB``, ``512kb``, ``1G`` or an int; None stays None (no limit)."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        if isinstance(value, int) and value <= 0:
            raise UsageError(f"A size must be positive, not {value}.")
        return value
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", str(value))
    if not match or match.group(2).lower() not in _UNITS:
        raise UsageError(
            f"Give a size such as 64MB, 512KB or 1GB (or bytes as an int), not {value!r}."
        )
    size = int(float(match.group(1)) * _UNITS[match.group(2).lower()])
    if size <= 0:
        raise UsageError(f"A size must be positive, not {value!r}.")
    return size


def parse_duration(value: float | str | None) -> float | None:
    """Seconds from ``30s``, ``500ms``, ``2m`` or a number; None stays None (no limit)."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", str(value))
        if not match or match.group(2).lower() not in _TIMES:
            raise UsageError(
                f"Give a duration such as 30s, 500ms or 2m (or seconds), not {value!r}."
            )
        seconds = float(match.group(1)) * _TIMES[match.group(2).lower()]
    if seconds <= 0:
        raise UsageError(f"A duration must be positive, not {value!r}.")
    return seconds


@dataclass(frozen=True, slots=True)
class Limits:
    """What one script run may use; None means no limit.

    ``timeout`` is seconds of the engine's clock (host calls included);
    ``max_memory`` bytes of the engine's heap; ``max_instructions`` VM
    instructions over every coroutine of the run; ``max_depth`` nested
    calls of one coroutine; ``max_output`` bytes of ``print`` and ``output``.
    """

    timeout: float | None = None
    max_memory: int | None = None
    max_instructions: int | None = None
    max_depth: int | None = 200
    max_output: int | None = 10 * 1024 * 1024

    def __post_init__(self) -> None:
        for name in ("max_instructions", "max_depth", "max_output"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value <= 0):
                raise UsageError(f"Limits({name}=...) takes a positive int or None, not {value!r}.")

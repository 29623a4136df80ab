"""Counts in words: ``plural(1, "model call")`` is ``"1 model call"``, ``plural(2, ...)`` ``"2 model calls"``.

Every message that shows a count of things goes through :func:`plural`, so no
line says "1 model calls". It imports nothing, so any layer may use it.
"""

from __future__ import annotations

__all__ = ["plural"]


def plural(count: int | None, noun: str, many: str | None = None) -> str:
    """``count`` followed by ``noun``, or by its plural (``many``, default ``noun + "s"``).

    An unknown count (None) is shown as ``?`` with the plural.
    """
    if count is None:
        return f"? {many or noun + 's'}"
    return f"{count} {noun if count == 1 else many or noun + 's'}"

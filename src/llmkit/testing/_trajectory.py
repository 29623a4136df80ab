"""Comparing an expected tool trajectory with the calls a run made.

Three orders, shared by the ``calls_tools`` matcher and the evaluations'
trajectory metric:

- ``"exact"``: the same calls, in the same order, and nothing else;
- ``"in_order"``: the expected calls appear in this order, other calls may come between;
- ``"any_order"``: each expected call appears (each actual call counts once), in any order.

The score is the share of expected calls that were found (for ``exact``, 1
or 0), so an evaluation can report partial credit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias, TypeVar

from llmkit.errors import UsageError

__all__ = ["ORDERS", "Order", "TrajectoryMatch", "check_order", "match_trajectory"]

Order: TypeAlias = Literal["exact", "in_order", "any_order"]
"""How an expected trajectory is compared with the actual calls."""

ORDERS: tuple[Order, ...] = ("exact", "in_order", "any_order")
"""The three orders, as a :class:`UsageError` lists them."""

E = TypeVar("E")
A = TypeVar("A")


@dataclass(frozen=True, slots=True)
class TrajectoryMatch:
    """The outcome of a comparison: a score in [0, 1] and which actual call met which expectation."""

    ok: bool
    score: float
    pairs: tuple[tuple[int, int], ...]
    """(expected index, actual index) for every expected call that was found."""
    missing: tuple[int, ...]
    """Indexes of expected calls that were not found."""


def check_order(order: str) -> Order:
    """``order`` if it is one of :data:`ORDERS`, else a :class:`UsageError`."""
    for known in ORDERS:
        if order == known:
            return known
    raise UsageError(f"order must be one of {', '.join(map(repr, ORDERS))}, not {order!r}.")


def match_trajectory(
    expected: Sequence[E],
    actual: Sequence[A],
    fits: Callable[[E, A], bool],
    order: str = "in_order",
) -> TrajectoryMatch:
    """Compare ``actual`` calls with ``expected`` ones; ``fits(e, a)`` says whether one call meets one expectation."""
    check_order(order)
    n, m = len(expected), len(actual)
    fit = [[fits(e, a) for a in actual] for e in expected]
    if order == "exact":
        pairs = tuple((i, i) for i in range(min(n, m)) if fit[i][i])
        ok = n == m and len(pairs) == n
        missing = tuple(i for i in range(n) if (i, i) not in pairs)
        return TrajectoryMatch(ok, 1.0 if ok else 0.0, pairs, missing)
    if order == "in_order":
        pairs = _longest_in_order(fit, n, m)
    else:
        pairs = _most_in_any_order(fit, n, m)
    found = {i for i, _ in pairs}
    missing = tuple(i for i in range(n) if i not in found)
    score = 1.0 if n == 0 else len(pairs) / n
    return TrajectoryMatch(not missing, score, pairs, missing)


def _longest_in_order(fit: list[list[bool]], n: int, m: int) -> tuple[tuple[int, int], ...]:
    # Longest common subsequence where "equal" means "fits"; trajectories are short.
    best = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            if fit[i][j]:
                best[i][j] = best[i + 1][j + 1] + 1
            else:
                best[i][j] = max(best[i + 1][j], best[i][j + 1])
    pairs: list[tuple[int, int]] = []
    i = j = 0
    while i < n and j < m:
        if fit[i][j] and best[i][j] == best[i + 1][j + 1] + 1:
            pairs.append((i, j))
            i += 1
            j += 1
        elif best[i + 1][j] >= best[i][j + 1]:
            i += 1
        else:
            j += 1
    return tuple(pairs)


def _most_in_any_order(fit: list[list[bool]], n: int, m: int) -> tuple[tuple[int, int], ...]:
    # Maximum bipartite matching (augmenting paths): each actual call meets one expectation.
    owner: list[int | None] = [None] * m

    def assign(i: int, seen: set[int]) -> bool:
        for j in range(m):
            if fit[i][j] and j not in seen:
                seen.add(j)
                holder = owner[j]
                if holder is None or assign(holder, seen):
                    owner[j] = i
                    return True
        return False

    for i in range(n):
        assign(i, set())
    return tuple(sorted((i, j) for j, i in enumerate(owner) if i is not None))

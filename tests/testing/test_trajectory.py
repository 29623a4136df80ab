"""Trajectory comparison: exact, in order, any order, with partial scores."""

from __future__ import annotations

import pytest

from llmkit.errors import UsageError
from llmkit.testing._trajectory import match_trajectory


def same(e: str, a: str) -> bool:
    return e == a


@pytest.mark.parametrize(
    ("expected", "actual", "order", "ok", "score"),
    [
        ("ab", "ab", "exact", True, 1.0),
        ("ab", "abc", "exact", False, 0.0),
        ("ab", "ba", "exact", False, 0.0),
        ("", "", "exact", True, 1.0),
        ("", "a", "exact", False, 0.0),
        ("ac", "abc", "in_order", True, 1.0),
        ("ca", "abc", "in_order", False, 0.5),
        ("abd", "xaybz", "in_order", False, 2 / 3),
        ("", "abc", "in_order", True, 1.0),
        ("ca", "abc", "any_order", True, 1.0),
        ("aa", "ab", "any_order", False, 0.5),  # each actual call counts once
        ("aab", "aba", "any_order", True, 1.0),
    ],
)
def test_orders_and_scores(expected: str, actual: str, order: str, ok: bool, score: float) -> None:
    found = match_trajectory(list(expected), list(actual), same, order)
    assert found.ok is ok
    assert found.score == pytest.approx(score)


def test_pairs_and_missing_name_the_calls() -> None:
    found = match_trajectory(list("abd"), list("xaybz"), same, "in_order")
    assert found.pairs == ((0, 1), (1, 3))
    assert found.missing == (2,)


def test_any_order_finds_the_best_assignment() -> None:
    # "a*" fits a or b, "a" fits only a: the greedy choice a*->a would strand "a".
    def fits(e: str, a: str) -> bool:
        return a in ("ab" if e == "*" else e)

    found = match_trajectory(["*", "a"], ["a", "b"], fits, "any_order")
    assert found.ok and sorted(found.pairs) == [(0, 1), (1, 0)]


def test_unknown_order_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="order must be one of 'exact', 'in_order', 'any_order'"):
        match_trajectory([], [], same, "random")

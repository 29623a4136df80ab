"""The statistics the report is built from."""

from __future__ import annotations

import pytest

from bench._stats import median, percentile, ratio


def test_median_of_odd_and_even_counts() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5


def test_median_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="no values"):
        median([])


def test_percentile_is_a_measured_value_by_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 95) == 95.0
    assert percentile(values, 100) == 100.0
    assert percentile([5.0, 1.0], 50) == 1.0
    assert percentile([7.0], 95) == 7.0


@pytest.mark.parametrize("pct", [0, -1, 101])
def test_percentile_outside_its_range_is_an_error(pct: float) -> None:
    with pytest.raises(ValueError, match="percentile"):
        percentile([1.0], pct)


def test_ratio_needs_both_figures_and_a_positive_floor() -> None:
    assert ratio(1.5, 1.0) == 1.5
    assert ratio(None, 1.0) is None
    assert ratio(1.0, None) is None
    assert ratio(1.0, 0.0) is None

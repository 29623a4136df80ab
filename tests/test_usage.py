"""Usage.sum: many usages added up in one pass, by the rules of ``+``."""

from __future__ import annotations

import functools
import operator
import random

import pytest

from llmkit.errors import UsageError
from llmkit.types import Usage


class Priced(Usage):
    """A usage whose cost is left to a pricer; counts pricer calls and reads of its cost."""

    __slots__ = ()
    pricer_calls: list[int] = []  # noqa: RUF012  (shared counters, reset by each test)
    reads: list[int] = []  # noqa: RUF012

    @property
    def cost(self) -> float | None:
        Priced.reads.append(self.input_tokens)
        return Usage.cost.fget(self)  # type: ignore[attr-defined]  # the property of the base

    @cost.setter
    def cost(self, value: float | None) -> None:
        Usage.cost.fset(self, value)  # type: ignore[attr-defined]  # the property of the base


def priced(price: float | None, *counts: int, estimated: bool = False) -> Usage:
    usage = Priced(*counts, estimated=estimated)

    def pricer(u: Usage) -> float | None:
        Priced.pricer_calls.append(u.input_tokens)
        return price

    usage.defer_cost(pricer)
    return usage


@pytest.fixture(autouse=True)
def counters() -> None:
    Priced.pricer_calls.clear()
    Priced.reads.clear()


def some_usage(rng: random.Random) -> Usage:
    """One usage of a random kind: known or unknown cost, priced later, empty, a sum."""
    counts = [rng.randrange(0, 50) for _ in range(6)]
    if rng.random() < 0.25:
        counts[0] = counts[1] = counts[5] = 0  # used nothing: adds nothing to the cost
    price = rng.random() / 1000 if rng.random() < 0.8 else None
    estimated = rng.random() < 0.1
    kind = rng.randrange(4)
    if kind == 0:
        return Usage(*counts, cost=price, estimated=estimated)
    if kind == 1:
        return priced(price, *counts, estimated=estimated)
    if kind == 2:
        return priced(price, *counts) + Usage(*counts, cost=price)  # a deferred sum
    return Usage(*counts, estimated=estimated)


def one_by_one(usages: list[Usage]) -> Usage:
    return functools.reduce(operator.add, usages) if usages else Usage()


def fields(usage: Usage) -> tuple[object, ...]:
    """Every count, the cost and the estimate flag (whatever class the usage is)."""
    return (*usage.to_dict().values(), usage.cost, usage.estimated, usage.input_tokens)


def test_sum_gives_what_adding_one_by_one_gives_to_the_last_bit() -> None:
    rng = random.Random(29)
    for _ in range(400):
        Priced.pricer_calls.clear()
        usages = [some_usage(rng) for _ in range(rng.randrange(0, 9))]
        total = Usage.sum(usages)
        assert Priced.pricer_calls == []  # adding looks up no price
        expected = one_by_one(usages)
        assert fields(total) == fields(expected)  # every count, estimated, the cost exactly
        assert total is not expected and all(total is not u for u in usages)


def test_the_cost_rules_of_plus() -> None:
    known = Usage(10, 5, requests=1, cost=0.25)
    unknown = Usage(10, 5, requests=1)
    empty_unknown = Usage(cache_read_tokens=3)
    assert Usage.sum([known, known]).cost == 0.5
    assert Usage.sum([known, unknown, known]).cost is None  # a part that used something
    assert Usage.sum([empty_unknown, known, empty_unknown]).cost == 0.25  # adds nothing
    assert Usage.sum([empty_unknown]).cost is None
    assert Usage.sum([known, priced(None, 1, 1, 0, 0, 0, 1)]).cost is None
    assert Usage.sum([priced(None), known]).cost == 0.25
    assert Usage.sum([known, Usage(estimated=True)]).estimated is True
    assert Usage.sum([]) == Usage() and Usage.sum(iter([known])) == known


def test_deferred_costs_are_priced_once_when_the_total_is_read() -> None:
    parts = [priced(0.5, n, 1, 0, 0, 0, 1) for n in range(1, 2001)]
    total = Usage.sum(parts)
    assert Priced.pricer_calls == [] and total.requests == 2000
    assert total.cost == 1000.0
    assert sorted(Priced.pricer_calls) == list(range(1, 2001))
    again = Usage.sum([total, *parts])  # costs already worked out are kept
    assert again.cost == 2000.0 and len(Priced.pricer_calls) == 2000


def test_something_that_is_not_a_usage_is_refused_saying_what_to_pass() -> None:
    with pytest.raises(UsageError, match=r"adds Usage objects .* got a dict"):
        Usage.sum([Usage(), {"input_tokens": 1}])  # type: ignore[list-item]  # the wrong input

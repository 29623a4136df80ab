"""The shared expression evaluator: every operation is bounded before it runs, in both dialects."""

from __future__ import annotations

import re

import pytest

from llmkit.tools._deadline import call_limit
from llmkit.tools.builtin import Refused, calculate, transform


@pytest.mark.parametrize(
    ("expression", "rule"),
    [
        ("round(5, -100000000)", "max_digits"),  # would compute 10**100000000 holding the GIL
        ("round(5, -100000)", "max_digits"),
        ("round(5.5, -100000000)", "max_digits"),
        ("round(5, 100000000)", "max_digits"),
        ("round(5, 10 ** 3000)", "max_digits"),
        ("round(5, 0.5)", "type"),
        ("factorial(100000)", "max_digits"),
        ("7 ** 99999", "max_digits"),
        ("(10 ** 3000) * (10 ** 3000)", "max_digits"),
        ("1 << 100000000", "syntax"),
        ("pow(2, 10 ** 9, 7)", "syntax"),
        ("comb(10 ** 6, 5 * 10 ** 5)", "syntax"),
    ],
)
def test_the_calculator_refuses_huge_operands_before_computing(expression: str, rule: str) -> None:
    with pytest.raises(Refused) as caught:
        calculate(expression)
    assert caught.value.rule == rule


@pytest.mark.parametrize(
    ("expression", "rule"),
    [
        ("round(x, -100000000)", "max_digits"),
        ("round(x, -100000)", "max_digits"),
        ("'a' * 1000000000", "type"),
        ("name * 1000000000", "type"),
        ("[0] * 1000000000", "type"),
        ("x ** 99999", "max_digits"),
        ("x << 100000000", "syntax"),
    ],
)
def test_record_expressions_refuse_huge_operands_before_computing(
    expression: str, rule: str
) -> None:
    records = [{"x": 5, "name": "ab"}]
    for step in ({"filter": expression}, {"map": {"y": expression}}):
        with pytest.raises(Refused) as caught:
            transform(records, [step])
        assert caught.value.rule == rule


def test_round_within_its_bounds_is_exact() -> None:
    assert calculate("round(123456, -3)") == 123000
    assert calculate("round(2.675, 2)") == round(2.675, 2)
    assert calculate("round(2.5)") == 2
    assert calculate("round(10 ** 3999, -4000)") == 0
    assert transform([{"x": 1234.5678}], [{"map": {"r": "round(x, 1)"}}]) == [
        {"x": 1234.5678, "r": 1234.6}
    ]


def test_an_abandoned_call_stops_at_the_next_evaluation() -> None:
    with call_limit(None) as limit:
        assert calculate("1 + 1") == 2
        limit.abandon()
        with pytest.raises(TimeoutError, match="abandoned"):
            calculate("1 + 1")


BIG = "9" * 90_000


@pytest.mark.parametrize(
    "expression",
    [
        "str([s, s])",  # 180,000 characters built by str() of a list (was 900 kB for ten)
        "lower(str([s, s, s, s, s, s, s, s, s, s]))",
        "upper([s, s])",
        "len(str(numbers))",
        "str(nested)",
        "lower(s + s)",
    ],
)
def test_text_is_bounded_however_it_is_built(expression: str) -> None:
    records = [{"s": BIG, "numbers": list(range(50_000)), "nested": {"a": [BIG, {"b": BIG}]}}]
    with pytest.raises(Refused) as caught:
        transform(records, [{"map": {"t": expression}}])
    assert caught.value.rule == "max_result"
    assert "longer than 100,000 characters" in str(caught.value)


def test_text_within_the_bound_is_built() -> None:
    records = [{"s": "Ab", "n": [1, 2], "big": BIG}]
    steps = [{"map": {"a": "str(n)", "b": "lower(s) + upper(s)", "c": "len(str(big))"}}]
    assert transform(records, steps)[0] | {"big": ""} == {
        "s": "Ab",
        "n": [1, 2],
        "big": "",
        "a": "[1, 2]",
        "b": "abAB",
        "c": 90_000,
    }


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("x * 10", "too large for a floating-point number"),
        ("float(s)", "float(...) gives inf"),
        ("float('nan')", "float(...) gives nan"),
    ],
)
def test_record_arithmetic_that_overflows_a_float_is_refused(expression: str, message: str) -> None:
    with pytest.raises(Refused, match=re.escape(message)) as caught:
        transform([{"x": 1e308, "s": BIG}], [{"map": {"y": expression}}])
    assert caught.value.rule == "max_result"

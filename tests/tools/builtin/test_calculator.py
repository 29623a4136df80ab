"""The calculator: exact arithmetic, functions, and refusals that come before any big work."""

from __future__ import annotations

import math

import pytest

from llmkit.errors import ToolError, UsageError
from llmkit.tools.builtin import Refused, calculate, calculator, make_calculator


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("2 ** 10", 1024),
        ("7 // 2", 3),
        ("7 % 4", 3),
        ("-3 + +4", 1),
        ("sqrt(16) + log10(1000)", 7.0),
        ("log(8, 2)", 3.0),
        ("round(pi, 3)", 3.142),
        ("max(1, 5, 3) - min(4, 2)", 3),
        ("factorial(10)", 3628800),
        ("2 ** 100", 2**100),
    ],
)
def test_it_computes(expression: str, expected: float) -> None:
    assert calculate(expression) == expected


def test_floats_and_constants() -> None:
    assert math.isclose(calculate("sin(pi / 2)"), 1.0)
    assert math.isclose(calculate("e ** 2"), math.e**2)


def test_the_tool_is_a_tool_with_a_schema() -> None:
    assert calculator.name == "calculator"
    assert calculator.spec.parameters["required"] == ["expression"]
    assert "sqrt" in calculator.description
    assert calculator("6 * 7") == 42


def test_a_tower_of_powers_is_refused_quickly() -> None:
    # Computing it would never end: a refusal at all means it was refused before computing.
    with pytest.raises(Refused) as caught:
        calculate("9**9**9**9")
    assert caught.value.rule == "max_exponent"
    assert "max_exponent" in str(caught.value)
    assert isinstance(caught.value, ToolError)


@pytest.mark.parametrize(
    ("expression", "rule"),
    [
        ("10 ** 5000", "max_digits"),
        ("(10 ** 2000) * (10 ** 2500)", "max_digits"),
        ("2 ** 200000", "max_exponent"),
        ("factorial(100000)", "max_digits"),
        ("10.0 ** 400", "max_result"),
        ("exp(1000)", "max_result"),
        ("1 / 0", "math"),
        ("sqrt(-1)", "math"),
        ("__import__('os').system('true')", "syntax"),
        ("().__class__", "syntax"),
        ("open('x')", "syntax"),
        ("[1, 2]", "syntax"),
        ("1 < 2", "syntax"),
        ("'a' * 3", "syntax"),
        ("x + 1", "syntax"),
        ("lambda: 1", "syntax"),
        ("1 +", "syntax"),
        ("", "syntax"),
        ("1 << 100000", "syntax"),
        ("+".join(["1"] * 400), "max_nodes"),
        ("1" * 2000, "max_length"),
    ],
)
def test_refusals_name_their_rule(expression: str, rule: str) -> None:
    with pytest.raises(Refused) as caught:
        calculate(expression)
    assert caught.value.rule == rule
    assert f"Refused ({rule})" in str(caught.value)


def test_powers_of_one_and_zero_are_fine_with_big_exponents() -> None:
    assert calculate("1 ** (10 ** 9)") == 1
    assert calculate("0 ** (10 ** 9)") == 0


def test_bounds_are_configurable() -> None:
    tight = make_calculator(max_exponent=10, name="calc")
    assert tight.name == "calc"
    assert tight("2 ** 10") == 1024
    with pytest.raises(Refused, match="max_exponent"):
        tight("2 ** 11")
    with pytest.raises(UsageError, match="max_digits"):
        make_calculator(max_digits=5000)


def test_factorial_is_refused_from_its_argument_naming_the_largest_allowed() -> None:
    assert calculate("factorial(1463)") == math.factorial(1463)  # 3,998 digits
    with pytest.raises(Refused, match=r"factorial\(1464\) would have 4,001 digits") as caught:
        calculate("factorial(1464)")
    assert caught.value.rule == "max_digits"
    assert "the largest allowed is factorial(1463)" in str(caught.value)
    tight = make_calculator(max_digits=10)
    assert tight("factorial(13)") == 6227020800
    with pytest.raises(
        Refused, match=r"4,115 digits, more than 10; the largest .* factorial\(13\)"
    ):
        tight("factorial(1500)")
    with pytest.raises(Refused, match=r"the largest allowed is factorial\(1463\)"):
        calculate("factorial(10 ** 3000)")  # the digits are not even estimated


def test_the_digit_bound_is_exact_and_refusals_count_the_digits_right() -> None:
    assert calculate("2 ** 13287") == 2**13287  # 4,000 digits: allowed
    assert calculate("2 ** 6643 * 2 ** 6644") == 2**13287  # its factors' sizes do not refuse it
    assert calculate("10 ** 3999 * 9") == 9 * 10**3999
    with pytest.raises(Refused, match="the result would have 4,001 digits, more than 4,000"):
        calculate("2 ** 13288")
    with pytest.raises(Refused, match="the result would have 4,001 digits, more than 4,000"):
        calculate("10 ** 4000")  # was let through: its bit length fits the bound
    with pytest.raises(Refused, match="would have about 6,340 digits, more than 4,000"):
        calculate("3 ** 13288")  # refused from its operands, before computing
    with pytest.raises(Refused, match="would have about 7,999 digits, more than 4,000"):
        calculate("10 ** 3999 * 10 ** 3999")  # refused from its operands too
    with pytest.raises(Refused, match="would have 11 digits, more than 10"):
        make_calculator(max_digits=10)("10 ** 10")


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("1e308 * 10", "too large for a floating-point number"),  # was inf
        ("1e308 + 1e308", "too large for a floating-point number"),
        ("-1e308 * 10", "too large for a floating-point number"),
        ("1e999 * 0", "too large for a floating-point number"),  # the literal is inf already
        ("inf", "the result is infinite"),
        ("inf - 1", "the result is infinite"),
        ("inf - inf", "not a number"),
    ],
)
def test_a_result_that_is_not_a_finite_number_is_refused(expression: str, message: str) -> None:
    with pytest.raises(Refused, match=message):
        calculate(expression)


def test_inf_still_works_inside_an_expression() -> None:
    assert calculate("min(inf, 3)") == 3
    assert calculate("1 / inf") == 0.0
    assert calculate("hypot(1e308, 1e308)") == math.hypot(1e308, 1e308)

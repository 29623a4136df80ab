"""The math family: a calculator the model can trust with arithmetic.

::

    from llmkit.tools.builtin import calculator

    calculator("sqrt(2) * 10 ** 3")     # 1414.213562373095
    calculator("9**9**9**9")            # Refused (max_exponent): refused at once, not computed

Expressions use Python's syntax (``+ - * / // % **``, parentheses) with the
functions and constants of :data:`FUNCTIONS` and :data:`CONSTANTS`. They are
parsed with :mod:`ast` and evaluated node by node; nothing reaches ``eval``.
Every operation is checked for size before it runs (integer powers and
products, ``round``'s digits, ``factorial``'s argument against the largest
whose factorial fits ``max_digits``), so one evaluation takes at most
milliseconds; the tool runs on the event loop for that reason. The result is
a finite number: an overflow to ``inf`` is refused, and so is a result that is
``inf`` or ``nan`` (the constant ``inf`` still works inside, ``min(x, inf)``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import Field

from llmkit.errors import UsageError
from llmkit.tools._tool import Tool
from llmkit.tools.builtin._expr import Dialect, evaluate, round_number
from llmkit.tools.builtin._policy import Refused

__all__ = ["CONSTANTS", "FUNCTIONS", "calculate", "calculator", "make_calculator"]


def _log(x: float, base: float | None = None) -> float:
    return math.log(x) if base is None else math.log(x, base)


def _round(x: float, digits: int = 0) -> Any:
    # round(x) gives a whole number; round(x, -n) computes 10**n, so digits are bounded.
    return round_number(x, digits) if digits else round(x)


@functools.cache
def _factorial_within(max_digits: int) -> Callable[[int], int]:
    """``factorial`` refusing, before computing, an ``n`` whose ``n!`` has over ``max_digits`` digits."""
    largest = 0  # the largest n with n! < 10**max_digits; log10(n!) = lgamma(n + 1) / ln(10)
    while math.lgamma(largest + 2) / _LN10 < max_digits:
        largest += 1

    def factorial(n: int) -> int:
        if not isinstance(n, int) or isinstance(n, bool):
            raise ValueError("factorial takes a whole number")
        if n > largest:
            size = (
                f"{math.floor(math.lgamma(n + 1) / _LN10) + 1:,} digits, more than {max_digits:,}"
                if n < 10**6
                else f"more than {max_digits:,} digits"
            )
            raise Refused(
                "max_digits",
                f"factorial({_shown(n)}) would have {size}; "
                f"the largest allowed is factorial({largest}).",
            )
        return math.factorial(n)

    return factorial


_LN10 = math.log(10)


def _shown(n: int) -> str:
    return str(n) if n < 10**20 else f"a number of {len(str(n)):,} digits"


FUNCTIONS: dict[str, Any] = {
    "abs": abs,
    "round": _round,
    "min": min,
    "max": max,
    "sqrt": math.sqrt,
    "cbrt": lambda x: math.copysign(abs(x) ** (1 / 3), x),
    "exp": math.exp,
    "log": _log,
    "ln": math.log,
    "log10": math.log10,
    "log2": math.log2,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
    "atan2": math.atan2,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "tanh": math.tanh,
    "degrees": math.degrees,
    "radians": math.radians,
    "hypot": math.hypot,
    "floor": math.floor,
    "ceil": math.ceil,
    "trunc": math.trunc,
    "factorial": _factorial_within(4000),
    "gcd": math.gcd,
}
"""The functions an expression may call (angles in radians)."""

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e, "tau": math.tau, "inf": math.inf}
"""The named constants an expression may use."""

_DEFAULT = Dialect(functions=FUNCTIONS, constants=CONSTANTS)


def calculate(expression: str, *, dialect: Dialect = _DEFAULT) -> int | float:
    """The value of an arithmetic ``expression``; :class:`Refused` names the rule it broke."""
    value = evaluate(expression, dialect)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise Refused("syntax", "the expression does not give a number.")
    if isinstance(value, float) and math.isnan(value):
        raise Refused("math", "the result is not a number (NaN); check the domain of functions.")
    if isinstance(value, float) and math.isinf(value):
        raise Refused("max_result", "the result is infinite; a calculation needs a finite answer.")
    return value


def make_calculator(
    *,
    max_length: int = 1000,
    max_exponent: int = 100_000,
    max_digits: int = 4000,
    name: str = "calculator",
) -> Tool[..., Any]:
    """A calculator tool with its own bounds (see :data:`calculator` for the default one).

    ``max_length`` bounds the expression text, ``max_exponent`` integer
    exponents, and ``max_digits`` the size of every integer on the way
    (at most 4,000: Python cannot print longer ones by default).
    """
    if not 0 < max_digits <= 4000:
        raise UsageError(f"max_digits={max_digits}: use a number from 1 to 4000.")
    dialect = Dialect(
        functions={**FUNCTIONS, "factorial": _factorial_within(max_digits)},
        constants=CONSTANTS,
        max_length=max_length,
        max_exponent=max_exponent,
        max_digits=max_digits,
    )
    names = ", ".join(sorted(FUNCTIONS))

    def calculate_expression(
        expression: Annotated[
            str, Field(description="An arithmetic expression, e.g. 'sqrt(2) * (3 + 4) ** 2'.")
        ],
    ) -> int | float:
        return calculate(expression, dialect=dialect)

    return Tool(
        calculate_expression,
        name=name,
        description=(
            "Evaluate an arithmetic expression exactly (Python syntax: + - * / // % **, "
            f"parentheses). Functions: {names}. Constants: pi, e, tau, inf. Angles in radians."
        ),
        run_in_thread=False,
        category="math",
    )


calculator: Tool[..., Any] = make_calculator()
"""The calculator tool with default bounds: ``Agent(model, tools=[calculator])``."""

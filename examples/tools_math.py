"""The calculator: exact arithmetic for the model, parsed safely, with bounds checked first.

python examples/tools_math.py
"""

from __future__ import annotations

import time

from llmkit.tools.builtin import Refused, calculator, make_calculator


def main() -> None:
    for expression in (
        "(17 + 25) * 3",
        "sqrt(2) ** 2",
        "round(log(1000, 10), 6)",
        "2 ** 64",
        "factorial(20)",
    ):
        print(f"{expression} = {calculator(expression)}")
    for expression in ("9**9**9**9", "10 ** 5000", "1 / 0", "__import__('os').getcwd()"):
        start = time.perf_counter()
        try:
            calculator(expression)
        except Refused as exc:
            took = (time.perf_counter() - start) * 1000
            print(f"{expression}: [{exc.rule}] {exc} ({'fast' if took < 100 else 'slow'})")
    small = make_calculator(max_exponent=100, name="small_calculator")
    print(small.name, small("2 ** 100"))


if __name__ == "__main__":
    main()

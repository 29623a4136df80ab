"""Rules the test suite keeps about itself."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
CLOCKS = {"perf_counter", "monotonic", "time", "perf_counter_ns", "monotonic_ns", "time_ns"}


def _reads_clock(node: ast.AST) -> bool:
    return any(
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr in CLOCKS
        and isinstance(call.func.value, ast.Name)
        and call.func.value.id == "time"
        for call in ast.walk(node)
    )


def _is_elapsed(node: ast.AST, elapsed_names: set[str]) -> bool:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub) and _reads_clock(node):
        return True
    return isinstance(node, ast.Name) and node.id in elapsed_names


def speed_limits_in(source: str) -> list[int]:
    """Lines that assert a measured duration is below some number (they fail on a busy machine)."""
    tree = ast.parse(source)
    elapsed_names = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and _is_elapsed(node.value, set())
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, operands[:-1], operands[1:], strict=True):
            below = (isinstance(op, ast.Lt | ast.LtE) and _is_elapsed(left, elapsed_names)) or (
                isinstance(op, ast.Gt | ast.GtE) and _is_elapsed(right, elapsed_names)
            )
            if below:
                lines.append(node.lineno)
    return lines


def test_no_test_asserts_that_something_was_fast() -> None:
    # A wall-clock upper bound fails on a loaded machine. Prove "it did not wait" by what
    # happened (an event not yet set, a server that never answers, an injected clock).
    found = [
        f"{path.relative_to(TESTS)}:{line}"
        for path in sorted(TESTS.rglob("*.py"))
        for line in speed_limits_in(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_rule_finds_the_usual_spellings() -> None:
    # The sample is source text for the scanner, kept in a data file so no test file holds
    # a duration comparison; its last line is a lower bound, which holds on any machine.
    source = (TESTS / "data" / "speed_limit_sample.txt").read_text(encoding="utf-8")
    assert speed_limits_in(source) == [3, 5, 6]

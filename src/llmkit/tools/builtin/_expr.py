"""A small, safe expression evaluator: Python syntax, parsed with :mod:`ast`, never ``eval``.

Only the node kinds listed here are evaluated; anything else (attribute access
on objects, lambdas, comprehensions, imports, dunder names) is refused before
any work is done. Every operation is bounded *before* it runs, from the size of
its operands, so no single step can hold the interpreter for long:
``9**9**9**9`` is refused from its exponent, ``round(5, -10**8)`` from its
digits (it would compute ``10**100000000``), ``'a' * 10**9`` because text does
not multiply; shifts and bitwise operators are not part of the language.
Integer results are held to ``max_digits`` exactly: an operation whose
operands show it would pass the bound by more than a digit is refused
unbuilt; one that may land within a digit of it is computed (at most a few
thousand digits) and its value checked. Text is held to :data:`MAX_TEXT`
characters however it is built (``+``, :func:`text` for ``str()`` and the case
functions, whose size is measured before they build anything); lists exist
only as literals, so their length is bounded by ``max_nodes``. A float
operation on finite numbers that gives ``inf`` or ``nan`` (an overflow) is
refused instead of passing a non-number on. So one evaluation takes
milliseconds at most; it calls
:func:`~llmkit.tools._deadline.checkpoint` when it starts and before each
function call, so a tool call's time limit stops a loop of evaluations (a
filter over many records) part-way.

Two dialects share the walker: arithmetic for the calculator, and record
expressions for the data tools (field names, comparisons, ``and``/``or``/``not``,
``in``, strings; ``a.b`` and ``a["b"]`` read nested fields of dicts only).
"""

from __future__ import annotations

import ast
import functools
import math
import operator
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from llmkit.tools._deadline import checkpoint
from llmkit.tools.builtin._policy import Refused

__all__ = ["MAX_ROUND_DIGITS", "MAX_TEXT", "Dialect", "evaluate", "parse", "round_number", "text"]

_LOG2_10 = math.log2(10)

MAX_TEXT = 100_000
"""Longest text, in characters, an expression may build."""


@dataclass(frozen=True, slots=True)
class Dialect:
    """What an expression may use, and the bounds on its size and its numbers."""

    functions: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    constants: Mapping[str, Any] = field(default_factory=dict)
    records: bool = False
    """Allow field names, comparisons, boolean logic, strings and nested lookups."""
    max_length: int = 1000
    """Longest expression text, in characters."""
    max_nodes: int = 300
    """Most syntax-tree nodes (numbers, operators, names …)."""
    max_exponent: int = 100_000
    """Largest integer exponent."""
    max_digits: int = 4000
    """Most decimal digits of any integer computed on the way (Python prints at most 4300)."""


_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//"}


def parse(expression: str, dialect: Dialect) -> ast.expr:
    """The syntax tree of ``expression``, refused when too long, too big or not allowed."""
    if not isinstance(expression, str) or not expression.strip():
        raise Refused("syntax", "the expression is empty; write one such as '2 * (3 + 4)'.")
    if len(expression) > dialect.max_length:
        raise Refused(
            "max_length",
            f"the expression has {len(expression)} characters, more than {dialect.max_length}. "
            "Split it into smaller steps.",
        )
    try:
        tree = ast.parse(expression.strip(), mode="eval").body
    except SyntaxError as exc:
        raise Refused("syntax", f"cannot read the expression: {exc.msg}.") from None
    nodes = sum(1 for _ in ast.walk(tree))
    if nodes > dialect.max_nodes:
        raise Refused(
            "max_nodes",
            f"the expression has {nodes} parts, more than {dialect.max_nodes}. Split it up.",
        )
    return tree


def evaluate(
    expression: str | ast.expr, dialect: Dialect, names: Mapping[str, Any] | None = None
) -> Any:
    """The value of ``expression`` with ``names`` (record fields) bound; refusals raise Refused."""
    checkpoint()
    tree = parse(expression, dialect) if isinstance(expression, str) else expression
    return _Walker(dialect, names or {}).visit(tree)


class _Walker:
    __slots__ = ("dialect", "names")

    def __init__(self, dialect: Dialect, names: Mapping[str, Any]) -> None:
        self.dialect = dialect
        self.names = names

    def visit(self, node: ast.AST) -> Any:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise Refused(
                "syntax", f"{_describe(node)} is not allowed in an expression; {self._what()}"
            )
        return method(node)

    def _what(self) -> str:
        if self.dialect.records:
            return "use field names, numbers, strings, operators, comparisons and and/or/not."
        return "use numbers, + - * / // % **, parentheses and the listed functions."

    def _Constant(self, node: ast.Constant) -> Any:
        value = node.value
        if isinstance(value, bool) or value is None:
            if self.dialect.records:
                return value
        elif isinstance(value, int | float):
            if not _finite(value):  # 1e999
                raise _float_overflow()
            return self._bounded(value)
        elif isinstance(value, str) and self.dialect.records:
            return value
        raise Refused("syntax", f"the value {value!r} is not allowed; {self._what()}")

    def _Name(self, node: ast.Name) -> Any:
        name = node.id
        if name in self.dialect.constants:
            return self.dialect.constants[name]
        if self.dialect.records:
            if name in ("true", "True"):
                return True
            if name in ("false", "False"):
                return False
            if name in ("null", "None"):
                return None
            return self.names.get(name)
        known = ", ".join(sorted(self.dialect.constants)) or "none"
        raise Refused("syntax", f"unknown name {name!r}; the known constants are {known}.")

    def _Attribute(self, node: ast.Attribute) -> Any:
        if not self.dialect.records or node.attr.startswith("_"):
            raise Refused("syntax", f"'.{node.attr}' is not allowed; {self._what()}")
        base = self.visit(node.value)
        return base.get(node.attr) if isinstance(base, dict) else None

    def _Subscript(self, node: ast.Subscript) -> Any:
        if not self.dialect.records:
            raise Refused("syntax", f"indexing is not allowed; {self._what()}")
        base = self.visit(node.value)
        key = self.visit(node.slice)
        if isinstance(base, dict):
            return base.get(key)
        if isinstance(base, list | str) and isinstance(key, int) and not isinstance(key, bool):
            return base[key] if -len(base) <= key < len(base) else None
        return None

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        value = self.visit(node.operand)
        if isinstance(node.op, ast.Not) and self.dialect.records:
            return not value
        if isinstance(node.op, ast.USub):
            return -_number(value, "-")
        if isinstance(node.op, ast.UAdd):
            return +_number(value, "+")
        raise Refused("syntax", f"{_describe(node)} is not allowed; {self._what()}")

    def _BinOp(self, node: ast.BinOp) -> Any:
        op = _BINARY.get(type(node.op))
        if op is None:
            raise Refused("syntax", f"{_describe(node.op)} is not allowed; {self._what()}")
        left = self.visit(node.left)
        right = self.visit(node.right)
        if self.dialect.records and isinstance(node.op, ast.Add) and isinstance(left, str):
            if not isinstance(right, str):
                raise Refused("type", "only text can be added to text.")
            return self._text(left + right)
        symbol = _SYMBOL.get(type(node.op), "%" if isinstance(node.op, ast.Mod) else "**")
        left, right = _number(left, symbol), _number(right, symbol)
        if isinstance(node.op, ast.Pow):
            self._check_power(left, right)
        elif isinstance(node.op, ast.Mult) and isinstance(left, int) and isinstance(right, int):
            self._check_digits(_log10(left) + _log10(right))
        try:
            value = op(left, right)
        except ZeroDivisionError:
            raise Refused("math", "division by zero.") from None
        except OverflowError:
            raise _float_overflow() from None
        if _finite(left) and _finite(right) and not _finite(value):
            raise _float_overflow() if math.isinf(value) else _not_a_number()
        return self._bounded(value)

    def _check_power(self, base: Any, exponent: Any) -> None:
        if isinstance(exponent, int) and abs(exponent) > self.dialect.max_exponent:
            if base in (0, 1, -1):
                return
            raise Refused(
                "max_exponent",
                f"the exponent {_short(exponent)} is larger than {self.dialect.max_exponent}.",
            )
        if isinstance(base, int) and isinstance(exponent, int) and exponent > 0:
            self._check_digits(_log10(base) * exponent)

    def _check_digits(self, log10: float) -> None:
        """Refuse an integer result whose ``log10`` (estimated) passes the bound by over a digit.

        Closer results are computed (a digit or so past the bound costs nothing)
        and checked exactly by :meth:`_bounded`, so the float estimate decides nothing there.
        """
        if log10 > self.dialect.max_digits + 1:
            raise self._too_many_digits(f"about {math.floor(log10) + 1:,}")

    def _bounded(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            limit = self.dialect.max_digits
            # Under 2**(limit * log2(10)) = 10**limit a number is short enough; near it, compare.
            if value.bit_length() > limit * _LOG2_10 and abs(value) >= _power_of_ten(limit):
                raise self._too_many_digits(f"{_digits(value):,}")
        return value

    def _too_many_digits(self, digits: str) -> Refused:
        return Refused(
            "max_digits",
            f"the result would have {digits} digits, more than {self.dialect.max_digits:,}.",
        )

    def _text(self, value: str) -> str:
        if len(value) > MAX_TEXT:
            raise _too_long()
        return value

    def _Compare(self, node: ast.Compare) -> Any:
        if not self.dialect.records:
            raise Refused("syntax", f"comparisons are not allowed; {self._what()}")
        left = self.visit(node.left)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.visit(right_node)
            try:
                ok = _COMPARE[type(op)](left, right)
            except TypeError:
                ok = False  # a missing field or mixed types: the record does not match
            if not ok:
                return False
            left = right
        return True

    def _BoolOp(self, node: ast.BoolOp) -> Any:
        if not self.dialect.records:
            raise Refused("syntax", f"and/or are not allowed; {self._what()}")
        value: Any = None
        for item in node.values:
            value = self.visit(item)
            if isinstance(node.op, ast.And) and not value:
                return value
            if isinstance(node.op, ast.Or) and value:
                return value
        return value

    def _IfExp(self, node: ast.IfExp) -> Any:
        if not self.dialect.records:
            raise Refused("syntax", f"'if ... else' is not allowed; {self._what()}")
        return self.visit(node.body) if self.visit(node.test) else self.visit(node.orelse)

    def _List(self, node: ast.List) -> Any:
        if not self.dialect.records:
            raise Refused("syntax", f"lists are not allowed; {self._what()}")
        return [self.visit(item) for item in node.elts]

    _Tuple = _List

    def _Call(self, node: ast.Call) -> Any:
        name = node.func.id if isinstance(node.func, ast.Name) else None
        function = self.dialect.functions.get(name) if name else None
        if function is None or node.keywords:
            known = ", ".join(sorted(self.dialect.functions)) or "none"
            raise Refused(
                "syntax",
                f"{ast.unparse(node.func)}(...) is not an allowed function (known: {known}).",
            )
        args = [self.visit(arg) for arg in node.args]
        checkpoint()  # function calls are the dearest steps (str() of 4,000 digits, gcd …)
        try:
            value = function(*args)
        except Refused:
            raise
        except OverflowError:
            raise Refused("max_result", f"{name}(...) is too large to compute.") from None
        except (TypeError, ValueError, ZeroDivisionError) as exc:
            raise Refused("math", f"{name}(...) failed: {exc}.") from None
        if isinstance(value, str):
            return self._text(value)
        if not _finite(value) and all(_finite(arg) for arg in args):
            raise Refused(
                "max_result",
                f"{name}(...) gives {value}, not a finite number; check its arguments.",
            )
        return self._bounded(value)


MAX_ROUND_DIGITS = 4000
"""Most digits ``round`` takes either way: ``round(x, -n)`` computes ``10**n``."""


def round_number(x: Any, digits: Any = None) -> Any:
    """``round(x, digits)`` with ``digits`` bounded by :data:`MAX_ROUND_DIGITS` before it runs.

    Every integer an expression holds has at most 4,000 digits and every float
    is below ``1e309``, so larger ``digits`` could only give ``x`` or ``0``;
    they are refused instead of computing ``10**digits``.
    """
    if digits is None:
        return round(x)
    if isinstance(digits, float) and digits.is_integer():
        digits = int(digits)
    if isinstance(digits, bool) or not isinstance(digits, int):
        raise Refused("type", f"round's digits must be a whole number, got {digits!r}.")
    if abs(digits) > MAX_ROUND_DIGITS:
        raise Refused(
            "max_digits",
            f"round's digits {_short(digits)} are beyond ±{MAX_ROUND_DIGITS:,}; "
            f"use a number from -{MAX_ROUND_DIGITS:,} to {MAX_ROUND_DIGITS:,}.",
        )
    return round(x, digits)


def text(value: Any) -> str:
    """``str(value)``, refused (``max_result``) past :data:`MAX_TEXT` characters before it is built.

    A list or mapping is measured first (a lower bound on its printed length,
    walked no further than the bound), so ``str([s, s, s])`` of long texts
    builds nothing.
    """
    if isinstance(value, str):
        printed = value
    elif _printed_length_at_least(value) > MAX_TEXT:
        raise _too_long()
    else:
        printed = str(value)
    if len(printed) > MAX_TEXT:
        raise _too_long()
    return printed


def _printed_length_at_least(value: Any) -> int:
    """A lower bound on ``len(str(value))``; the walk stops once it passes :data:`MAX_TEXT`."""
    total = 0
    pending: list[Iterator[Any]] = [iter((value,))]
    while pending and total <= MAX_TEXT:
        item = next(pending[-1], _END)
        if item is _END:
            pending.pop()
        elif isinstance(item, str):
            total += len(item) + 2  # quoted in a list
        elif isinstance(item, list | tuple | set | frozenset):
            total += 2 * max(len(item), 1)  # brackets and ", " between items
            pending.append(iter(item))
        elif isinstance(item, dict):
            total += 2 + 4 * len(item)  # braces, ": " and ", "
            pending.append(iter(item))
            pending.append(iter(item.values()))
        elif isinstance(item, int) and not isinstance(item, bool):
            total += _digits_at_least(item)
        else:
            total += 1
    return total


_END = object()


def _too_long() -> Refused:
    return Refused("max_result", f"the text would be longer than {MAX_TEXT:,} characters.")


def _float_overflow() -> Refused:
    return Refused("max_result", "the result is too large for a floating-point number.")


def _not_a_number() -> Refused:
    return Refused("max_result", "the result is not a number (NaN).")


def _finite(value: Any) -> bool:
    return not isinstance(value, float) or math.isfinite(value)


def _log10(value: int) -> float:
    """``log10(|value|)`` of an integer of any size (0 for 0)."""
    return math.log10(abs(value)) if value else 0.0


def _digits_at_least(value: int) -> int:
    return math.floor((max(abs(value).bit_length(), 1) - 1) / _LOG2_10) + 1


def _digits(value: int) -> int:
    """The number of decimal digits of ``value``, exactly, without printing it."""
    digits = math.floor(_log10(value)) + 1
    # log10 rounds near powers of ten: settle it against the power itself.
    if abs(value) >= _power_of_ten(digits):
        return digits + 1
    if digits > 1 and abs(value) < _power_of_ten(digits - 1):
        return digits - 1
    return digits


@functools.lru_cache(maxsize=16)
def _power_of_ten(exponent: int) -> int:
    power: int = 10**exponent
    return power


def _number(value: Any, symbol: str) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, bool):
        return int(value)
    raise Refused("type", f"'{symbol}' needs numbers, got {type(value).__name__} {value!r}.")


def _short(value: int) -> str:
    if value.bit_length() < 200:
        return str(value)
    return f"with {int(value.bit_length() / _LOG2_10)} digits"


def _describe(node: ast.AST) -> str:
    try:
        text = ast.unparse(node)
    except Exception:
        text = ""
    kind = type(node).__name__
    return f"{kind} '{text[:40]}'" if text else kind

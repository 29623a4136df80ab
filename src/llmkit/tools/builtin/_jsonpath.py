"""A documented subset of JSONPath (RFC 9535), enough for picking values out of API answers.

Supported::

    $                     the whole document
    .name  ['name']       a member ("name" may be quoted with ' or ")
    [0]  [-1]             an element (negative counts from the end)
    [*]  .*               every member or element
    [1:3]  [::2]          a slice
    [0,2]  ['a','b']      several members or elements
    ..name  ..*  ..[0]    recursive descent: at any depth
    [?(@.price < 10)]     a filter: @ is the current element; ==, !=, <, <=, >, >=,
    [?@.tag]              &&, ||, !, and/or/not, in; strings in quotes; @ alone
                          compares the element itself

Not supported: functions (``length()``, ``match()``), ``$`` inside filters. A
path outside the subset raises :class:`~llmkit.tools.builtin.Refused` naming
the ``jsonpath`` rule; so does a path longer than :data:`MAX_PATH_LENGTH`
characters or of more than :data:`MAX_PATH_STEPS` steps (each step is one
generator in a chain, so an unbounded path would exhaust the stack).

Evaluation is lazy and bounded while it runs: values flow one at a time
through the steps, every value a step looks at or passes on counts toward
``max_visits``, and the result stops at ``max_results``, so a path such as
``$..*..*..*..*`` on a deep document is refused after a bounded amount of
work instead of building millions of values first. The walk calls
:func:`~llmkit.tools._deadline.checkpoint` as it goes, so a tool call's time
limit stops it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeAlias

from llmkit.tools._deadline import checkpoint
from llmkit.tools.builtin._expr import Dialect, evaluate, parse
from llmkit.tools.builtin._policy import Refused

__all__ = ["MAX_PATH_LENGTH", "MAX_PATH_STEPS", "MAX_VISITS", "query"]

MAX_VISITS = 1_000_000
"""Default bound on the values one query looks at or passes on, all steps together."""

MAX_PATH_LENGTH = 1000
"""Longest path, in characters."""

MAX_PATH_STEPS = 100
"""Most steps (``.name``, ``[0]``, ``..name``, filters …) in one path."""

_NAME = re.compile(r"[A-Za-z_$][\w$-]*")
_FILTER_DIALECT = Dialect(records=True, functions={"len": len}, max_length=500)
_AT = "at_"  # what '@' becomes inside a filter expression
_CHECK_EVERY = 1024  # visits between two checkpoints (a power of two)


class _Budget:
    """The visits one query may still make; refuses the query when they run out."""

    __slots__ = ("left", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.left = limit

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise Refused(
                "max_visits",
                f"the path looks at more than {self.limit:,} values of the document; "
                "use a more specific path (fewer '..' and '*').",
            )
        if not self.left & (_CHECK_EVERY - 1):
            checkpoint()


Step: TypeAlias = Callable[[Any, _Budget], Iterator[Any]]


def query(
    document: Any, path: str, *, max_results: int | None = None, max_visits: int = MAX_VISITS
) -> list[Any]:
    """Every value of ``document`` that ``path`` selects, in document order.

    Refused (``max_results``) as soon as more than ``max_results`` values are
    found, and (``max_visits``) once the steps together have looked at more
    than ``max_visits`` values.
    """
    budget = _Budget(max_visits)
    nodes: Iterable[Any] = (document,)
    for step in _compile(path):
        nodes = _through(step, nodes, budget)
    found: list[Any] = []
    for value in nodes:
        if max_results is not None and len(found) >= max_results:
            raise Refused(
                "max_results",
                f"the path selects more than {max_results:,} values; "
                "use a more specific path or a filter.",
            )
        found.append(value)
    return found


def _through(step: Step, nodes: Iterable[Any], budget: _Budget) -> Iterator[Any]:
    for node in nodes:
        for found in step(node, budget):
            budget.spend()
            yield found


def _fail(path: str, where: int, what: str) -> Refused:
    return Refused(
        "jsonpath",
        f"cannot read {path!r} at character {where + 1}: {what}. Supported: $, .name, ['name'], "
        "[0], [-1], [*], .*, [a:b], [0,2], ..name, [?(@.field < 10)].",
    )


def _too_long(what: str) -> Refused:
    return Refused("jsonpath", f"the path has {what}; select in smaller steps (query the result).")


def _compile(path: str) -> list[Step]:
    if len(path) > MAX_PATH_LENGTH:
        raise _too_long(f"{len(path):,} characters, more than {MAX_PATH_LENGTH:,}")
    text = path.strip()
    if not text.startswith("$"):
        text = "$." + text if not text.startswith("[") else "$" + text
    steps: list[Step] = []
    i = 1
    while i < len(text):
        if text.startswith("..", i):
            i += 2
            if i < len(text) and text[i] == "[":
                step, i = _bracket(path, text, i)
            else:
                step, i = _dotted(path, text, i)
            steps.append(_descend(step))
        elif text[i] == ".":
            step, i = _dotted(path, text, i + 1)
            steps.append(step)
        elif text[i] == "[":
            step, i = _bracket(path, text, i)
            steps.append(step)
        else:
            raise _fail(path, i, f"unexpected {text[i]!r}")
        if len(steps) > MAX_PATH_STEPS:
            raise _too_long(f"{len(steps)} steps, more than {MAX_PATH_STEPS}")
    return steps


def _dotted(path: str, text: str, i: int) -> tuple[Step, int]:
    if text.startswith("*", i):
        return _wildcard, i + 1
    match = _NAME.match(text, i)
    if not match:
        raise _fail(path, i, "a member name should follow '.'")
    return _member(match.group()), match.end()


def _bracket(path: str, text: str, i: int) -> tuple[Step, int]:
    end = _closing(path, text, i)
    inner = text[i + 1 : end].strip()
    if inner == "*":
        return _wildcard, end + 1
    if inner.startswith("?"):
        return _filter(path, inner[1:].strip(), i), end + 1
    selectors = [part.strip() for part in _split_commas(inner)]
    if not selectors or any(not part for part in selectors):
        raise _fail(path, i, "an empty selector")
    steps = [_selector(path, part, i) for part in selectors]
    if len(steps) == 1:
        return steps[0], end + 1

    def union(node: Any, budget: _Budget) -> Iterator[Any]:
        for step in steps:
            yield from step(node, budget)

    return union, end + 1


def _closing(path: str, text: str, start: int) -> int:
    depth, quote = 0, ""
    for j in range(start, len(text)):
        ch = text[j]
        if quote:
            if ch == quote and text[j - 1] != "\\":
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "[(":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth == 0:
                return j
    raise _fail(path, start, "'[' is never closed")


def _split_commas(inner: str) -> list[str]:
    parts, current, quote = [], "", ""
    for ch in inner:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == ",":
            parts.append(current)
            current = ""
            continue
        current += ch
    parts.append(current)
    return parts


def _selector(path: str, part: str, where: int) -> Step:
    if len(part) >= 2 and part[0] == part[-1] and part[0] in "'\"":
        return _member(part[1:-1])
    if re.fullmatch(r"-?\d+", part):
        return _index(int(part))
    if re.fullmatch(r"(-?\d+)?:(-?\d+)?(:(-?\d+)?)?", part):
        bounds = [int(x) if x else None for x in [*part.split(":"), ""][:3]]
        if bounds[2] == 0:
            raise _fail(path, where, "a slice step cannot be 0")
        return _slice(slice(*bounds))
    raise _fail(path, where, f"cannot read the selector [{part}]")


def _member(name: str) -> Step:
    def step(node: Any, budget: _Budget) -> Iterator[Any]:
        if isinstance(node, dict) and name in node:
            yield node[name]

    return step


def _index(index: int) -> Step:
    def step(node: Any, budget: _Budget) -> Iterator[Any]:
        if isinstance(node, list) and -len(node) <= index < len(node):
            yield node[index]

    return step


def _slice(bounds: slice) -> Step:
    def step(node: Any, budget: _Budget) -> Iterator[Any]:
        if isinstance(node, list):
            yield from node[bounds]

    return step


def _children(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        return iter(node.values())
    if isinstance(node, list):
        return iter(node)
    return iter(())


def _wildcard(node: Any, budget: _Budget) -> Iterator[Any]:
    return _children(node)


def _descend(step: Step) -> Step:
    def walk(node: Any, budget: _Budget) -> Iterator[Any]:
        # Depth first, each node before its children, with a stack instead of
        # recursion: a deep document cannot exhaust Python's stack.
        stack = [iter((node,))]
        while stack:
            for current in stack[-1]:
                budget.spend()
                yield from step(current, budget)
                stack.append(_children(current))
                break
            else:
                stack.pop()

    return walk


def _filter(path: str, expression: str, where: int) -> Step:
    if expression.startswith("(") and expression.endswith(")"):
        expression = expression[1:-1]
    tree = parse(_pythonic(expression), _FILTER_DIALECT)

    def step(node: Any, budget: _Budget) -> Iterator[Any]:
        for child in _children(node):
            budget.spend()
            if evaluate(tree, _FILTER_DIALECT, {_AT: child}):
                yield child

    return step


def _pythonic(expression: str) -> str:
    """JSONPath filter syntax (``@``, ``&&``, ``||``, ``!``) as the evaluator's Python syntax."""
    out, quote, i = [], "", 0
    while i < len(expression):
        ch = expression[i]
        pair = expression[i : i + 2]
        if quote:
            out.append(ch)
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
            out.append(ch)
        elif ch == "@":
            out.append(_AT)
        elif pair in ("&&", "||"):
            out.append(" and " if pair == "&&" else " or ")
            i += 1
        elif ch == "!" and pair != "!=":
            out.append(" not ")
        else:
            out.append(ch)
        i += 1
    return "".join(out)

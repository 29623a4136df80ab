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
the ``jsonpath`` rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, TypeAlias

from llmkit.tools.builtin._expr import Dialect, evaluate, parse
from llmkit.tools.builtin._policy import Refused

__all__ = ["query"]

Step: TypeAlias = Callable[[Any], Iterator[Any]]

_NAME = re.compile(r"[A-Za-z_$][\w$-]*")
_FILTER_DIALECT = Dialect(records=True, functions={"len": len}, max_length=500)
_AT = "at_"  # what '@' becomes inside a filter expression


def query(document: Any, path: str) -> list[Any]:
    """Every value of ``document`` that ``path`` selects, in document order."""
    nodes = [document]
    for step in _compile(path):
        nodes = [found for node in nodes for found in step(node)]
    return nodes


def _fail(path: str, where: int, what: str) -> Refused:
    return Refused(
        "jsonpath",
        f"cannot read {path!r} at character {where + 1}: {what}. Supported: $, .name, ['name'], "
        "[0], [-1], [*], .*, [a:b], [0,2], ..name, [?(@.field < 10)].",
    )


def _compile(path: str) -> list[Step]:
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

    def union(node: Any) -> Iterator[Any]:
        for step in steps:
            yield from step(node)

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
    def step(node: Any) -> Iterator[Any]:
        if isinstance(node, dict) and name in node:
            yield node[name]

    return step


def _index(index: int) -> Step:
    def step(node: Any) -> Iterator[Any]:
        if isinstance(node, list) and -len(node) <= index < len(node):
            yield node[index]

    return step


def _slice(bounds: slice) -> Step:
    def step(node: Any) -> Iterator[Any]:
        if isinstance(node, list):
            yield from node[bounds]

    return step


def _wildcard(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        yield from node.values()
    elif isinstance(node, list):
        yield from node


def _descend(step: Step) -> Step:
    def walk(node: Any) -> Iterator[Any]:
        yield from step(node)
        for child in _wildcard(node):
            yield from walk(child)

    return walk


def _filter(path: str, expression: str, where: int) -> Step:
    if expression.startswith("(") and expression.endswith(")"):
        expression = expression[1:-1]
    tree = parse(_pythonic(expression), _FILTER_DIALECT)

    def step(node: Any) -> Iterator[Any]:
        for child in _wildcard(node):
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

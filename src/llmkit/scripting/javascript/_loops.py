"""Mark each loop of a script with its line, so a run stopped inside a busy loop names the line.

It marks each ``catch`` block too (a too deep recursion the script catches still ends it).

V8 ends a script that ran past its time limit with an uncatchable termination that
carries no stack, and nothing can read a busy isolate. So the script is compiled with
a probe in the condition of each ``while``, ``do ... while`` and ``for (;;)`` loop:
``while (x)`` becomes ``while (PROBE(7) && (x))``; the probe records the line and
gives true. After a termination the engine reads the last line the probe recorded.

Guarantees: the marked source has the same lines as the script (nothing is inserted
across a line), a loop's condition keeps its value and its side effects, and text in
strings, template literals, comments and regular expressions is left as it is.
``for (... of ...)`` and ``for (... in ...)`` loops are not marked (their iteration
runs through other code, which is marked where it loops). The scan is lexical: like
every such scan it cannot tell whether a slash after ``)`` divides or starts a regular
expression, so it marks only where both readings agree; a method named ``while`` looks
like a loop.
A source that fools it so that the marks do not parse is compiled as written, unmarked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["mark_loops"]

_WORD = re.compile(r"[A-Za-z_$][\w$]*")
_NUMBER = re.compile(r"\.?\d[\w.]*")
# After these words a slash starts a regular expression, not a division.
_BEFORE_REGEX = frozenset(
    [
        "return",
        "typeof",
        "case",
        "do",
        "else",
        "in",
        "of",
        "new",
        "delete",
        "void",
        "throw",
        "instanceof",
        "yield",
        "await",
    ]
)


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "word", "punct" (one of ()[]{};.), "value" (string, number, template, regex), "op"
    text: str
    start: int


def _skip_string(code: str, i: int) -> int:
    quote = code[i]
    i += 1
    while i < len(code) and code[i] != quote:
        if code[i] == "\\":
            i += 1
        elif code[i] == "\n":
            return i  # an unclosed string: the parser will say so
        i += 1
    return i + 1


def _skip_regex(code: str, i: int) -> int:
    i += 1
    in_class = False
    while i < len(code) and code[i] != "\n":
        c = code[i]
        if c == "\\":
            i += 1
        elif c == "[":
            in_class = True
        elif c == "]":
            in_class = False
        elif c == "/" and not in_class:
            i += 1
            while i < len(code) and (code[i].isalnum() or code[i] == "_"):
                i += 1
            return i
        i += 1
    return i


def _regex_may_follow(previous: _Token | None, after_paren: bool) -> bool:
    if previous is None or previous.kind == "op":
        return True
    if previous.kind == "word":
        return previous.text in _BEFORE_REGEX
    if after_paren and previous.text == ")":
        return True
    return previous.kind == "punct" and previous.text not in (")", "]", "}")


def _tokens(code: str, after_paren: bool = False) -> list[_Token]:
    """The words, brackets and semicolons of ``code``; strings, templates and regexes are opaque."""
    tokens: list[_Token] = []
    braces: list[int] = []  # for each open `${` of a template, the brace depth it opened at
    depth = 0
    i, n = 0, len(code)
    while i < n:
        c = code[i]
        if c.isspace():
            i += 1
        elif code.startswith("//", i):
            end = code.find("\n", i)
            i = n if end < 0 else end
        elif code.startswith("/*", i):
            end = code.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif c in "'\"":
            end = _skip_string(code, i)
            tokens.append(_Token("value", code[i:end], i))
            i = end
        elif c == "`" or (c == "}" and braces and braces[-1] == depth):
            if c == "}":
                braces.pop()
            i = _template(code, i + 1, braces, depth)
            tokens.append(_Token("value", "`", i))
        elif c == "/" and _regex_may_follow(tokens[-1] if tokens else None, after_paren):
            end = _skip_regex(code, i)
            tokens.append(_Token("value", code[i:end], i))
            i = end
        elif (m := _WORD.match(code, i)) or (m := _NUMBER.match(code, i)):
            kind = "word" if _WORD.match(code, i) else "value"
            tokens.append(_Token(kind, m.group(), i))
            i = m.end()
        else:
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            kind = "punct" if c in "()[]{};." else "op"
            tokens.append(_Token(kind, c, i))
            i += 1
    return tokens


def _template(code: str, i: int, braces: list[int], depth: int) -> int:
    """Skip template text from ``i``: past its closing backquote, or into a ``${`` (noted in ``braces``)."""
    while i < len(code):
        c = code[i]
        if c == "\\":
            i += 2
            continue
        if c == "`":
            return i + 1
        if c == "$" and code.startswith("${", i):
            braces.append(depth)
            return i + 2
        i += 1
    return i


def _closing(tokens: list[_Token], open_at: int) -> int | None:
    """Index of the ``)`` that closes the ``(`` at ``open_at``."""
    level = 0
    for k in range(open_at, len(tokens)):
        token = tokens[k]
        if token.kind != "punct":
            continue
        if token.text in ("(", "[", "{"):
            level += 1
        elif token.text in (")", "]", "}"):
            level -= 1
            if level == 0:
                return k if token.text == ")" else None
    return None


def mark_loops(code: str, probe: str, *, catch_probe: str | None = None, module: int = 0) -> str:
    """``code`` with ``probe(line)`` called in the condition of each of its loops.

    ``module``: the code is that of a module, which the probe is told as well:
    ``probe(line, module)``.

    With ``catch_probe``, each ``catch`` block first calls ``catch_probe(error)`` (a
    ``catch {`` without a binding gets one; a destructuring binding, ``catch ({ message })``,
    becomes a ``let`` of the block, on the same lines, after the probe).

    A slash after ``)`` divides (``(a + b) / 2``) or starts a regular expression
    (``if (s) /x/.test(s)``): the code is marked only where both readings find the same
    loops, else it is left as written. The marked text of a recent source is remembered, so
    a script run again is not scanned again.
    """
    return _mark(code, probe, catch_probe, module)


@lru_cache(maxsize=256)
def _mark(code: str, probe: str, catch_probe: str | None, module: int) -> str:
    inserts = _inserts(code, probe, _tokens(code), catch_probe, module)
    if "/" in code:  # without a slash both readings are the same
        again = _inserts(code, probe, _tokens(code, after_paren=True), catch_probe, module)
        if again != inserts:
            return code
    replaced = [(at, end) for at, end, _ in inserts if end > at]
    if any(a < at < e for at, _, _ in inserts for a, e in replaced):
        return code  # a mark would fall inside a binding that moves
    pieces, last = [], len(code)
    for at, end, text in sorted(inserts, key=lambda insert: insert[0], reverse=True):
        pieces += [code[end:last], text]
        last = at
    pieces.append(code[:last])
    return "".join(reversed(pieces))


def _catches(code: str, tokens: list[_Token], catch_probe: str) -> list[tuple[int, int, str]]:
    inserts: list[tuple[int, int, str]] = []
    name = "$llmkit$error"
    for k, token in enumerate(tokens[:-1]):
        if token.kind != "word" or token.text != "catch" or (k > 0 and tokens[k - 1].text == "."):
            continue
        after = tokens[k + 1]
        if after.text == "{":
            at = after.start
            inserts += [(at, at, f"({name}) "), (at + 1, at + 1, f" {catch_probe}({name});")]
            continue
        close_at = _closing(tokens, k + 1) if after.text == "(" else None
        if close_at is None or close_at + 1 >= len(tokens) or tokens[close_at + 1].text != "{":
            continue  # not a catch clause
        block = tokens[close_at + 1].start + 1
        if close_at == k + 3 and tokens[k + 2].kind == "word":
            inserts.append((block, block, f" {catch_probe}({tokens[k + 2].text});"))
            continue
        if close_at == k + 2:
            continue  # `catch ()`: the parser will say so
        # A destructuring binding: the block takes the error whole, the pattern is its first let.
        start, end = tokens[k + 2].start, tokens[close_at].start
        pattern = code[start:end]
        inserts += [
            (start, end, name),
            (block, block, f" {catch_probe}({name}); let {pattern} = {name};"),
        ]
    return inserts


def _inserts(
    code: str, probe: str, tokens: list[_Token], catch_probe: str | None, module: int
) -> list[tuple[int, int, str]]:
    # (start, end, text): the text replaces the source from start to end (an insert when equal)
    inserts = [] if catch_probe is None else _catches(code, tokens, catch_probe)
    for k, token in enumerate(tokens):
        if token.kind != "word" or token.text not in ("while", "for"):
            continue
        if k > 0 and tokens[k - 1].text == ".":
            continue  # a property named like the keyword
        open_at = k + 1
        if open_at < len(tokens) and tokens[open_at].text == "await":
            continue  # for await (... of ...)
        if open_at >= len(tokens) or tokens[open_at].text != "(":
            continue
        close_at = _closing(tokens, open_at)
        if close_at is None:
            continue
        line = code.count(chr(10), 0, token.start) + 1
        call = f"{probe}({line}, {module})" if module else f"{probe}({line})"
        inner = tokens[open_at + 1 : close_at]
        if token.text == "while":
            start, end = tokens[open_at].start + 1, tokens[close_at].start
        else:
            semis = [t for t in _top_level(inner) if t.text == ";"]
            if len(semis) != 2:
                continue  # for-in, for-of
            start, end = semis[0].start + 1, semis[1].start
        if code[start:end].strip():
            inserts += [(start, start, f"{call} && ("), (end, end, ")")]
        else:
            inserts.append((start, start, f" {call}"))
    return inserts


def _top_level(tokens: list[_Token]) -> list[_Token]:
    level, found = 0, []
    for t in tokens:
        if t.kind == "punct" and t.text in ("(", "[", "{"):
            level += 1
        elif t.kind == "punct" and t.text in (")", "]", "}"):
            level -= 1
        elif level == 0:
            found.append(t)
    return found

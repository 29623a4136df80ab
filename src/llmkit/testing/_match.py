"""The matcher machinery: :class:`Match`, :class:`Matcher`, combinators and value matchers.

A matcher is a callable that takes a subject and returns a :class:`Match`,
truthy when it matched and falsy otherwise, whose repr says why. Matchers
for values (``approx(0.1)``, ``contains("x")``) and matchers for run
outcomes (``calls_tool(...)``, ``says(...)``) share this base, so
``any_of``, ``all_of`` and ``not_`` (and ``|``, ``&``, ``~``) work on both.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from llmkit._plural import plural
from llmkit.errors import UsageError

__all__ = [
    "Match",
    "Matcher",
    "all_of",
    "any_of",
    "anything",
    "approx",
    "as_matcher",
    "at_least",
    "at_most",
    "contains",
    "field_difference",
    "has",
    "instance_of",
    "matches",
    "not_",
    "show",
    "value_matches",
]

_SHOW_LIMIT = 80


def show(value: Any, limit: int = _SHOW_LIMIT) -> str:
    """A short repr of ``value`` for messages (matchers show their description)."""
    text = value.describe() if isinstance(value, Matcher) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Match:
    """The outcome of applying a matcher: truthy on a match, and its repr says why not.

    ``assert says(contains="refund")(result)`` fails with a message such as
    ``<Mismatch says(contains='refund'): the answer was 'Sorry.'>``.
    """

    __slots__ = ("about_error", "at", "description", "ok", "reason")

    def __init__(self, ok: bool, description: str, reason: str = "", at: int | None = None) -> None:
        self.ok = ok
        self.description = description
        """What was expected (the matcher's description)."""
        self.reason = reason
        """What was found: why it matched, or why not."""
        self.at = at
        """Index of the trajectory line this match is about, when it is about one."""
        self.about_error = False
        """Set for matches of ``raises(...)``: a scenario accepts the run's error when one holds."""

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        kind = "Match" if self.ok else "Mismatch"
        return f"<{kind} {self.description}" + (f": {self.reason}>" if self.reason else ">")


class Matcher:
    """Something to check: call it with a subject to get a :class:`Match`.

    Subclasses implement :meth:`match` and :meth:`describe`. ``a & b``,
    ``a | b`` and ``~a`` build :func:`all_of`, :func:`any_of` and :func:`not_`.
    """

    __slots__ = ()

    def match(self, subject: Any) -> Match:
        """Apply this matcher to ``subject``."""
        raise NotImplementedError

    def describe(self) -> str:
        """What this matcher expects, as code a reader recognises."""
        raise NotImplementedError

    def expects_error(self) -> bool:
        """Whether a match means the run failed on purpose (a scenario then accepts its error)."""
        return False

    def __call__(self, subject: Any) -> Match:
        return self.match(subject)

    def __and__(self, other: Matcher) -> Matcher:
        return all_of(self, other)

    def __or__(self, other: Matcher) -> Matcher:
        return any_of(self, other)

    def __invert__(self) -> Matcher:
        return not_(self)

    def __repr__(self) -> str:
        return self.describe()

    def _result(self, ok: bool, reason: str = "", at: int | None = None) -> Match:
        return Match(ok, self.describe(), reason, at)


class _Predicate(Matcher):
    """A matcher from a function ``value -> bool`` and a description."""

    __slots__ = ("_fn", "_text")

    def __init__(self, fn: Callable[[Any], Any], text: str) -> None:
        self._fn = fn
        self._text = text

    def match(self, subject: Any) -> Match:
        try:
            ok = bool(self._fn(subject))
        except Exception as exc:
            return self._result(False, f"{show(subject)} raised {type(exc).__name__}: {exc}")
        return self._result(ok, "" if ok else f"got {show(subject)}")

    def describe(self) -> str:
        return self._text


def as_matcher(expected: Any) -> Matcher:
    """``expected`` itself if it is a matcher, else a matcher of equal values (nested matchers allowed)."""
    if isinstance(expected, Matcher):
        return expected
    return _Equals(expected)


class _Equals(Matcher):
    __slots__ = ("_expected",)

    def __init__(self, expected: Any) -> None:
        self._expected = expected

    def match(self, subject: Any) -> Match:
        why = _difference(self._expected, subject, "")
        return self._result(why is None, why or "")

    def describe(self) -> str:
        return show(self._expected)


def value_matches(expected: Any, actual: Any) -> Match:
    """Whether ``actual`` equals ``expected``, where any part of ``expected`` may be a matcher.

    Dicts must have the same keys, lists the same length; values are compared
    item by item, so ``{"id": anything(), "total": approx(9.99)}`` works.
    """
    return as_matcher(expected).match(actual)


def _difference(expected: Any, actual: Any, path: str) -> str | None:
    """None when ``actual`` matches ``expected``, else what differs (and where)."""
    where = f"{path}: " if path else ""
    if isinstance(expected, Matcher):
        found = expected.match(actual)
        return None if found else f"{where}expected {found.description}, got {show(actual)}"
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        missing = [k for k in expected if k not in actual]
        extra = [k for k in actual if k not in expected]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing {', '.join(map(repr, missing))}")
            if extra:
                parts.append(f"unexpected {', '.join(map(repr, extra))}")
            return f"{where}{'; '.join(parts)}"
        for key, value in expected.items():
            why = _difference(value, actual[key], f"{path}.{key}" if path else str(key))
            if why is not None:
                return why
        return None
    if _is_sequence(expected) and _is_sequence(actual):
        if len(expected) != len(actual):
            return f"{where}expected {plural(len(expected), 'item')}, got {len(actual)}: {show(actual)}"
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            why = _difference(e, a, f"{path}[{i}]")
            if why is not None:
                return why
        return None
    try:
        equal = bool(expected == actual)
    except Exception:
        equal = False
    return None if equal else f"{where}expected {show(expected)}, got {show(actual)}"


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes | bytearray)


# ----------------------------------------------------------------- combinators


class _AllOf(Matcher):
    __slots__ = ("_matchers",)

    def __init__(self, matchers: tuple[Matcher, ...]) -> None:
        self._matchers = matchers

    def match(self, subject: Any) -> Match:
        failed = [m for m in (x.match(subject) for x in self._matchers) if not m]
        if not failed:
            return self._result(True)
        return self._result(False, "; ".join(f"{m.description}: {m.reason}" for m in failed))

    def expects_error(self) -> bool:
        return any(m.expects_error() for m in self._matchers)

    def describe(self) -> str:
        return f"all_of({', '.join(m.describe() for m in self._matchers)})"


class _AnyOf(Matcher):
    __slots__ = ("_matchers",)

    def __init__(self, matchers: tuple[Matcher, ...]) -> None:
        self._matchers = matchers

    def match(self, subject: Any) -> Match:
        results = [m.match(subject) for m in self._matchers]
        hit = next((r for r in results if r), None)
        if hit is not None:
            return self._result(True, f"{hit.description} matched", hit.at)
        return self._result(False, "; ".join(f"{r.description}: {r.reason}" for r in results))

    def expects_error(self) -> bool:
        return any(m.expects_error() for m in self._matchers)

    def describe(self) -> str:
        return f"any_of({', '.join(m.describe() for m in self._matchers)})"


class _Not(Matcher):
    __slots__ = ("_matcher",)

    def __init__(self, matcher: Matcher) -> None:
        self._matcher = matcher

    def match(self, subject: Any) -> Match:
        inner = self._matcher.match(subject)
        if inner:
            return self._result(
                False, f"it matched ({inner.reason})" if inner.reason else "", inner.at
            )
        return self._result(True)

    def describe(self) -> str:
        return f"not_({self._matcher.describe()})"


def all_of(*matchers: Any) -> Matcher:
    """Matches when every one of ``matchers`` matches (plain values compare by equality)."""
    if not matchers:
        raise UsageError("all_of() needs at least one matcher.")
    return _AllOf(tuple(as_matcher(m) for m in matchers))


def any_of(*matchers: Any) -> Matcher:
    """Matches when at least one of ``matchers`` matches (plain values compare by equality)."""
    if not matchers:
        raise UsageError("any_of() needs at least one matcher.")
    return _AnyOf(tuple(as_matcher(m) for m in matchers))


def not_(matcher: Any) -> Matcher:
    """Matches when ``matcher`` does not."""
    return _Not(as_matcher(matcher))


# --------------------------------------------------------------- value matchers


def anything() -> Matcher:
    """Matches any value (an argument that must be present, whatever its value)."""
    return _Predicate(lambda _: True, "anything()")


def approx(expected: float, *, rel: float = 1e-6, abs: float = 1e-12) -> Matcher:
    """Matches a number within ``rel`` (relative) or ``abs`` (absolute) of ``expected``."""

    def close(value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        return math.isclose(value, expected, rel_tol=rel, abs_tol=abs)

    return _Predicate(close, f"approx({expected!r})")


def contains(*items: Any) -> Matcher:
    """Matches text holding every one of ``items`` as a substring, or a collection holding them.

    For a dict, ``items`` are keys; for a list or set, elements (which may be matchers).
    """
    if not items:
        raise UsageError("contains() needs at least one item.")

    def holds(value: Any) -> bool:
        if isinstance(value, str):
            return all(isinstance(i, str) and i in value for i in items)
        if isinstance(value, Mapping):
            return all(i in value for i in items)
        if isinstance(value, Sequence | set | frozenset):
            return all(any(value_matches(i, v) for v in value) for i in items)
        return False

    return _Predicate(holds, f"contains({', '.join(show(i) for i in items)})")


def matches(pattern: str, *, flags: int = 0) -> Matcher:
    """Matches text in which the regular expression ``pattern`` is found (``re.search``)."""
    try:
        compiled = re.compile(pattern, flags)
    except re.error as exc:
        raise UsageError(f"matches({pattern!r}): not a valid regular expression: {exc}.") from None
    return _Predicate(
        lambda value: isinstance(value, str) and compiled.search(value) is not None,
        f"matches({pattern!r})",
    )


def instance_of(*types: type) -> Matcher:
    """Matches a value that is an instance of one of ``types``."""
    names = ", ".join(t.__name__ for t in types)
    return _Predicate(lambda value: isinstance(value, types), f"instance_of({names})")


def at_least(bound: float) -> Matcher:
    """Matches a number ``>= bound``."""
    return _Predicate(lambda value: _number(value) and value >= bound, f"at_least({bound!r})")


def at_most(bound: float) -> Matcher:
    """Matches a number ``<= bound``."""
    return _Predicate(lambda value: _number(value) and value <= bound, f"at_most({bound!r})")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Has(Matcher):
    __slots__ = ("_fields",)

    def __init__(self, fields: dict[str, Any]) -> None:
        self._fields = fields

    def match(self, subject: Any) -> Match:
        for name, expected in self._fields.items():
            found, value = _field(subject, name)
            if not found:
                return self._result(False, f"{show(subject)} has no {name!r}")
            why = _difference(expected, value, name)
            if why is not None:
                return self._result(False, why)
        return self._result(True)

    def describe(self) -> str:
        return f"has({', '.join(f'{k}={show(v)}' for k, v in self._fields.items())})"


def _field(subject: Any, name: str) -> tuple[bool, Any]:
    if isinstance(subject, Mapping):
        return (name in subject, subject.get(name))
    marker = object()
    value = getattr(subject, name, marker)
    return (value is not marker, value)


def has(**fields: Any) -> Matcher:
    """Matches an object (or dict) whose named attributes (or keys) match; others are ignored."""
    if not fields:
        raise UsageError("has() needs at least one field, e.g. has(is_error=True).")
    return _Has(fields)


def field_difference(expected: Any, actual: Any, path: str) -> str | None:
    """What differs between ``actual`` and ``expected`` at ``path`` (None when they match)."""
    return _difference(expected, actual, path)

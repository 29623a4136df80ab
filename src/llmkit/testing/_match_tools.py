"""Matchers about tool calls: which were made (``calls_tool``, ``calls_tools``) and what came back
(``tool_returned``). Re-exported by :mod:`llmkit.testing.matchers`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llmkit._plural import plural
from llmkit.errors import UsageError
from llmkit.testing._match import Match, Matcher, field_difference, show
from llmkit.testing._observed import Observation, format_call, observe
from llmkit.testing._trajectory import check_order, match_trajectory
from llmkit.types import ToolCall, ToolResult

__all__ = ["ToolCallMatcher", "calls_tool", "calls_tools", "times_text", "tool_returned"]


def times_text(times: int | None) -> str:
    """How a count reads in a matcher's description: ``.once()``, ``.times(3)`` …"""
    if times is None:
        return ""
    return {0: ".never()", 1: ".once()"}.get(times, f".times({times})")


# ------------------------------------------------------------------ tool calls


class ToolCallMatcher(Matcher):
    """Matches a run that called a tool, with arguments that fit; see :func:`calls_tool`."""

    __slots__ = ("_arguments", "_exact", "_name", "_times")

    def __init__(
        self, name: str, arguments: dict[str, Any], *, exact: bool = False, times: int | None = None
    ) -> None:
        self._name = name
        self._arguments = arguments
        self._exact = exact
        self._times = times

    @property
    def name(self) -> str:
        """The tool name it expects."""
        return self._name

    def exact(self) -> ToolCallMatcher:
        """The same matcher, also refusing arguments it does not name."""
        return ToolCallMatcher(self._name, self._arguments, exact=True, times=self._times)

    def times(self, count: int) -> ToolCallMatcher:
        """The same matcher, requiring exactly ``count`` such calls."""
        if count < 0:
            raise UsageError("times() takes 0 or more.")
        return ToolCallMatcher(self._name, self._arguments, exact=self._exact, times=count)

    def once(self) -> ToolCallMatcher:
        """Exactly one such call."""
        return self.times(1)

    def never(self) -> ToolCallMatcher:
        """No such call at all."""
        return self.times(0)

    def difference(self, call: ToolCall) -> str | None:
        """None when ``call`` fits this matcher, else what differs."""
        if call.name != self._name:
            return f"called {call.name}, not {self._name}"
        if call.arguments_error is not None:
            return f"its arguments could not be read ({call.arguments_error})"
        args = call.arguments
        for key, expected in self._arguments.items():
            if key not in args:
                return f"no {key!r} argument"
            why = field_difference(expected, args[key], key)
            if why is not None:
                return why
        if self._exact:
            extra = [k for k in args if k not in self._arguments]
            if extra:
                return f"unexpected arguments {', '.join(map(repr, extra))}"
        return None

    def match(self, subject: Any) -> Match:
        if isinstance(subject, ToolCall):
            why = self.difference(subject)
            return self._result(why is None, why or "")
        obs = observe(subject)
        fitting = [(line, call) for line, call in obs.calls if self.difference(call) is None]
        times = self._times
        if times is None and fitting:
            return self._result(
                True, format_call(fitting[0][1].name, fitting[0][1].arguments), fitting[0][0]
            )
        if times is not None and len(fitting) == times:
            return self._result(True, "", fitting[0][0] if fitting else None)
        if times is not None and fitting:
            return self._result(
                False, f"it was called {plural(len(fitting), 'time')}", fitting[-1][0]
            )
        return self._result(False, *self._nearest(obs))

    def _nearest(self, obs: Observation) -> tuple[str, int | None]:
        same = [(line, call) for line, call in obs.calls if call.name == self._name]
        if same:
            line, call = same[0]
            return f"{format_call(call.name, call.arguments)}: {self.difference(call)}", line
        if not obs.calls:
            return "no tool was called", None
        made = ", ".join(format_call(c.name, c.arguments) for _, c in obs.calls)
        return f"{self._name} was not called; the calls were {made}", None

    def describe(self) -> str:
        args = ", ".join(f"{k}={show(v)}" for k, v in self._arguments.items())
        head = f"calls_tool({self._name!r}" + (f", {args})" if args else ")")
        return head + (".exact()" if self._exact else "") + times_text(self._times)


def calls_tool(name: str, /, **arguments: Any) -> ToolCallMatcher:
    """Matches a run that called tool ``name`` with these arguments (others are not checked).

    Argument values compare by equality or are matchers themselves
    (``anything()``, ``approx(9.99)``, ``contains("x")`` …). ``.exact()``
    also refuses unnamed arguments; ``.times(n)``, ``.once()``, ``.never()``
    count the calls.
    """
    return ToolCallMatcher(name, arguments)


class _CallsTools(Matcher):
    __slots__ = ("_expected", "_order")

    def __init__(self, expected: tuple[ToolCallMatcher, ...], order: str) -> None:
        self._expected = expected
        self._order = check_order(order)

    def match(self, subject: Any) -> Match:
        obs = observe(subject)
        actual = obs.calls
        found = match_trajectory(
            self._expected, actual, lambda e, a: e.difference(a[1]) is None, self._order
        )
        made = ", ".join(format_call(c.name, c.arguments) for _, c in actual) or "none"
        first = actual[found.pairs[0][1]][0] if found.pairs else None
        if found.ok:
            return self._result(True, made, first)
        if found.missing:
            lost = ", ".join(self._expected[i].describe() for i in found.missing)
            how = {"in_order": "in that order", "any_order": "", "exact": "at its place"}
            why = f"not found {how[self._order]}".rstrip() + f": {lost}"
        else:
            why = f"{plural(len(actual), 'call')} where {len(self._expected)} were expected"
        return self._result(False, f"{why}; the calls were {made}")

    def describe(self) -> str:
        parts = [e.describe() for e in self._expected] + [f"order={self._order!r}"]
        return f"calls_tools({', '.join(parts)})"


def calls_tools(*expected: str | ToolCallMatcher, order: str = "in_order") -> Matcher:
    """Matches a run whose tool calls follow ``expected`` (tool names or :func:`calls_tool` matchers).

    ``order``: ``"exact"`` (these calls and no others, in this order),
    ``"in_order"`` (in this order, others may come between; the default) or
    ``"any_order"``.
    """
    matchers = tuple(calls_tool(e) if isinstance(e, str) else e for e in expected)
    for m in matchers:
        if not isinstance(m, ToolCallMatcher):
            raise UsageError(f"calls_tools() takes tool names or calls_tool(...), not {m!r}.")
    return _CallsTools(matchers, order)


class _ToolReturned(Matcher):
    __slots__ = ("_contains", "_equals", "_error", "_name")

    def __init__(
        self, name: str | None, contains: tuple[str, ...], equals: str | None, error: bool | None
    ) -> None:
        self._name = name
        self._contains = contains
        self._equals = equals
        self._error = error

    def _difference(self, result: ToolResult, name: str) -> str | None:
        if self._name is not None and name != self._name:
            return f"from {name}"
        if self._error is not None and result.is_error != self._error:
            return "an error" if result.is_error else "not an error"
        text = result.text
        missing = [c for c in self._contains if c not in text]
        if missing:
            return f"no {', '.join(map(repr, missing))} in {show(text)}"
        if self._equals is not None and text != self._equals:
            return f"{show(text)} is not {self._equals!r}"
        return None

    def match(self, subject: Any) -> Match:
        obs = observe(subject)
        names = {c.id: c.name for _, c in obs.calls}
        found = [
            (line, result, result.name or names.get(result.call_id, "?"))
            for line, result in obs.results
        ]
        for line, result, name in found:
            if self._difference(result, name) is None:
                return self._result(True, show(result.text), line)
        if not found:
            return self._result(False, "no tool returned anything")
        same = [f for f in found if self._name is None or f[2] == self._name]
        if same:
            line, result, name = same[0]
            return self._result(False, f"{name} returned {self._difference(result, name)}", line)
        return self._result(False, f"{self._name} returned nothing")

    def describe(self) -> str:
        parts = [repr(self._name)] if self._name is not None else []
        if self._contains:
            shown = self._contains[0] if len(self._contains) == 1 else list(self._contains)
            parts.append(f"contains={shown!r}")
        if self._equals is not None:
            parts.append(f"equals={self._equals!r}")
        if self._error is not None:
            parts.append(f"error={self._error}")
        return f"tool_returned({', '.join(parts)})"


def tool_returned(
    name: str | None = None,
    /,
    *,
    contains: str | Sequence[str] = (),
    equals: str | None = None,
    error: bool | None = None,
) -> Matcher:
    """Matches a run in which a tool (``name``, or any) returned such a result.

    ``contains`` / ``equals`` check the result's text; ``error=True`` asks for
    an error result (a tool that raised, an unknown tool, bad arguments),
    ``error=False`` for a good one. Reads the conversation, so no events are needed.
    """
    wanted = (contains,) if isinstance(contains, str) else tuple(contains)
    return _ToolReturned(name, wanted, equals, error)

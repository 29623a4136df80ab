"""Matchers for agent runs: what was called, what was said, what came out, what was emitted.

::

    from llmkit.testing import calls_tool, says, output_matches, approx

    result = agent.run_sync("Refund order 42")
    assert calls_tool("lookup_order", order_id=42)(result)
    assert says(contains="refund")(result)
    assert (calls_tool("refund") & ~calls_tool("delete_account"))(result)

A matcher returns a :class:`~llmkit.testing.Match`: truthy on a match, falsy
otherwise, and its repr says what was expected and what was found, so a
plain ``assert`` explains itself. The same matchers are a
:class:`~llmkit.testing.Scenario`'s expectations. Subjects: a ``RunResult``,
the events of ``agent.stream`` (needed for :func:`event`), an exception from
a failed run, a ``Response``, or a scenario's exchange.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections.abc import Mapping, Sequence
from typing import Any

from llmkit.errors import UsageError
from llmkit.testing._match import (
    Match,
    Matcher,
    all_of,
    any_of,
    anything,
    approx,
    as_matcher,
    at_least,
    at_most,
    contains,
    field_difference,
    has,
    instance_of,
    matches,
    not_,
    show,
)
from llmkit.testing._observed import NO_OUTPUT, Observation, format_call, observe
from llmkit.testing._trajectory import check_order, match_trajectory
from llmkit.types import ToolCall, ToolResult, Usage

__all__ = [
    "Match",
    "Matcher",
    "ToolCallMatcher",
    "all_of",
    "any_of",
    "anything",
    "approx",
    "at_least",
    "at_most",
    "calls_tool",
    "calls_tools",
    "contains",
    "event",
    "has",
    "instance_of",
    "matches",
    "not_",
    "output_matches",
    "raises",
    "says",
    "tool_returned",
    "usage",
]


def _times_text(times: int | None) -> str:
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
            return self._result(False, f"it was called {len(fitting)} times", fitting[-1][0])
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
        return head + (".exact()" if self._exact else "") + _times_text(self._times)


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
            why = f"{len(actual)} calls where {len(self._expected)} were expected"
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


# ------------------------------------------------------------------- answers


def _casefold(text: str) -> str:
    return text.casefold()


def _same(text: str) -> str:
    return text


class _Says(Matcher):
    __slots__ = ("_contains", "_equals", "_flags", "_pattern")

    def __init__(
        self, contains: tuple[str, ...], equals: str | None, pattern: str | None, flags: int
    ) -> None:
        self._contains = contains
        self._equals = equals
        self._pattern = pattern
        self._flags = flags

    def match(self, subject: Any) -> Match:
        obs = observe(subject)
        text = obs.text
        if text is None:
            return self._result(False, "there is no final answer text", obs.text_at)
        fold = _casefold if self._flags & re.IGNORECASE else _same
        problems = [f"no {c!r}" for c in self._contains if fold(c) not in fold(text)]
        if self._equals is not None and fold(self._equals) != fold(text):
            problems.append("not equal")
        if self._pattern is not None and re.search(self._pattern, text, self._flags) is None:
            problems.append(f"no match for {self._pattern!r}")
        reason = f"the answer was {show(text, 120)}"
        if problems:
            reason = f"{'; '.join(problems)}: {reason}"
        return self._result(not problems, reason, obs.text_at)

    def describe(self) -> str:
        parts = []
        if self._contains:
            shown = self._contains[0] if len(self._contains) == 1 else list(self._contains)
            parts.append(f"contains={shown!r}")
        if self._equals is not None:
            parts.append(f"equals={self._equals!r}")
        if self._pattern is not None:
            parts.append(f"matches={self._pattern!r}")
        if self._flags & re.IGNORECASE:
            parts.append("ignore_case=True")
        return f"says({', '.join(parts)})"


def says(
    *,
    contains: str | Sequence[str] = (),
    equals: str | None = None,
    matches: str | None = None,
    ignore_case: bool = False,
) -> Matcher:
    """Matches a run whose final answer text holds ``contains`` (one text or several), equals
    ``equals``, and/or has a match for the regular expression ``matches``."""
    wanted = (contains,) if isinstance(contains, str) else tuple(contains)
    if not wanted and equals is None and matches is None:
        raise UsageError("says() needs contains=, equals= or matches=.")
    flags = re.IGNORECASE if ignore_case else 0
    if matches is not None:
        try:
            re.compile(matches, flags)
        except re.error as exc:
            raise UsageError(
                f"says(matches={matches!r}): not a regular expression: {exc}."
            ) from None
    return _Says(wanted, equals, matches, flags)


class _OutputMatches(Matcher):
    __slots__ = ("_fields", "_spec")

    def __init__(self, spec: Any, fields: dict[str, Any]) -> None:
        self._spec = spec
        self._fields = fields

    def match(self, subject: Any) -> Match:
        obs = observe(subject)
        output = obs.output
        at = next((i for i, line in enumerate(obs.lines) if line.kind == "output"), obs.text_at)
        if output is NO_OUTPUT:
            return self._result(False, "the run has no output", at)
        spec = self._spec
        if spec is not None:
            value, why = _conform(spec, output)
            if why is not None:
                return self._result(False, why, at)
            output = value
        for name, expected in self._fields.items():
            found = (
                output.get(name, NO_OUTPUT)
                if isinstance(output, dict)
                else getattr(output, name, NO_OUTPUT)
            )
            if found is NO_OUTPUT:
                return self._result(False, f"the output {show(output)} has no {name!r}", at)
            why = field_difference(expected, found, name)
            if why is not None:
                return self._result(False, why, at)
        return self._result(True, show(output), at)

    def describe(self) -> str:
        spec = self._spec
        parts = []
        if spec is not None:
            parts.append(spec.__name__ if isinstance(spec, type) else show(spec))
        parts += [f"{k}={show(v)}" for k, v in self._fields.items()]
        return f"output_matches({', '.join(parts)})"


def _conform(spec: Any, output: Any) -> tuple[Any, str | None]:
    """``output`` read as ``spec`` (a type, predicate or expected value), or why it does not fit."""
    if isinstance(spec, type):
        if isinstance(output, spec):
            return output, None
        validate = getattr(spec, "model_validate", None)
        if validate is not None and isinstance(output, dict):
            try:
                return validate(output), None
            except Exception as exc:
                return output, f"{show(output)} is not a valid {spec.__name__}: {exc}"
        if dataclasses.is_dataclass(spec) and isinstance(output, dict):
            try:
                return spec(**output), None
            except TypeError as exc:
                return output, f"{show(output)} is not a {spec.__name__}: {exc}"
        return (
            output,
            f"the output is a {type(output).__name__}, not a {spec.__name__}: {show(output)}",
        )
    if isinstance(spec, Matcher) or not callable(spec):
        if isinstance(spec, Mapping) and not isinstance(output, Mapping):
            output = _json_form(output)
        found = as_matcher(spec).match(output)
        return output, None if found else found.reason
    try:
        ok = bool(spec(output))
    except Exception as exc:
        return output, f"the predicate raised {type(exc).__name__}: {exc}"
    return output, None if ok else f"the predicate refused {show(output)}"


def _json_form(value: Any) -> Any:
    """A model or dataclass as plain JSON data, so an expected dict can be compared with it."""
    from pydantic_core import to_jsonable_python

    try:
        return to_jsonable_python(value)
    except Exception:
        return value


def output_matches(spec: Any = None, /, **fields: Any) -> Matcher:
    """Matches a run whose output fits ``spec`` and has these field values.

    ``spec`` is a type (a pydantic model or dataclass; a dict output that
    validates as it fits too), a predicate ``output -> bool``, or an expected
    value (which may hold matchers). ``fields`` check attributes or keys of
    the output: ``output_matches(Invoice, total=approx(12.5))``.
    """
    if spec is None and not fields:
        raise UsageError("output_matches() needs a type, a predicate, a value or fields.")
    return _OutputMatches(spec, fields)


# ------------------------------------------------------ events, errors, usage


class _Event(Matcher):
    __slots__ = ("_fields", "_times", "_topic")

    def __init__(self, topic: str, fields: dict[str, Any], times: int | None) -> None:
        self._topic = topic
        self._fields = fields
        self._times = times

    def times(self, count: int) -> _Event:
        """The same matcher, requiring exactly ``count`` such events."""
        return _Event(self._topic, self._fields, count)

    def once(self) -> _Event:
        """Exactly one such event."""
        return self.times(1)

    def never(self) -> _Event:
        """No such event."""
        return self.times(0)

    def match(self, subject: Any) -> Match:
        obs = observe(subject)
        if obs.events is None:
            return self._result(
                False, "no events were recorded (run with agent.stream(...) or a Scenario)"
            )
        topical = [e for e in obs.events if fnmatch.fnmatchcase(e.topic, self._topic)]
        fitting = [e for e in topical if self._difference(e) is None]
        if self._times is None and fitting:
            return self._result(True)
        if self._times is not None and len(fitting) == self._times:
            return self._result(True)
        if self._times is not None and fitting:
            return self._result(False, f"{len(fitting)} such events")
        if topical:
            return self._result(
                False, f"{len(topical)} {self._topic} events; first: {self._difference(topical[0])}"
            )
        seen = sorted({e.topic for e in obs.events})
        return self._result(
            False, f"no {self._topic} event; topics seen: {', '.join(seen) or 'none'}"
        )

    def _difference(self, event: Any) -> str | None:
        for name, expected in self._fields.items():
            if not hasattr(event, name):
                return f"a {event.topic} event has no {name!r}"
            why = field_difference(expected, getattr(event, name), name)
            if why is not None:
                return why
        return None

    def describe(self) -> str:
        args = "".join(f", {k}={show(v)}" for k, v in self._fields.items())
        return f"event({self._topic!r}{args})" + _times_text(self._times)


def event(topic: str, /, **fields: Any) -> _Event:
    """Matches a run that emitted an event on ``topic`` (a glob: ``"tool.*"``) with these fields.

    ``event("tool.result", result=has(is_error=True))``; ``.times(n)``,
    ``.once()`` and ``.never()`` count the events. The subject must carry
    events: a scenario's exchange or the list from ``agent.stream``.
    """
    return _Event(topic, fields, None)


class _Raises(Matcher):
    __slots__ = ("_pattern", "_type")

    def __init__(self, error_type: type[BaseException], pattern: str | None) -> None:
        self._type = error_type
        self._pattern = pattern

    def match(self, subject: Any) -> Match:
        obs = observe(subject)
        at = next((i for i, line in enumerate(obs.lines) if line.kind == "error"), None)
        error = obs.error
        if error is None:
            what = "paused" if obs.result is not None and obs.result.paused else "finished"
            return self._result(False, f"the run {what} without an error")
        if not isinstance(error, self._type):
            return self._result(False, f"it raised {type(error).__name__}: {error}", at)
        if self._pattern is not None and re.search(self._pattern, str(error)) is None:
            return self._result(False, f"the message was {str(error)!r}", at)
        return self._result(True, f"{type(error).__name__}: {error}", at)

    def expects_error(self) -> bool:
        return True

    def describe(self) -> str:
        pattern = f", match={self._pattern!r}" if self._pattern is not None else ""
        return f"raises({self._type.__name__}{pattern})"


def raises(error_type: type[BaseException] = Exception, /, match: str | None = None) -> Matcher:
    """Matches a run that failed with ``error_type`` (and a message where ``match`` is found)."""
    return _Raises(error_type, match)


_USAGE_FIELDS = frozenset([f.name for f in dataclasses.fields(Usage)] + ["total_tokens"])


class _Usage(Matcher):
    __slots__ = ("_fields",)

    def __init__(self, fields: dict[str, Any]) -> None:
        self._fields = fields

    def match(self, subject: Any) -> Match:
        obs = observe(subject)
        used = obs.usage
        if used is None:
            return self._result(False, "the subject carries no usage")
        for name, expected in self._fields.items():
            why = field_difference(expected, getattr(used, name), name)
            if why is not None:
                return self._result(False, why)
        return self._result(True)

    def describe(self) -> str:
        return f"usage({', '.join(f'{k}={show(v)}' for k, v in self._fields.items())})"


def usage(**fields: Any) -> Matcher:
    """Matches a run whose usage has these values: ``usage(requests=2, total_tokens=at_most(500))``."""
    unknown = set(fields) - _USAGE_FIELDS
    if unknown or not fields:
        raise UsageError(
            f"usage() takes fields of Usage ({', '.join(sorted(_USAGE_FIELDS))}); "
            f"got {', '.join(sorted(unknown)) or 'none'}."
        )
    return _Usage(fields)

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

The pieces the matchers are built on are public here too, for tools that
score runs the same way (``llmkit.eval`` uses them): :func:`match_trajectory`
with :data:`ORDERS` and :func:`check_order` (how ``calls_tools`` compares
trajectories), :data:`NO_OUTPUT` (the output of a run that has none) and
:func:`format_call` (a tool call as it reads in failure messages).
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
from llmkit.testing._match_tools import (
    ToolCallMatcher,
    calls_tool,
    calls_tools,
    times_text,
    tool_returned,
)
from llmkit.testing._match_workflow import failed_at, state_has, step_ran, steps_in_order
from llmkit.testing._observed import NO_OUTPUT, format_call, observe
from llmkit.testing._trajectory import ORDERS, check_order, match_trajectory
from llmkit.types import Usage

__all__ = [
    "NO_OUTPUT",
    "ORDERS",
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
    "check_order",
    "contains",
    "event",
    "failed_at",
    "format_call",
    "has",
    "instance_of",
    "match_trajectory",
    "matches",
    "not_",
    "output_matches",
    "raises",
    "says",
    "state_has",
    "step_ran",
    "steps_in_order",
    "tool_returned",
    "usage",
]


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
        return f"event({self._topic!r}{args})" + times_text(self._times)


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

"""Matchers for workflow runs: which steps ran, in what order, what the state holds, where it stopped.

::

    from llmkit.testing import failed_at, state_has, step_ran, steps_in_order

    result = flow.run_sync({"topic": "tides"})
    assert step_ran("article/reviews[*]/critic", times=2)(result)
    assert steps_in_order("article/research", "article/write")(result)
    assert state_has(score=approx(0.9))(result)

    with pytest.raises(WorkflowError) as caught:
        flow.run_sync({"topic": ""})
    assert failed_at("article/research", ValueError)(caught.value)

Subjects: a ``WorkflowResult``, a ``WorkflowError`` (it keeps the trace and the state), or
the list of events of ``flow.stream()`` (a complete run's last event carries its result; a
failed run's trace is rebuilt from its step events).

Path globs: ``*`` matches any text, slashes included, ``?`` one character; everything else,
brackets too, is literal, so ``article/reviews[1]/critic`` matches that path itself and
``article/reviews[*]/critic`` every branch. A mismatch lists the trace, one step a line
(path, status, attempts), with what was expected beside the steps it is about.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import llmkit.errors
from llmkit.errors import UsageError, WorkflowError
from llmkit.testing._match import Match, Matcher, field_difference, show
from llmkit.testing._trajectory import match_trajectory

__all__ = ["failed_at", "state_has", "step_ran", "steps_in_order"]

_STATUSES = ("ok", "failed", "skipped")


# ------------------------------------------------------------------ reading a run


@dataclass(frozen=True, slots=True)
class _Row:
    """One step of the trace, as the matchers compare it."""

    path: str
    status: str
    attempts: int
    reason: str = ""
    error_type: str = ""

    def cells(self) -> tuple[str, ...]:
        why = f" ({self.reason})" if self.reason else ""
        return (self.path, f"{self.status}{why}", str(self.attempts), self.error_type)


_NO_STATE = object()


@dataclass(frozen=True, slots=True)
class _Run:
    """What a subject says about one workflow run."""

    rows: tuple[_Row, ...] = ()
    state: Any = _NO_STATE
    failed: bool = False
    failed_path: str = ""
    error: BaseException | None = None
    error_types: tuple[str, ...] = ()
    """Class names of the error and the failed step's error (events keep names only)."""
    kept: tuple[str, ...] = ()
    """Failures a complete run went on after, as ``path ErrorType``."""
    problem: str = ""
    """Why the subject cannot be read as a workflow run (empty when it can)."""


def _read(subject: Any) -> _Run:
    from llmkit.workflow import WorkflowResult

    if isinstance(subject, WorkflowResult):
        return _from_result(subject)
    if isinstance(subject, WorkflowError):
        rows = _rows_of(subject.trace)
        here = next((r for r in rows if r.path == subject.path and r.error_type), None)
        names = (type(subject).__name__,) + ((here.error_type,) if here is not None else ())
        return _Run(
            rows=rows,
            state=subject.state,
            failed=True,
            failed_path=subject.path,
            error=subject,
            error_types=names,
        )
    if isinstance(subject, Sequence) and not isinstance(subject, str | bytes):
        return _from_events(subject)
    return _Run(
        problem=f"{show(subject)} is not a workflow run: pass a WorkflowResult, a "
        "WorkflowError or the list of events of flow.stream()"
    )


def _from_result(result: Any) -> _Run:
    kept = tuple(f"{f.path} {f.error_type}" for f in result.errors)
    return _Run(rows=_rows_of(result.trace), state=result.state, kept=kept)


def _rows_of(trace: Any) -> tuple[_Row, ...]:
    return tuple(
        _Row(
            r.path,
            r.status,
            r.attempts,
            r.reason,
            r.error.error_type if r.error is not None else "",
        )
        for r in trace
    )


def _from_events(events: Sequence[Any]) -> _Run:
    from llmkit.events import ErrorEvent, WorkflowEnd, WorkflowStart, WorkflowStepEnd
    from llmkit.workflow import WorkflowResult

    run_id = next((e.run_id for e in reversed(events) if isinstance(e, WorkflowStart)), None)
    if run_id is None:
        return _Run(problem="the events hold no workflow.start: pass the events of flow.stream()")
    mine = [e for e in events if getattr(e, "run_id", None) == run_id]
    end = next((e for e in reversed(mine) if isinstance(e, WorkflowEnd)), None)
    if end is not None and end.status == "complete" and end.result is not None:
        result = end.result
        if isinstance(result, Mapping):  # a result read back from JSON
            result = WorkflowResult.from_dict(dict(result))
        return _from_result(result)
    order: dict[str, None] = {}
    ends: dict[str, WorkflowStepEnd] = {}
    for event in mine:
        if event.topic == "workflow.step.start":
            order.setdefault(event.path, None)
        elif isinstance(event, WorkflowStepEnd):
            order.setdefault(event.path, None)
            ends[event.path] = event
    rows = tuple(_row_of_events(path, ends.get(path)) for path in order)
    if end is None or end.status != "failed":
        return _Run(rows=rows)
    error = next((e for e in reversed(mine) if isinstance(e, ErrorEvent)), None)
    path = error.path if error is not None else end.path
    step_end = ends.get(path)
    names = tuple(
        n for n in (end.error_type, step_end.error_type if step_end else None) if n is not None
    )
    return _Run(rows=rows, failed=True, failed_path=path, error_types=names)


def _row_of_events(path: str, end: Any) -> _Row:
    if end is None:
        return _Row(path, "unfinished", 1)
    return _Row(path, end.status, end.attempts, end.reason, end.error_type or "")


# --------------------------------------------------------------------- messages


def _glob(pattern: str) -> re.Pattern[str]:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.DOTALL)


def _check_glob(pattern: object, where: str) -> re.Pattern[str]:
    if not isinstance(pattern, str) or not pattern:
        raise UsageError(
            f"{where} takes a step path or a glob such as 'flow/*/writer', not {pattern!r}."
        )
    return _glob(pattern)


def _table(run: _Run, notes: Mapping[int, str], tail: Sequence[str] = ()) -> str:
    """The trace one step a line, each note beside the step it is about; ``tail`` after it."""
    cells = [r.cells() for r in run.rows]
    widths = [max((len(c[k]) for c in cells), default=0) for k in range(4)]
    lines = ["  ".join(c[k].ljust(widths[k]) for k in range(4)).rstrip() for c in cells]
    width = max((len(line) for line in lines), default=0)
    shown = [
        f"  {line.ljust(width)}   <- {notes[i]}" if i in notes else f"  {line}".rstrip()
        for i, line in enumerate(lines)
    ]
    shown += [f"  {' ' * width}   <- {extra}" for extra in tail]
    head = "trace (path  status  attempts  error):" if run.rows else "the trace is empty"
    return "\n".join([head, *shown])


def _mismatch(
    matcher: Matcher,
    why: str,
    run: _Run,
    notes: Mapping[int, str] | None = None,
    tail: Sequence[str] = (),
) -> Match:
    return Match(False, matcher.describe(), f"{why}\n{_table(run, notes or {}, tail)}")


# --------------------------------------------------------------------- matchers


class _StepRan(Matcher):
    __slots__ = ("_attempts", "_glob", "_pattern", "_reason", "_status", "_times")

    def __init__(
        self, pattern: str, status: str | None, attempts: Any, times: int | None, reason: Any
    ) -> None:
        self._pattern = pattern
        self._glob = _glob(pattern)
        self._status = status
        self._attempts = attempts
        self._times = times
        self._reason = reason

    def _difference(self, row: _Row) -> str | None:
        if self._status is not None and row.status != self._status:
            return f"status {row.status!r}, not {self._status!r}"
        if self._attempts is not None:
            why = field_difference(self._attempts, row.attempts, "attempts")
            if why is not None:
                return why
        if self._reason is not None:
            return field_difference(self._reason, row.reason, "reason")
        return None

    def match(self, subject: Any) -> Match:
        run = _read(subject)
        if run.problem:
            return self._result(False, run.problem)
        at = [i for i, r in enumerate(run.rows) if self._glob.fullmatch(r.path)]
        notes = {i: self._difference(run.rows[i]) or "matches" for i in at}
        fitting = [i for i in at if notes[i] == "matches"]
        if (self._times is None and fitting) or len(fitting) == self._times:
            return self._result(True, ", ".join(run.rows[i].path for i in fitting) or "none ran")
        if not at:
            return _mismatch(self, f"no step at {self._pattern!r}", run, tail=[self.describe()])
        if fitting:
            count = f"{len(fitting)} matching steps, not {self._times}"
            return _mismatch(self, count, run, notes)
        return _mismatch(self, f"{run.rows[at[0]].path}: {notes[at[0]]}", run, notes)

    def describe(self) -> str:
        parts = [repr(self._pattern)]
        if self._status != "ok":
            parts.append(f"status={self._status!r}")
        for name in ("attempts", "times", "reason"):
            value = getattr(self, f"_{name}")
            if value is not None:
                parts.append(f"{name}={show(value)}")
        return f"step_ran({', '.join(parts)})"


def step_ran(
    path_glob: str,
    /,
    *,
    status: str | None = "ok",
    attempts: Any = None,
    times: int | None = None,
    reason: Any = None,
) -> Matcher:
    """Matches a run with a step whose path matches ``path_glob`` (fnmatch) and these fields.

    ``status`` is ``"ok"`` (the default), ``"failed"``, ``"skipped"`` or None (any);
    ``attempts`` and ``reason`` are values or matchers (``attempts=at_least(2)``,
    ``reason="fallback"``); ``times`` asks for exactly that many such steps (loop
    iterations, map items), else one is enough. In the glob ``*`` matches any text and
    ``?`` one character; brackets are literal (``flow/items[*]/score``).
    """
    _check_glob(path_glob, "step_ran()")
    if status is not None and status not in _STATUSES:
        raise UsageError(
            f"step_ran(status=...) is one of {', '.join(map(repr, _STATUSES))} or None "
            f"(any status), not {status!r}."
        )
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 0):
        raise UsageError(f"step_ran(times=...) is a count of 0 or more, not {times!r}.")
    return _StepRan(path_glob, status, attempts, times, reason)


class _StepsInOrder(Matcher):
    __slots__ = ("_globs", "_patterns")

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self._patterns = patterns
        self._globs = tuple(_glob(p) for p in patterns)

    def match(self, subject: Any) -> Match:
        run = _read(subject)
        if run.problem:
            return self._result(False, run.problem)
        ran = [i for i, r in enumerate(run.rows) if r.attempts > 0]
        found = match_trajectory(
            self._globs,
            [run.rows[i] for i in ran],
            lambda glob, row: glob.fullmatch(row.path) is not None,
            "in_order",
        )
        notes = {ran[j]: f"{i + 1}. {self._patterns[i]!r}" for i, j in found.pairs}
        if found.ok:
            return self._result(True, ", ".join(run.rows[i].path for i in sorted(notes)))
        lost = [f"{i + 1}. {self._patterns[i]!r} not found in this order" for i in found.missing]
        missing = ", ".join(repr(self._patterns[i]) for i in found.missing)
        return _mismatch(self, f"not found in this order: {missing}", run, notes, lost)

    def describe(self) -> str:
        return f"steps_in_order({', '.join(map(repr, self._patterns))})"


def steps_in_order(*path_globs: str) -> Matcher:
    """Matches a run whose trace has these steps in this order (others may come between).

    Each argument is a path or a glob (as for :func:`step_ran`); only steps that ran
    count (a branch case not taken does not). The trace is in the order of the
    workflow's tree, so parallel branches and map items come by index.
    """
    if not path_globs:
        raise UsageError("steps_in_order() needs at least one step path, e.g. 'flow/write'.")
    for pattern in path_globs:
        _check_glob(pattern, "steps_in_order()")
    return _StepsInOrder(path_globs)


class _StateHas(Matcher):
    __slots__ = ("_fields",)

    def __init__(self, fields: dict[str, Any]) -> None:
        self._fields = fields

    def match(self, subject: Any) -> Match:
        run = _read(subject)
        if run.problem:
            return self._result(False, run.problem)
        state = run.state
        if state is _NO_STATE:
            return self._result(
                False,
                "the events of a failed run carry no state: match the WorkflowError "
                "the stream raised (its .state)",
            )
        for name, expected in self._fields.items():
            if isinstance(state, Mapping):
                found, value = name in state, state.get(name)
            else:
                found, value = hasattr(state, name), getattr(state, name, None)
            if not found:
                return self._result(False, f"the state has no {name!r}: {show(state, 200)}")
            why = field_difference(expected, value, name)
            if why is not None:
                return self._result(False, f"{why}; the state is {show(state, 200)}")
        return self._result(True, show(state))

    def describe(self) -> str:
        return f"state_has({', '.join(f'{k}={show(v)}' for k, v in self._fields.items())})"


def state_has(**fields: Any) -> Matcher:
    """Matches a run whose final state has these field values (value matchers allowed).

    The state is the result's, or a failed run's as its ``WorkflowError`` kept it; a
    dict state is read by key, a model by attribute; fields not named are not checked.
    """
    if not fields:
        raise UsageError("state_has() needs at least one field, e.g. state_has(score=0.9).")
    return _StateHas(fields)


class _FailedAt(Matcher):
    __slots__ = ("_glob", "_pattern", "_type")

    def __init__(self, pattern: str, error_type: type[BaseException]) -> None:
        self._pattern = pattern
        self._glob = _glob(pattern)
        self._type = error_type

    def _is_expected(self, run: _Run) -> bool:
        error: BaseException | None = run.error
        while error is not None:  # the error, or what it wraps
            if isinstance(error, self._type):
                return True
            error = error.__cause__
        if run.error is not None:
            return False
        for name in run.error_types:  # events keep class names only
            known = getattr(llmkit.errors, name, None) or getattr(builtins, name, None)
            if name == self._type.__name__ or (
                isinstance(known, type) and issubclass(known, self._type)
            ):
                return True
        return False

    def match(self, subject: Any) -> Match:
        run = _read(subject)
        if run.problem:
            return self._result(False, run.problem)
        expected = self.describe()
        if not run.failed:
            kept = f" (failures it went on after: {', '.join(run.kept)})" if run.kept else ""
            return _mismatch(self, f"the run did not fail{kept}", run, tail=[expected])
        how = _how(run)
        at = next((i for i, r in enumerate(run.rows) if r.path == run.failed_path), None)
        notes = {} if at is None else {at: f"stopped here: {how}"}
        if not self._glob.fullmatch(run.failed_path):
            where = f"it stopped at {run.failed_path!r}, not {self._pattern!r}"
            return _mismatch(self, where, run, notes, [expected])
        if not self._is_expected(run):
            return _mismatch(self, f"it stopped with {how}", run, notes)
        return self._result(True, f"at {run.failed_path}: {how}")

    def expects_error(self) -> bool:
        return True

    def describe(self) -> str:
        kind = "" if self._type is WorkflowError else f", {self._type.__name__}"
        return f"failed_at({self._pattern!r}{kind})"


def _how(run: _Run) -> str:
    error = run.error
    if error is None:
        return " <- ".join(run.error_types) or "an error"
    cause = error.__cause__
    if cause is None:
        return f"{type(error).__name__}: {error}"
    return f"{type(error).__name__} <- {type(cause).__name__}: {cause}"


def failed_at(path_glob: str, /, error_type: type[BaseException] = WorkflowError) -> Matcher:
    """Matches a failed run that stopped at a matching path with this error type.

    ``error_type`` matches the run's error or what it wraps (``__cause__``): a step
    that raised ``ValueError`` stops the run with a ``WorkflowError`` caused by it, and
    both ``failed_at(path)`` and ``failed_at(path, ValueError)`` match. The subject is
    the ``WorkflowError`` (``pytest.raises(...).value``) or the events of the stream.
    """
    _check_glob(path_glob, "failed_at()")
    if not isinstance(error_type, type) or not issubclass(error_type, BaseException):
        raise UsageError(
            f"failed_at() takes an exception class as its error type, such as "
            f"StepTimeoutError or ValueError, not {error_type!r}."
        )
    return _FailedAt(path_glob, error_type)

"""What a scenario run gives back, and how a failure reads: expected and actual side by side."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llmkit.run import RunResult
from llmkit.testing._match import Match, Matcher
from llmkit.testing._observed import Line, Observation

__all__ = ["Exchange", "ScenarioFailed", "ScenarioResult", "judge", "render"]

_PREFIX = {
    "user": "user: ",
    "text": "model: ",
    "call": "model → ",
    "result": "tool ← ",
    "output": "output: ",
    "paused": "paused: ",
    "error": "error: ",
}
_LEFT_MAX = 52
_RIGHT_MAX = 76


@dataclass(slots=True)
class Exchange(Observation):
    """One user turn of a scenario and the run it started; matchers read it like a run result."""

    number: int = 0
    """1 for the first user turn."""
    input: Any = None
    """What the user said."""
    matches: list[Match] = field(default_factory=list)
    """Each expectation's outcome, in the order they were declared."""
    unused_turns: list[str] = field(default_factory=list)
    """Scripted model turns the run did not ask for."""
    model_calls: int = 0
    """How many times the agent asked the model."""

    @property
    def error_expected(self) -> bool:
        """Whether an expectation that matched says the run should fail."""
        return any(m.ok and m.about_error for m in self.matches)

    @property
    def problems(self) -> list[Match]:
        """Every unmet expectation, plus an unexpected error and unused turns as failed matches."""
        found = [m for m in self.matches if not m]
        if self.error is not None and not self.error_expected:
            at = next((i for i, line in enumerate(self.lines) if line.kind == "error"), None)
            reason = f"it raised {type(self.error).__name__}: {self.error}"
            found.append(Match(False, "the run ends without an error", reason, at))
        if self.unused_turns:
            n = len(self.unused_turns)
            found.append(
                Match(
                    False,
                    "every scripted model turn is used",
                    f"{n} turn{'s were' if n > 1 else ' was'} not asked for: "
                    + ", ".join(self.unused_turns),
                )
            )
        return found

    @property
    def passed(self) -> bool:
        """Whether every expectation held, with no unexpected error and no unused turn."""
        return not self.problems


def judge(matcher: Matcher, exchange: Exchange) -> Match:
    """Apply ``matcher`` to ``exchange``, noting whether it is about an expected error."""
    found = matcher.match(exchange)
    if matcher.expects_error():
        found.about_error = True
    return found


@dataclass(slots=True)
class ScenarioResult:
    """A scenario's outcome: one :class:`Exchange` per user turn that ran."""

    name: str
    exchanges: list[Exchange]
    declared: int
    """How many user turns the scenario declared (a failure may stop it early)."""

    @property
    def passed(self) -> bool:
        """Whether every user turn ran and every exchange passed."""
        return len(self.exchanges) == self.declared and all(e.passed for e in self.exchanges)

    @property
    def result(self) -> RunResult[Any] | None:
        """The last run's result (None when it failed)."""
        return self.exchanges[-1].result if self.exchanges else None

    def __getitem__(self, index: int) -> Exchange:
        return self.exchanges[index]

    def __len__(self) -> int:
        return len(self.exchanges)


class ScenarioFailed(AssertionError):
    """A scenario's expectations were not met; the message shows expected and actual side by side."""

    def __init__(self, message: str, result: ScenarioResult) -> None:
        super().__init__(message)
        self.result = result
        """The :class:`ScenarioResult`, for a closer look."""


# ------------------------------------------------------------------ rendering


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _line_text(line: Line) -> str:
    return _PREFIX.get(line.kind, "") + line.text


def _rows(exchange: Exchange) -> list[tuple[str, str]]:
    """(expected, actual) rows: each expectation on the line it is about, others at the end."""
    by_line: dict[int, list[Match]] = {}
    loose: list[Match] = []
    problems = exchange.problems
    shown = [m for m in exchange.matches if m] + problems
    for m in shown:
        if m.at is not None and 0 <= m.at < len(exchange.lines):
            by_line.setdefault(m.at, []).append(m)
        else:
            loose.append(m)
    rows: list[tuple[str, str]] = []
    for index, line in enumerate(exchange.lines):
        marks = by_line.get(index, [])
        rows.append((_mark(marks[0]) if marks else "", _line_text(line)))
        rows.extend((_mark(m), "") for m in marks[1:])
    rows.extend((_mark(m), "") for m in loose)
    return rows


def _mark(m: Match) -> str:
    return ("✓ " if m.ok else "✗ ") + m.description


def render(result: ScenarioResult) -> str:
    """The failure message of ``result``: per exchange, expectations beside the actual trajectory."""
    failed = [e for e in result.exchanges if not e.passed]
    count = sum(len(e.problems) for e in failed)
    head = f"Scenario {result.name!r} failed: {count} problem{'s' if count != 1 else ''}"
    if len(result.exchanges) < result.declared:
        head += f"; it stopped after user turn {len(result.exchanges)} of {result.declared}"
    out = [head + "."]
    for exchange in result.exchanges:
        rows = _rows(exchange)
        left = min(_LEFT_MAX, max([len("expected")] + [len(r[0]) for r in rows]))
        status = "passed" if exchange.passed else "FAILED"
        out.append("")
        out.append(f"user turn {exchange.number} of {result.declared}: {status}")
        out.append(f"  {'expected'.ljust(left)} │ actual")
        out.append(f"  {'─' * left}─┼─{'─' * 40}")
        for expected, actual in rows:
            out.append(
                f"  {_clip(expected, left).ljust(left)} │ {_clip(actual, _RIGHT_MAX)}".rstrip()
            )
        problems = exchange.problems
        if problems:
            out.append("")
            for m in problems:
                out.append(f"  ✗ {m.description}")
                out.append(f"      {m.reason}")
    return "\n".join(out)

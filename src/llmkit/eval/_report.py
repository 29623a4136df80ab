"""An evaluation's report: per-case scores, per-metric means against thresholds, a table, JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmkit._plural import plural
from llmkit.eval._cases import METRICS
from llmkit.types import JSONDict, Usage

__all__ = ["CaseResult", "EvalReport", "MetricSummary", "assert_passed"]


@dataclass(slots=True)
class CaseResult:
    """How one case went: the answer, the tool calls, a score per metric, and any error."""

    id: str
    input: str
    output: Any = None
    tool_calls: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    """Per metric, why a score is below 1 (or the judge's reasoning)."""
    error: str | None = None
    """The error that stopped the run (its scores are computed on what it did)."""
    duration: float = 0.0
    usage: Usage = field(default_factory=Usage)
    """The agent's usage plus the judge's."""

    def to_dict(self) -> JSONDict:
        """The JSON form of this result."""
        from pydantic_core import to_jsonable_python

        return {
            "id": self.id,
            "input": self.input,
            "output": to_jsonable_python(self.output, fallback=repr),
            "tool_calls": self.tool_calls,
            "scores": self.scores,
            "notes": self.notes,
            "error": self.error,
            "duration": round(self.duration, 4),
            "usage": self.usage.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class MetricSummary:
    """One metric over the cases scored on it: the mean, the threshold and whether it was met."""

    name: str
    mean: float
    cases: int
    threshold: float | None = None

    @property
    def passed(self) -> bool:
        """Whether the mean reaches the threshold (a metric without one always passes)."""
        return self.threshold is None or self.mean >= self.threshold - 1e-9


@dataclass(slots=True)
class EvalReport:
    """The outcome of an evaluation; :attr:`passed` is False when a threshold was missed."""

    name: str
    model: str
    cases: list[CaseResult]
    thresholds: dict[str, float] = field(default_factory=dict)
    judge_model: str | None = None
    duration: float = 0.0

    @property
    def metrics(self) -> list[MetricSummary]:
        """Each metric some case was scored on, in report order."""
        found = []
        for name in METRICS:
            scores = [c.scores[name] for c in self.cases if name in c.scores]
            if scores:
                mean = sum(scores) / len(scores)
                found.append(MetricSummary(name, mean, len(scores), self.thresholds.get(name)))
        return found

    @property
    def failures(self) -> list[MetricSummary]:
        """The metrics whose mean missed the threshold."""
        return [m for m in self.metrics if not m.passed]

    @property
    def passed(self) -> bool:
        """Whether every threshold was met."""
        return not self.failures

    @property
    def errors(self) -> list[CaseResult]:
        """The cases whose run failed."""
        return [c for c in self.cases if c.error is not None]

    @property
    def usage(self) -> Usage:
        """Everything the evaluation consumed (agent runs and judge calls)."""
        return Usage.sum(c.usage for c in self.cases)

    def summary(self) -> str:
        """One line: passed, which thresholds were missed, or that there were none to meet."""
        if self.passed:
            met = sum(1 for m in self.metrics if m.threshold is not None)
            if not met:
                return "No thresholds set: the scores above are not checked."
            return f"PASSED: {plural(met, 'threshold')} met"
        missed = ", ".join(f"{m.name} {m.mean:.2f} < {m.threshold:.2f}" for m in self.failures)
        return f"FAILED: {missed}"

    def table(self) -> str:
        """The report as a text table: a row per case, then the mean and threshold per metric."""
        names = [m.name for m in self.metrics]
        width = max([len("threshold"), *(len(c.id) for c in self.cases)])
        width = min(width, 40)
        cols = [max(len(n), 5) for n in names]

        def row(label: str, cells: list[str], tail: str = "") -> str:
            text = label[:width].ljust(width)
            for cell, size in zip(cells, cols, strict=True):
                text += "  " + cell.rjust(size)
            return (text + ("  " + tail if tail else "")).rstrip()

        lines = [
            f"{self.name}: {plural(len(self.cases), 'case')}, model {self.model}"
            + (f", judge {self.judge_model}" if self.judge_model and "judge" in names else ""),
            "",
            row("case", names),
        ]
        for case in self.cases:
            cells = [f"{case.scores[n]:.2f}" if n in case.scores else "-" for n in names]
            lines.append(row(case.id, cells, f"error: {case.error[:60]}" if case.error else ""))
        summaries = self.metrics
        lines.append(row("mean", [f"{m.mean:.2f}" for m in summaries]))
        if any(m.threshold is not None for m in summaries):
            lines.append(
                row(
                    "threshold",
                    [f"{m.threshold:.2f}" if m.threshold is not None else "-" for m in summaries],
                )
            )
            lines.append(
                row(
                    "",
                    [
                        "" if m.threshold is None else "ok" if m.passed else "MISSED"
                        for m in summaries
                    ],
                )
            )
        lines += ["", self.summary()]
        return "\n".join(lines)

    def to_dict(self) -> JSONDict:
        """The JSON form of the report."""
        return {
            "name": self.name,
            "model": self.model,
            "judge_model": self.judge_model,
            "passed": self.passed,
            "duration": round(self.duration, 4),
            "metrics": {
                m.name: {
                    "mean": m.mean,
                    "cases": m.cases,
                    "threshold": m.threshold,
                    "passed": m.passed,
                }
                for m in self.metrics
            },
            "usage": self.usage.to_dict(),
            "cases": [c.to_dict() for c in self.cases],
        }

    def write_json(self, path: str | Path) -> None:
        """Write :meth:`to_dict` to ``path`` as indented JSON."""
        Path(path).write_text(
            json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )

    def assert_passed(self) -> None:
        """Raise ``AssertionError`` with the table when a threshold was missed."""
        assert_passed(self)


def assert_passed(report: EvalReport) -> None:
    """Raise ``AssertionError`` showing the report's table when a threshold was missed (for pytest)."""
    if not report.passed:
        raise AssertionError(
            f"Evaluation {report.name!r} missed its thresholds.\n\n{report.table()}"
        )

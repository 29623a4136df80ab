"""Reading the workflow runs of a recording: their start, their step attempts, their agent runs, their end.

A workflow run is the ``workflow.start`` line and every line of the same
workflow run id after it: one ``workflow.step.start`` per step attempt, the
``workflow.step.end`` or ``error`` line (``where: "step"``) that ended it,
and ``workflow.end``. The agent runs made inside its steps are the
recording's runs whose ``run.start`` names the workflow run.

Guarantees: reading a recording without workflows finds none and changes
nothing else; a step attempt's outcome is the first ``workflow.step.end`` or
step ``error`` line after its start (a hook failing after the step's own
success adds a second line, which is not its outcome).
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from llmkit._recording.diff import first_difference
from llmkit._recording.reader import RecordedLine, RecordedRun
from llmkit._recording.writer import LEAF_KINDS, jsonable
from llmkit._redact import redact
from llmkit.types import JSONDict, Message

__all__ = [
    "RecordedStep",
    "RecordedWorkflow",
    "StepAnswers",
    "group_workflows",
    "input_difference",
]

_MISSING: Any = object()


def _normal(value: Any) -> Any:
    """``value`` as the recorder stored it: JSON data, through the line's text, secrets redacted."""
    return json.loads(redact(json.dumps(jsonable(value), ensure_ascii=False, default=str)))


def input_difference(recorded: Any, value: Any, where: str = "input") -> str | None:
    """The first difference between a recorded input and ``value`` as it would be recorded."""
    return first_difference(recorded, _normal(value), where)


@dataclass(slots=True)
class RecordedStep:
    """One attempt of a workflow step: its start line and the line that ended it."""

    path: str
    kind: str
    attempt: int
    start: RecordedLine
    outcome: RecordedLine | None = None
    """The ``workflow.step.end`` (success) or ``error`` line of the attempt; None when the
    recording ends before it did."""

    @property
    def has_input(self) -> bool:
        """Whether the start line holds the step's input (function, Step and tool steps)."""
        return "input" in self.start.data

    @property
    def input(self) -> Any:
        """The recorded input (JSON data), or None when the line holds none."""
        return self.start.data.get("input")

    @property
    def ok(self) -> bool:
        """Whether the attempt succeeded."""
        return self.outcome is not None and self.outcome.topic == "workflow.step.end"

    @property
    def output(self) -> Any:
        """The output of a successful attempt (JSON data), else None."""
        return self.outcome.data.get("output") if self.ok and self.outcome else None

    @property
    def cancelled(self) -> bool:
        """Whether the attempt was cancelled (a lost race, a timeout or a stop around it)."""
        outcome = self.outcome
        return (
            outcome is not None
            and outcome.topic == "error"
            and outcome.data.get("error_type") == "CancelledError"
        )

    def input_difference(self, value: Any) -> str | None:
        """The first difference between the recorded input and ``value``; None when equal."""
        return input_difference(self.input, value)

    def __repr__(self) -> str:
        return f"<RecordedStep {self.path} ({self.kind}) attempt {self.attempt}>"


@dataclass(slots=True)
class RecordedWorkflow:
    """One workflow run of a recording: its start, its steps, its agent runs, its end."""

    run_id: str
    name: str
    start: RecordedLine
    lines: list[RecordedLine] = field(default_factory=list)
    """Every line of this workflow run, in order (``workflow.start`` first); the lines of
    its agent runs are in :attr:`runs`."""
    runs: list[RecordedRun] = field(default_factory=list)
    """The agent runs made inside its steps, in the order they started."""

    @property
    def state_data(self) -> Any:
        """The state the run started on (JSON data)."""
        return self.start.data.get("state")

    def state_difference(self, state: Any) -> str | None:
        """The first difference between the recorded starting state and ``state``; None when equal."""
        return input_difference(self.state_data, state, "state")

    @property
    def end(self) -> RecordedLine | None:
        """The ``workflow.end`` line, or None when the recording ends before the run did."""
        for line in reversed(self.lines):
            if line.topic == "workflow.end":
                return line
        return None

    @property
    def status(self) -> str:
        """``"complete"``, ``"failed"``, or ``"unfinished"`` when the recording ends first."""
        end = self.end
        return "unfinished" if end is None else str(end.data.get("status", "unfinished"))

    @property
    def result_data(self) -> JSONDict | None:
        """The JSON form of the ``WorkflowResult`` of a complete run, else None."""
        end = self.end
        if end is None or end.data.get("status") != "complete":
            return None
        data = end.data.get("result")
        return data if isinstance(data, dict) else None

    @property
    def trace_data(self) -> list[JSONDict] | None:
        """The final trace (each step's JSON record) when the run ended, else None."""
        end = self.end
        if end is None:
            return None
        result = self.result_data
        trace = result.get("trace") if result is not None else end.data.get("trace")
        return [r for r in trace if isinstance(r, dict)] if isinstance(trace, list) else None

    def steps(self) -> list[RecordedStep]:
        """Every step attempt, in the order they started, each with the line that ended it."""
        found: list[RecordedStep] = []
        open_steps: dict[tuple[str, str, int], RecordedStep] = {}
        for line in self.lines:
            topic, data = line.topic, line.data
            if topic == "workflow.step.start":
                step = RecordedStep(
                    line.event.path, str(data.get("kind", "")), int(data.get("attempt", 1)), line
                )
                found.append(step)
                open_steps[(step.path, step.kind, step.attempt)] = step
            elif topic == "workflow.step.end" or (topic == "error" and data.get("where") == "step"):
                # A step.end line counts the attempts so far; an error line names its attempt.
                number = data.get("attempts" if topic == "workflow.step.end" else "attempt", 1)
                key = (line.event.path, str(data.get("kind", "")), int(number))
                started = open_steps.pop(key, None)
                if started is not None:
                    started.outcome = line
        return found

    def step_outcome(self, path: str, attempt: int) -> RecordedLine | None:
        """The line that ended the first recorded attempt ``attempt`` of the leaf step at ``path``."""
        step = self._leaf(path, attempt)
        return None if step is None else step.outcome

    def step_input(self, path: str, attempt: int) -> Any:
        """The recorded input of that attempt (function, Step and tool steps), else None."""
        step = self._leaf(path, attempt)
        return None if step is None else step.input

    def agent_run(self, path: str, attempt: int) -> RecordedRun | None:
        """The first agent run the step at ``path`` made on ``attempt``, or None."""
        for run in self.runs:
            data = run.start.data
            if data.get("path") == path and data.get("attempt") == attempt:
                return run
        return None

    def answers(self) -> StepAnswers:
        """Its step attempts and agent runs, each served once, in order (what a replay reads)."""
        return StepAnswers(self)

    def _leaf(self, path: str, attempt: int) -> RecordedStep | None:
        for step in self.steps():
            if step.path == path and step.attempt == attempt and step.kind in LEAF_KINDS:
                return step
        return None

    def __repr__(self) -> str:
        return (
            f"<RecordedWorkflow {self.run_id} {self.name!r} {self.status} lines={len(self.lines)}>"
        )


def group_workflows(lines: list[RecordedLine], runs: list[RecordedRun]) -> list[RecordedWorkflow]:
    """The workflow runs of a recording, in the order they started, with their agent runs."""
    flows: dict[str, RecordedWorkflow] = {}
    for line in lines:
        run_id = line.data.get("run_id")
        if line.topic == "workflow.start" and isinstance(run_id, str):
            flows[run_id] = RecordedWorkflow(
                run_id, str(line.data.get("workflow", "")), line, [line]
            )
        elif (
            isinstance(run_id, str)
            and run_id in flows
            and (line.topic.startswith("workflow.") or line.topic == "error")
        ):
            flows[run_id].lines.append(line)
    for run in runs:
        owner = run.start.data.get("workflow")
        if isinstance(owner, str) and owner in flows:
            flows[owner].runs.append(run)
    return list(flows.values())


class StepAnswers:
    """The recorded step attempts and agent runs of one workflow run, each served once, in order.

    A replay asks for each leaf attempt by path and attempt number; the same
    (path, attempt) comes again when a retried sub-flow runs its steps again,
    so each key is a queue.
    """

    def __init__(self, flow: RecordedWorkflow) -> None:
        self.flow = flow
        self._steps: dict[tuple[str, int], deque[RecordedStep]] = {}
        for step in flow.steps():
            if step.kind in LEAF_KINDS:
                self._steps.setdefault((step.path, step.attempt), deque()).append(step)
        self._runs: dict[tuple[str, int, str], deque[RecordedRun]] = {}
        for run in flow.runs:
            data = run.start.data
            key = (str(data.get("path", "")), int(data.get("attempt", 0)), run.agent)
            self._runs.setdefault(key, deque()).append(run)

    def step(self, path: str, attempt: int) -> RecordedStep | None:
        """The next recorded attempt ``attempt`` of the leaf step at ``path``, or None."""
        queue = self._steps.get((path, attempt))
        return queue.popleft() if queue else None

    def run(self, path: str, attempt: int, agent: str) -> RecordedRun | None:
        """The next recorded run of ``agent`` made by attempt ``attempt`` of the step at ``path``."""
        queue = self._runs.get((path, attempt, agent))
        return queue.popleft() if queue else None

    @staticmethod
    def agent_input_difference(run: RecordedRun, value: Any) -> str | None:
        """The first difference between what an agent step sends (``value``) and ``run``'s input."""
        recorded = run.start.data.get("input") or []
        if isinstance(value, Message):
            given: list[Any] = [value.to_dict()]
        elif isinstance(value, str):
            given = [Message.user(value).to_dict()]
        elif isinstance(value, list):
            given = [Message.user(*value).to_dict()]
        else:
            given = [Message.user(str(value)).to_dict()]
        return input_difference(recorded[-1:], given, "input")

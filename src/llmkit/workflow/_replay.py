"""Replaying a recorded workflow run: the same steps, answered from the recording, no network.

:func:`replay_workflow` is what ``Workflow.replay_from`` does. The workflow runs again with
the recorded run id, on the recorded state (or the state given, which must equal it), with
no wait between attempts and no circuit breaker asked, and a :class:`RecordReplayer`
answering its leaves:

- an agent or tool step's attempt replays its recorded agent run
  (``Recording.replay(agent, run=<its run id>)``: the recorded model answers, no tool runs),
  after checking that the step sends the recorded input;
- a function or ``Step`` attempt checks its input against the recorded one, then returns
  the recorded output (the state is written as usual, so validation runs again) or raises
  the recorded error: its own class when it can be rebuilt (a class of ``llmkit.errors``, a
  builtin, or a class of a module already imported, made from the recorded message), else a
  :class:`~llmkit.errors.ReplayedError` naming it. Retry, fallback and ``on_error`` then
  decide as they did. With ``functions="rerun"`` these steps run again instead;
- an attempt that was cancelled when recorded (a lost race, a sibling's failure, a
  timeout) waits to be cancelled again; one the recorded run's own stop cut short ends the
  replay with :class:`~llmkit.errors.ReplayDivergence`.

A step the recording does not hold, an input that differs from the recorded one, or a
state that differs from the recorded one raises :class:`~llmkit.errors.ReplayDivergence`
naming the recording's line; it is raised as it is, not wrapped in a ``WorkflowError``.
"""

from __future__ import annotations

import ast
import asyncio
import builtins
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from llmkit import errors
from llmkit.errors import ReplayDivergence, ReplayedError, UsageError, WorkflowError
from llmkit.recording import RecordedStep, RecordedWorkflow, Recording, StepAnswers
from llmkit.workflow._result import WorkflowResult
from llmkit.workflow._runtime import WorkflowOptions
from llmkit.workflow._spec import Node

if TYPE_CHECKING:
    from llmkit.types import JSONDict

__all__ = ["RecordReplayer", "rebuilt_error", "replay_workflow"]

_STOPPED = frozenset({"CancelledError", "KeyboardInterrupt", "SystemExit"})


def _error_class(name: str, where: object) -> type[Exception] | None:
    found: Any = None
    if isinstance(where, str) and ":" in where:
        # Only a module already imported: reading a recording never imports code.
        module, _, qualname = where.partition(":")
        found = sys.modules.get(module)
        for part in qualname.split("."):
            found = getattr(found, part, None)
    if found is None:
        found = getattr(errors, name, None) if name in errors.__all__ else None
    if found is None:
        found = getattr(builtins, name, None)
    return found if isinstance(found, type) and issubclass(found, Exception) else None


def _arguments(message: str) -> list[Any]:
    arguments: list[Any] = [message]
    try:
        literal = ast.literal_eval(message)  # KeyError('x') reads back as "'x'"
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return arguments
    if isinstance(literal, str):
        arguments.append(literal)
    return arguments


def rebuilt_error(data: JSONDict) -> Exception:
    """The error a recorded ``error`` line describes: its class rebuilt, else a ``ReplayedError``."""
    name = str(data.get("error_type") or "Exception")
    message = str(data.get("message") or "")
    cls = _error_class(name, data.get("error_class"))
    if cls is not None:
        for argument in _arguments(message):
            try:
                error = cls(argument)
            except Exception:
                continue
            if str(error) == message:
                return error
    return ReplayedError(message, error_type=name)


class RecordReplayer:
    """Answers a replayed workflow's leaves from one recorded workflow run (see the module)."""

    def __init__(
        self,
        recording: Recording,
        flow: RecordedWorkflow,
        *,
        functions: Literal["recorded", "rerun"] = "recorded",
    ) -> None:
        self._recording = recording
        self._flow = flow
        self._answers = flow.answers()
        self.answers_steps = functions == "recorded"
        """Whether function and Step attempts are answered (False: they run again)."""
        end = flow.end
        self._stopped = end is not None and (
            end.data.get("error_type") in _STOPPED
            or end.data.get("failed_at", end.data.get("path")) == flow.name
        )

    def _missing(self, path: str, attempt: int) -> ReplayDivergence:
        last = self._flow.lines[-1].line
        return ReplayDivergence(
            f"Replay of {self._recording.path} diverged: the workflow now runs {path} (attempt "
            f"{attempt}), which the recording does not hold; record it again.",
            line=last,
            diff=f"step {path} (attempt {attempt}) was not recorded",
        )

    def _step(self, path: str, attempt: int) -> RecordedStep:
        step = self._answers.step(path, attempt)
        if step is None:
            raise self._missing(path, attempt)
        return step

    def _differs(self, line: int, what: str, diff: str) -> ReplayDivergence:
        return ReplayDivergence(
            f"Replay of {self._recording.path} diverged at line {line}: {what} differs from the "
            f"recorded one: {diff}. Record the run again if the change is intended.",
            line=line,
            diff=diff,
        )

    async def _cancelled(self, step: RecordedStep) -> None:
        if self._stopped:
            line = step.outcome.line if step.outcome is not None else step.start.line
            raise ReplayDivergence(
                f"Replay of {self._recording.path}: {step.path} (attempt {step.attempt}) was "
                f"cut short at line {line} when the recorded run was stopped; the replay "
                "ends there.",
                line=line,
                diff="the recorded run was stopped",
            )
        await asyncio.Event().wait()  # until cancelled, as it was when recorded

    async def agent_run(self, agent: Any, input: Any, *, path: str, attempt: int, deps: Any) -> Any:
        """The recorded run of the agent (or tool) step at ``path`` on ``attempt``, replayed."""
        step = self._step(path, attempt)
        if step.cancelled:
            await self._cancelled(step)
        if step.has_input:  # a tool step: its arguments are on the step line
            diff = step.input_difference(input)
            if diff is not None:
                raise self._differs(step.start.line, f"the input of {path}", diff)
        run = self._answers.run(path, attempt, agent.name)
        if run is None:
            raise self._missing(path, attempt)
        if not step.has_input:
            diff = StepAnswers.agent_input_difference(run, input)
            if diff is not None:
                raise self._differs(run.start.line, f"the input of {path}", diff)
        if deps is None:
            return await self._recording.replay(agent, run=run.run_id)
        return await self._recording.replay(agent, run=run.run_id, deps=deps)

    async def step_outcome(self, path: str, attempt: int, input: Any) -> Any:
        """The recorded output of the function or Step attempt; raises its recorded error."""
        step = self._step(path, attempt)
        diff = step.input_difference(input)
        if diff is not None:
            raise self._differs(step.start.line, f"the input of {path}", diff)
        outcome = step.outcome
        if outcome is None:
            raise ReplayDivergence(
                f"Replay of {self._recording.path}: {path} (attempt {attempt}) at line "
                f"{step.start.line} has no recorded outcome (the recording ends there).",
                line=step.start.line,
                diff="no recorded outcome",
            )
        if step.ok:
            return step.output
        if step.cancelled:
            await self._cancelled(step)
        raise rebuilt_error(outcome.data)


def _start_state(root: Node, flow: RecordedWorkflow, state: Any, file: Path) -> Any:
    line = flow.start.line
    recorded = flow.state_data
    if state is not None:
        diff = flow.state_difference(state)
        if diff is not None:
            raise ReplayDivergence(
                f"Replay of {file} diverged at line {line}: the state given differs from the "
                f"recorded one: {diff}. Pass the recorded state, or none to start from it.",
                line=line,
                diff=diff,
            )
        return state
    if recorded is None:
        return {}
    if root.state is None:
        if not isinstance(recorded, dict):
            raise ReplayDivergence(
                f"Replay of {file}: the state recorded at line {line} is not an object.",
                line=line,
                diff="recorded state is not an object",
            )
        return dict(recorded)
    try:
        return root.state.model_validate(recorded)
    except ValidationError as exc:
        raise ReplayDivergence(
            f"Replay of {file} diverged at line {line}: the recorded state does not fit "
            f"{root.state.__name__} now: {exc}",
            line=line,
            diff=f"state no longer fits {root.state.__name__}",
        ) from None


async def replay_workflow(
    root: Node,
    recording: Any,
    *,
    run: int | str = 0,
    deps: Any = None,
    state: Any = None,
    functions: Literal["recorded", "rerun"] = "recorded",
) -> WorkflowResult[Any]:
    """Run ``root`` again as ``recording`` holds workflow run ``run`` (see the module docstring)."""
    from llmkit.workflow._runner import run_workflow

    if functions not in ("recorded", "rerun"):
        raise UsageError(
            f"Workflow.replay_from(functions=...) takes 'recorded' (answer function steps from "
            f"the recording) or 'rerun' (run them again), not {functions!r}."
        )
    if isinstance(recording, str | Path):
        recording = Recording.load(recording)
    if not isinstance(recording, Recording):
        raise UsageError(
            "Workflow.replay_from() takes a Recording (Recording.load(path)) or the path of "
            f"one, not {type(recording).__name__}."
        )
    flow = recording.workflow(run)
    if flow.name != root.name:
        raise ReplayDivergence(
            f"Replay of {recording.path} diverged at line {flow.start.line}: the recording "
            f"holds workflow {flow.name!r}, not {root.name!r}; replay the workflow it holds.",
            line=flow.start.line,
            diff=f"workflow: recorded {flow.name!r}, now {root.name!r}",
        )
    start = _start_state(root, flow, state, recording.path)
    options: WorkflowOptions = {"run_id": flow.run_id}
    if deps is not None:
        options["deps"] = deps
    replayer = RecordReplayer(recording, flow, functions=functions)
    try:
        return await run_workflow(root, start, options, method="replay_from", replayer=replayer)
    except WorkflowError as error:
        cause = error.__cause__
        if isinstance(cause, ReplayDivergence):
            raise cause from None
        raise

"""Record agent runs to a file, and replay them: same run, no network, no tool side effects.

::

    import llmkit

    with llmkit.record("run.jsonl"):              # also ``async with``
        agent.run_sync("What's the weather in Paris?")

    result = llmkit.replay("run.jsonl", agent)    # the same RunResult, offline

A recording is JSON Lines: a header line (``{"llmkit_recording": 1, ...}``),
then one line per event crossing the model and tool boundary, in order:
``run.start``, ``model.request``, ``model.response``, ``tool.call``,
``tool.result``, ``error``, ``run.end`` (the event vocabulary of
:mod:`llmkit.events`, each with ``t``, seconds since the recording began).
Secrets are redacted before a line is written. Every agent run started in
the ``with`` block is recorded (``record`` is scoped with a context
variable, so it follows ``run_sync`` and tasks started inside it).

Reading one back::

    recording = Recording.load("run.jsonl")       # RecordingError names a bad line
    run = recording.run()                         # the first run (or run(1), run("<run id>"))
    run.input, run.history, run.result, run.model_calls(), run.tool_calls()
    model = recording.replay_model()              # answers from the recording
    tools = recording.replay_tools()              # a hook answering tool calls from it
    result = await recording.replay(agent)        # both, around a real run of ``agent``

Workflows record and replay the same way: inside ``record()`` a workflow
run writes ``workflow.start``, its step attempts (``workflow.step.start``,
then ``workflow.step.end`` or an ``error`` line with ``where: "step"``), the
lines of its agent runs (their ``run.start`` names the workflow run and the
attempt; every line of a step carries its ``path``), and ``workflow.end``::

    with llmkit.record("flow.jsonl"):
        flow.run_sync(Article(topic="tides"))

    recording = Recording.load("flow.jsonl")
    recording.workflows, recording.workflow()    # RecordedWorkflow: state, steps, runs, end
    result = await recording.replay(flow)        # flow.replay_from(recording): same result
    result = llmkit.replay("flow.jsonl", flow)   # blocking

A replayed workflow answers its agent steps from their recorded runs and its
function and ``Step`` steps with their recorded outputs (or errors), so no
model is called and no function runs (``flow.replay_from(..., functions="rerun")``
runs functions again). Recordings without workflows read and replay as they
always did.

``llmkit replay run.jsonl`` prints a recording as a readable trace (each
workflow as a tree of its steps).
"""

from __future__ import annotations

from collections.abc import Awaitable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, overload, runtime_checkable

from llmkit._hooks.session import SESSION_HOOKS
from llmkit._plural import plural
from llmkit._recording.reader import (
    ModelExchange,
    RecordedLine,
    RecordedRun,
    group_runs,
    parse_lines,
)
from llmkit._recording.replay import Replayable, ReplayModel, ReplayTools
from llmkit._recording.workflows import (
    RecordedStep,
    RecordedWorkflow,
    StepAnswers,
    group_workflows,
)
from llmkit._recording.writer import RECORDING_FORMAT, Recorder
from llmkit.errors import RecordingError, UsageError
from llmkit.types import JSONDict

if TYPE_CHECKING:
    from llmkit.run import RunResult

__all__ = [
    "RECORDING_FORMAT",
    "ModelExchange",
    "RecordedLine",
    "RecordedRun",
    "RecordedStep",
    "RecordedWorkflow",
    "Recorder",
    "Recording",
    "ReplayModel",
    "ReplayTools",
    "ReplaysItself",
    "StepAnswers",
    "record",
    "replay",
]

_UNSET: Any = object()


@runtime_checkable
class ReplaysItself(Protocol):
    """What replays itself from a recording (a :class:`llmkit.workflow.Workflow` does).

    :meth:`Recording.replay` and :func:`replay` hand such a target the
    recording instead of replaying an agent run.
    """

    def replay_from(self, recording: Recording, *, run: int | str, deps: Any) -> Awaitable[Any]:
        """Run again as ``recording`` holds run ``run``, answered from it."""
        ...


def record(path: str | Path) -> Recorder:
    """Record every agent run in a ``with`` (or ``async with``) block to ``path`` (JSON Lines).

    The file is created (or overwritten) on entering the block and closed on
    leaving it; each line is flushed as it is written.
    """
    return Recorder(path)


class Recording:
    """A recording read back from a file: its header, its lines, its runs."""

    def __init__(self, path: Path, header: JSONDict, lines: list[RecordedLine]) -> None:
        self.path = path
        self.header = header
        """The first line: ``llmkit_recording`` (the format), ``llmkit`` (the version), ``created``."""
        self.lines = lines
        """Every event line, in order."""
        self.runs: list[RecordedRun] = group_runs(lines)
        """The agent runs, in the order they started (those inside workflows too)."""
        self.workflows: list[RecordedWorkflow] = group_workflows(lines, self.runs)
        """The workflow runs, in the order they started."""

    @classmethod
    def load(cls, path: str | Path) -> Recording:
        """Read and check a recording.

        Raises :class:`~llmkit.errors.RecordingError` (with ``line``) for a file
        that is corrupt or cut short, and
        :class:`~llmkit.errors.RecordingVersionError` for one from a newer llmkit.
        """
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise RecordingError(f"No recording at {str(file)!r}.", path=str(file)) from None
        except UnicodeDecodeError as exc:
            raise RecordingError(
                f"{file} is not UTF-8 text (byte {exc.start}); not an llmkit recording.",
                path=str(file),
            ) from None
        header, lines = parse_lines(file, text)
        return cls(file, header, lines)

    def run(self, which: int | str = 0) -> RecordedRun:
        """A run by position (0 is the first) or by run id."""
        if not self.runs:
            raise UsageError(f"{self.path} holds no run (was anything run inside record()?).")
        if isinstance(which, str):
            for run in self.runs:
                if run.run_id == which:
                    return run
            raise UsageError(f"{self.path} holds no run with id {which!r}.")
        try:
            return self.runs[which]
        except IndexError:
            raise UsageError(
                f"{self.path} holds {plural(len(self.runs), 'run')}; run({which}) does not exist."
            ) from None

    def workflow(self, which: int | str = 0) -> RecordedWorkflow:
        """A workflow run by position (0 is the first) or by run id."""
        if not self.workflows:
            raise UsageError(
                f"{self.path} holds no workflow run (was a workflow run inside record()?)."
            )
        if isinstance(which, str):
            for flow in self.workflows:
                if flow.run_id == which:
                    return flow
            raise UsageError(f"{self.path} holds no workflow run with id {which!r}.")
        try:
            return self.workflows[which]
        except IndexError:
            raise UsageError(
                f"{self.path} holds {plural(len(self.workflows), 'workflow run')}; "
                f"workflow({which}) does not exist."
            ) from None

    def replay_model(self, run: int | str = 0) -> ReplayModel:
        """A model answering ``run``'s model calls from the recording, checking each request."""
        return ReplayModel.for_run(self.path, self.run(run))

    def replay_tools(self, run: int | str = 0) -> ReplayTools:
        """A hook answering ``run``'s tool calls from the recording (tools do not run)."""
        return ReplayTools(self.path, self.run(run))

    @overload
    async def replay(
        self, agent: Replayable, *, run: int | str = 0, deps: Any = _UNSET
    ) -> RunResult[Any]: ...

    @overload
    async def replay(
        self, agent: ReplaysItself, *, run: int | str = 0, deps: Any = _UNSET
    ) -> Any: ...

    async def replay(
        self, agent: Replayable | ReplaysItself, *, run: int | str = 0, deps: Any = _UNSET
    ) -> Any:
        """Run ``agent`` again on the recorded input, answered from the recording.

        Given a workflow (anything with ``replay_from``), replays the workflow
        run ``run`` instead: ``agent.replay_from(self, run=run, deps=deps)``,
        whose result is the workflow's.

        The result equals the recorded one (same run id, messages, steps and
        usage) unless the code changed; then :class:`~llmkit.errors.ReplayDivergence`
        names the first line the run departs from. The agent's own hooks run
        as they did. Pass ``deps`` if the agent's tools or instructions need them.

        ``agent`` and every agent it may hand off to get a model answering
        from the recording while the replay runs (through their public
        ``reachable_agents()`` and ``override()``).
        """
        if isinstance(agent, ReplaysItself):
            return await agent.replay_from(self, run=run, deps=None if deps is _UNSET else deps)
        recorded = self.run(run)
        model = ReplayModel.for_run(self.path, recorded)
        tools = ReplayTools(self.path, recorded)
        with ExitStack() as stack:
            stack.enter_context(agent.override(model=model, run_id=recorded.run_id))
            for reachable in agent.reachable_agents():
                if reachable is not agent:
                    stack.enter_context(reachable.override(model=model.for_agent(reachable.name)))
            token_hooks = SESSION_HOOKS.set((*SESSION_HOOKS.get(), tools))
            stack.callback(SESSION_HOOKS.reset, token_hooks)
            new = recorded.input
            history = [*recorded.history, *new[:-1]]
            options: dict[str, Any] = {"message_history": history or None}
            if deps is not _UNSET:
                options["deps"] = deps
            return await agent.run(new[-1] if new else None, **options)

    @overload
    def replay_sync(
        self, agent: Replayable, *, run: int | str = 0, deps: Any = _UNSET
    ) -> RunResult[Any]: ...

    @overload
    def replay_sync(
        self, agent: ReplaysItself, *, run: int | str = 0, deps: Any = _UNSET
    ) -> Any: ...

    def replay_sync(
        self, agent: Replayable | ReplaysItself, *, run: int | str = 0, deps: Any = _UNSET
    ) -> Any:
        """Blocking twin of :meth:`replay`."""
        from llmkit._sync import run_sync

        return run_sync(self.replay(agent, run=run, deps=deps))

    def __repr__(self) -> str:
        flows = f" workflows={len(self.workflows)}" if self.workflows else ""
        return (
            f"<Recording {str(self.path)!r} runs={len(self.runs)}{flows} lines={len(self.lines)}>"
        )


@overload
def replay(
    path: str | Path, agent: Replayable, *, run: int | str = 0, deps: Any = _UNSET
) -> RunResult[Any]: ...


@overload
def replay(
    path: str | Path, agent: ReplaysItself, *, run: int | str = 0, deps: Any = _UNSET
) -> Any: ...


def replay(
    path: str | Path, agent: Replayable | ReplaysItself, *, run: int | str = 0, deps: Any = _UNSET
) -> Any:
    """Replay the run recorded in ``path`` with ``agent``: no network, no tool runs.

    Given a workflow, replays its recorded run (``run`` picks the workflow run)
    and returns its ``WorkflowResult``. A blocking call (it also works inside a
    running event loop); in async code, ``await Recording.load(path).replay(agent)``.
    """
    return Recording.load(path).replay_sync(agent, run=run, deps=deps)

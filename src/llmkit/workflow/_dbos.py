"""Workflows as DBOS workflows: each leaf step a DBOS step, recovery by DBOS at launch.

:class:`DBOSRunner` registers one DBOS workflow for one llmkit workflow (when it is made, so
before ``DBOS.launch()``, which recovers the runs a killed process left pending). A run is a
DBOS workflow whose id is the run id; its input is the first state's JSON form and the
definition's fingerprint; its output is the result's JSON form (with the state's model class, if any). Inside it the runner asks a
:class:`DBOSJournal` at every leaf step (the seam of ``_journal``), which runs the leaf as a
DBOS step named by the step's path: the step's outcome (output, state writes, trace record)
is the step's recorded output, so when DBOS replays the workflow after a crash, a finished
step does not run again; its outcome flows on, marked ``resumed``.

Guarantees:

- DBOS numbers the operations of a workflow in the order they are called, and on recovery
  expects them in that order. Inside a ``parallel`` or a ``map_each`` the branches call their
  steps in an order that depends on timing, so a replay could call them in another one. The
  journal therefore reads the steps the workflow recorded (their numbers and names) before it
  calls any, and on a replay lets each step call DBOS only when its turn in that order comes:
  a recorded step waits for the recorded steps before it, a new one for every recorded step
  (or a gap left by a step that never finished). The branches still run at once; only their
  calls into DBOS are put in the first run's order, which the combinators (deterministic, see
  ``_journal``) can always reach. The leaf steps must be the workflow's only DBOS operations.
- A step DBOS has not recorded runs again on recovery: a step killed mid-way runs twice
  (DBOS is at-least-once for an unfinished step). A finished step runs once.
- A step that fails is recorded failed by DBOS, and a replay raises its error again, so the
  retries of a combinator take the same course; a workflow that fails is final in DBOS (it is
  never recovered).
- A run of a changed definition (another fingerprint) raises ``WorkflowChangedError`` instead
  of replaying steps recorded by the old one.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypedDict

from pydantic import BaseModel
from typing_extensions import Unpack

from llmkit._optional import require
from llmkit.durable._errors import WorkflowChangedError
from llmkit.errors import UsageError
from llmkit.workflow._durable import first_state
from llmkit.workflow._durable_values import done_from, done_json, encode
from llmkit.workflow._fingerprint import fingerprint
from llmkit.workflow._journal import StepDone
from llmkit.workflow._result import WorkflowResult

if TYPE_CHECKING:
    from llmkit.bus import Bus
    from llmkit.run import UsageLimits
    from llmkit.workflow._spec import Node
    from llmkit.workflow._workflow import Workflow

__all__ = ["DBOSJournal", "DBOSOptions", "DBOSRunner", "RunStep"]

RunStep = Callable[[str, Callable[[], Awaitable[Any]]], Awaitable[Any]]
"""Runs a function as a DBOS step of the current workflow, named by the step's path."""


def _dbos() -> Any:
    return require("dbos", extra="dbos", feature="Running a workflow on DBOS")


class DBOSOptions(TypedDict, total=False):
    """Options a :class:`DBOSRunner` gives every run (DBOS recovers a run without its caller)."""

    deps: Any
    usage_limits: UsageLimits | None
    timeout: float | None
    hooks: Iterable[object]
    bus: Bus | None
    clock: Callable[[], float]


class DBOSJournal:
    """The journal of one run inside its DBOS workflow (see the module docstring)."""

    def __init__(
        self, run_step: RunStep, recorded: Iterable[tuple[int, str]], *, lenient: bool
    ) -> None:
        self._run_step = run_step
        self._lenient = lenient
        self._slots: dict[str, deque[int]] = {}
        self._taken: set[int] = set()
        for number, name in sorted(recorded):
            self._slots.setdefault(name, deque()).append(number)
            self._taken.add(number)
        self._called = 0
        self._waiting: list[asyncio.Future[None]] = []
        self.error: Exception | None = None
        """The error that stopped the run here (an outcome with no JSON form), once one did."""

    def _turn(self, path: str) -> bool:
        following = self._called + 1
        slots = self._slots.get(path)
        if slots:
            return slots[0] == following
        return following not in self._taken

    async def step(self, path: str, run: Callable[[], Awaitable[StepDone]]) -> StepDone:
        """The step's recorded outcome (``resumed``), else ``run()``'s, recorded as a DBOS step."""
        while not self._turn(path):
            waiter = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
            await waiter
        slots = self._slots.get(path)
        if slots:
            slots.popleft()
        self._called += 1
        waiting, self._waiting = self._waiting, []
        for waiter in waiting:
            if not waiter.done():
                waiter.set_result(None)
        ran: list[StepDone] = []

        async def body() -> Any:
            done = await run()
            ran.append(done)
            try:
                return done_json(path, done, self._lenient)
            except Exception as exc:
                self.error = exc
                raise

        # DBOS takes the step's number when the call starts, before it yields: no other
        # branch can call in between.
        data = await self._run_step(path, body)
        return ran[0] if ran else done_from(path, data)

    def restart(self, path: str) -> None:
        """Nothing to forget: DBOS replays a combinator's failed attempts in their order."""

    async def finish(self, result: Any) -> None:
        """Nothing to do: DBOS records the workflow's output."""

    async def fail(self, error: BaseException) -> None:
        """Nothing to do: DBOS records the workflow's error."""


def _state_input(state: Any) -> Mapping[str, Any]:
    if isinstance(state, BaseModel):
        cls = type(state)
        return {
            "state_type": f"{cls.__module__}:{cls.__qualname__}",
            "input": state.model_dump(mode="json"),
        }
    return {"state_type": None, "input": encode(state, "state")}


class DBOSRunner:
    """Runs one workflow as a DBOS workflow; make it before ``DBOS.launch()``.

    ``DBOS(config=...)`` must exist first (as in any DBOS application); the runner registers
    a DBOS workflow named ``name`` (default ``"llmkit:<workflow name>"``), which is how DBOS
    finds a pending run again when it recovers it at launch. ``options`` are given to every
    run, a recovered one too.
    """

    def __init__(
        self, workflow: Workflow, *, name: str | None = None, **options: Unpack[DBOSOptions]
    ) -> None:
        from llmkit.workflow._workflow import Workflow

        if not isinstance(workflow, Workflow):
            raise UsageError(
                "DBOSRunner() takes a Workflow, such as sequence(step(a), step(b)), not "
                f"{type(workflow).__name__}."
            )
        if name is not None and (not isinstance(name, str) or not name):
            raise UsageError(f"DBOSRunner(name=...) takes a non-empty string, not {name!r}.")
        for key in ("store", "run_id", "breakers"):
            if key in options:
                raise TypeError(f"DBOSRunner() got an unexpected keyword argument {key!r}")
        dbos = _dbos()
        self.workflow = workflow
        """The workflow it runs."""
        self.name = name or f"llmkit:{workflow.name}"
        """The DBOS workflow's registered name."""
        self._root: Node = workflow.node
        self._options = dict(options)
        self._fingerprint = fingerprint(self._root)
        self._awaited: set[str] = set()
        self._results: dict[str, WorkflowResult[Any]] = {}

        async def run_llmkit_workflow(data: dict[str, Any]) -> dict[str, Any]:
            return await self._body(data)

        self._dbos_workflow = dbos.DBOS.workflow(name=self.name)(run_llmkit_workflow)

    async def start(self, state: Any = None, *, run_id: str | None = None) -> Any:
        """Start a run in the background; DBOS's ``WorkflowHandleAsync`` (its id is the run id).

        A ``run_id`` of a run DBOS already has gives that run's handle (DBOS runs a workflow
        id once).
        """
        dbos = _dbos()
        if run_id is not None and (not isinstance(run_id, str) or not run_id):
            raise UsageError(
                f"DBOSRunner.start(run_id=...) takes a non-empty string, not {run_id!r}."
            )
        data = {"fingerprint": self._fingerprint, **_state_input(state)}
        if run_id is None:
            return await dbos.DBOS.start_workflow_async(self._dbos_workflow, data)
        with dbos.SetWorkflowID(run_id):
            return await dbos.DBOS.start_workflow_async(self._dbos_workflow, data)

    async def run(self, state: Any = None, *, run_id: str | None = None) -> WorkflowResult[Any]:
        """Run on ``state`` as a DBOS workflow and return the result.

        A ``run_id`` DBOS already finished returns that run's result without running a step;
        a pending one (recovered at launch) is waited for.
        """
        handle = await self.start(state, run_id=run_id)
        # The workflow's task has not started yet (nothing yielded since DBOS made it): its
        # body keeps the live result for this caller.
        self._awaited.add(handle.workflow_id)
        try:
            return await self.result(handle.workflow_id, handle=handle)
        finally:
            self._awaited.discard(handle.workflow_id)
            self._results.pop(handle.workflow_id, None)

    async def result(self, run_id: str, *, handle: Any = None) -> WorkflowResult[Any]:
        """The result of the run ``run_id``, waiting for it to end (a recovered run too)."""
        if handle is None:
            handle = await _dbos().DBOS.retrieve_workflow_async(run_id)
        data = await handle.get_result()
        live = self._results.pop(run_id, None)
        if live is not None:
            return live
        result = WorkflowResult.from_dict(data["result"])
        if data.get("state_type") is not None:
            result.state = first_state(self._root, {**data, "input": result.state})
        return result

    def run_sync(self, state: Any = None, *, run_id: str | None = None) -> WorkflowResult[Any]:
        """Blocking twin of :meth:`run`."""
        from llmkit._sync import run_sync

        return run_sync(self.run(state, run_id=run_id))

    async def _body(self, data: dict[str, Any]) -> dict[str, Any]:
        from llmkit.workflow._runner import run_workflow

        dbos = _dbos()
        run_id: str = dbos.DBOS.workflow_id
        if data.get("fingerprint") != self._fingerprint:
            raise WorkflowChangedError(
                f"Workflow {self.workflow.name!r} changed since DBOS workflow {run_id!r} started "
                f"(fingerprint {data.get('fingerprint')}; now {self._fingerprint}): recover it "
                "with the definition it started with."
            )
        state = first_state(self._root, data)
        recorded = await _recorded_steps(dbos, run_id)
        journal = DBOSJournal(_run_step_with(dbos), recorded, lenient=isinstance(state, BaseModel))
        options: Any = {**self._options, "run_id": run_id}
        result = await run_workflow(self._root, state, options, journal=journal)
        if run_id in self._awaited:
            self._results[run_id] = result
        return {"result": result.to_dict(), "state_type": data["state_type"]}


def _run_step_with(dbos: Any) -> RunStep:
    async def run_step(path: str, body: Callable[[], Awaitable[Any]]) -> Any:
        return await dbos.DBOS.run_step_async({"name": path}, body)

    return run_step


async def _recorded_steps(dbos: Any, run_id: str) -> list[tuple[int, str]]:
    # Read in a thread of its own, outside the workflow's context: inside it DBOS would record
    # the read itself as a step (and replay the first run's empty answer).
    steps = await asyncio.get_running_loop().run_in_executor(
        None, lambda: dbos.DBOS.list_workflow_steps(run_id)
    )
    return [(int(s["function_id"]), str(s["function_name"])) for s in steps]

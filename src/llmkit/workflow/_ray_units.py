"""A parallel branch or a map item as a unit of work for a remote executor (``RayExecutor``).

:func:`run_remote` stands in for ``run_node`` when the run has a remote executor: it submits
a :class:`SubtreeUnit` (the branch's subtree, a snapshot of the state it works on, its input,
the defaults it inherits, the run's id and deps) and puts back here what the worker did:

- the output, or the failure (its error, path, attempt and whether it is a stop), raised as
  ``Failed`` exactly as ``run_node`` would raise it;
- the writes the branch logged (appended to the branch's own log, so the parallel replays
  them onto the parent state in declared order, as in process);
- the trace entries of the subtree (their start times moved onto this run's clock) and the
  failures it collected (``errors="collect"`` inside it);
- the events it published (the executor publishes them on this process's bus).

The map items of one run share their subtree and every unit of a run its deps
(:meth:`SubtreeUnit.shared`): a remote executor ships those once per run.

A failure of the executor itself (a unit that cannot be shipped, a worker that died past its
retries) fails the branch or item with that error, as a step's own error would: a shipping
error (``UsageError``) as a stop, since running again cannot help.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any

from llmkit._hooks.chain import HookChain
from llmkit.bus import active_bus
from llmkit.errors import UsageError
from llmkit.workflow._breakers import breakers
from llmkit.workflow._policy import UNSET, Failed, run_node
from llmkit.workflow._result import StepFailure
from llmkit.workflow._runtime import Defaults, Executor, Runtime, TraceEntry
from llmkit.workflow._spec import Node
from llmkit.workflow._state import Scope, WriteLog

__all__ = ["SubtreeOutcome", "SubtreeUnit", "run_remote"]


@dataclass(slots=True)
class SubtreeOutcome:
    """What a worker sends back for one branch or item."""

    value: Any = None
    failure: tuple[BaseException, str, int, bool] | None = None
    """``(error, path, attempt, stop)`` of the failure, or None."""
    log: WriteLog | None = None
    entries: list[TraceEntry] = field(default_factory=list)
    errors: list[StepFailure] = field(default_factory=list)


@dataclass(slots=True)
class SubtreeUnit:
    """One branch or map item: run ``node`` at ``path`` on ``scope`` in a worker."""

    node: Node
    path: str
    scope: Scope
    given: tuple[bool, Any]
    """``(True, input)`` when the node is given its input (a map item), else ``(False, None)``."""
    defaults: Defaults
    run_id: str
    name: str
    deps: Any
    executors: dict[type[Node], Executor]
    """The executor of each node kind (the run's table: functions, shipped by reference)."""
    shared_key: str = ""
    """What the run's shipped parts are filed under (``Runtime.shared_key``)."""

    def describe(self) -> str:
        """How errors name the unit."""
        return f"workflow {self.name!r} step {self.path!r}"

    def shared(self) -> dict[str, Any]:
        """What units of this run hold in common, by key: a remote executor ships each once.

        A map item's node (the same subtree for every item of the map) and the run's deps;
        a parallel branch's node is its own, shipped with it.
        """
        parts: dict[str, Any] = {}
        if self.given[0]:
            parts[f"{self.shared_key}/node/{id(self.node)}"] = self.node
        if self.deps is not None:
            parts[f"{self.shared_key}/deps"] = self.deps
        return parts

    async def __call__(self) -> SubtreeOutcome:
        """Run the subtree with a runtime of its own (the run's id, deps and executor table; no
        hooks, no ledger: the runner refuses those with a remote executor); its outcome."""
        rt = Runtime(
            run_id=self.run_id,
            name=self.name,
            deps=self.deps,
            chain=HookChain.for_scope(()),
            agent_hooks=(),
            bus=active_bus(),
            channel=None,
            ledger=None,
            gate=breakers(),
            clock=time.perf_counter,
            sleep=asyncio.sleep,
            rng=random.random,
            executors=self.executors,
        )
        entries: list[TraceEntry] = []
        has_input, value = self.given
        outcome = SubtreeOutcome(entries=entries)
        try:
            outcome.value = await run_node(
                rt,
                self.node,
                self.scope,
                self.path,
                self.defaults,
                entries,
                value if has_input else UNSET,
            )
        except Failed as failed:
            outcome.failure = (failed.error, failed.path, failed.attempt, failed.stop)
        outcome.log = self.scope.log
        outcome.errors = list(rt.errors)
        return outcome


def _shift(entries: list[TraceEntry], offset: float) -> None:
    stack = list(entries)
    while stack:
        entry = stack.pop()
        entry.started += offset
        stack.extend(entry.children)


async def run_remote(
    rt: Runtime,
    node: Node,
    scope: Scope,
    path: str,
    defaults: Defaults,
    into: list[TraceEntry],
    given: Any = UNSET,
) -> Any:
    """``run_node`` for a branch or item that runs on ``rt.remote`` (see the module docstring)."""
    executor = rt.remote
    assert executor is not None
    offset = rt.now()
    unit = SubtreeUnit(
        node,
        path,
        scope,
        (given is not UNSET, None if given is UNSET else given),
        defaults,
        rt.run_id,
        rt.name,
        rt.deps,
        rt.executors,
        rt.shared_key,
    )
    try:
        done: SubtreeOutcome = await executor.submit(unit)
    except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
        raise
    except UsageError as exc:
        raise Failed(exc, path=path, attempt=1, stop=True) from exc
    except Exception as exc:
        raise Failed(exc, path=path, attempt=1, stop=False) from exc
    _shift(done.entries, offset)
    into.extend(done.entries)
    if scope.log is not None and done.log:
        scope.log.extend(done.log)
    rt.errors.extend(done.errors)
    if done.failure is not None:
        error, where, attempt, stop = done.failure
        raise Failed(error, path=where, attempt=attempt, stop=stop)
    return done.value

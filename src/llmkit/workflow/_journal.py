"""The step-boundary seam of durable runs: a journal the runner asks before each leaf step.

A durable run (``run(store=...)``, ``resume``) gives its runtime a :class:`Journal`. For
every leaf step (a function, an agent, a tool, a ``Step`` object; not a nested workflow,
whose own leaves are asked), the policy loop calls :meth:`Journal.step` with the step's path
and a function that runs the step:

- the journal returns the step's recorded :class:`StepDone` (``resumed=True``) when it holds
  one: the step does not run; the runner re-applies its recorded state writes, in their
  order, and its output flows on as if it had run;
- else it calls the function, which runs the step with every policy (retries, fallback,
  on_error) on a :class:`Tap` of its scope that notes each write, and gives back the
  finished step; the journal records it durably before returning it.

A step that fails (its failure leaves it) is not recorded, so a resume runs it again. A
combinator is never recorded: a resume walks the tree again from the first state, and the
combinators (sequence, branch predicates, loop conditions, parallel merges, map lists)
recompute from their steps' recorded outputs; they must therefore be deterministic, which
they are unless a predicate, ``input=``, ``over=`` or ``merge=`` function reads something
other than the state (a loop's ``max_duration`` reads the clock: its timer restarts on
resume). :meth:`Journal.restart` is called when a combinator starts a new attempt (its
``retry=``): what its steps recorded under it is forgotten, so the retry runs them again.

The store-backed journal is ``_durable.StoreJournal``; another engine (DBOS, ``_dbos``)
implements the same two methods, running each leaf as one of its own steps. The runner also
tells a :class:`RunJournal` how the run ended (``finish``, ``fail``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from llmkit.types import Usage
from llmkit.workflow._result import StepFailure, StepStatus
from llmkit.workflow._state import Scope

__all__ = ["FieldValue", "Journal", "RunJournal", "StepDone", "Tap"]


@dataclass(frozen=True, slots=True)
class FieldValue:
    """A recorded output that is the value the step wrote to ``field`` (read back from the state
    once its writes are re-applied: a model state's field keeps values plain JSON cannot)."""

    field: str


@dataclass(frozen=True, slots=True)
class StepDone:
    """A finished leaf step, as a journal records it and a resume re-applies it."""

    output: Any
    """Its output (None when it was skipped or its failure was kept), or a :class:`FieldValue`."""
    writes: tuple[tuple[str, Any], ...]
    """The state writes it made (fallback included), ``(field, value)`` in order."""
    status: StepStatus
    attempts: int
    duration: float
    usage: Usage
    reason: str = ""
    error: StepFailure | None = None
    run_ids: tuple[str, ...] = ()
    continued: bool = False
    """Its failure was kept in ``result.errors`` (``on_error="continue"``)."""
    resumed: bool = False
    """Taken from the journal, not run now."""


class Journal(Protocol):
    """What the runner asks at each leaf step of a durable run (see the module docstring)."""

    async def step(self, path: str, run: Callable[[], Awaitable[StepDone]]) -> StepDone:
        """The step at ``path``: its recorded outcome (``resumed=True``), else ``run()``'s, recorded."""
        ...

    def restart(self, path: str) -> None:
        """A combinator at ``path`` starts another attempt: forget the steps recorded under it."""
        ...


class RunJournal(Journal, Protocol):
    """A journal the runner also tells how the run ended."""

    error: Exception | None
    """The journal's own error that stopped the run (a record that failed), raised as is."""

    async def finish(self, result: Any) -> None:
        """The run ended with ``result`` (a ``WorkflowResult``)."""
        ...

    async def fail(self, error: BaseException) -> None:
        """The run ended with ``error``."""
        ...


class Tap(Scope):
    """A scope that writes through to another one and notes each write (field, value)."""

    __slots__ = ("inner", "merge_with", "writes")

    def __init__(self, inner: Scope) -> None:
        super().__init__(inner.state, inner.adapter, None)
        self.inner = inner
        """The scope the writes go to (a branch copy logs them there)."""
        self.writes: list[tuple[str, Any]] = []
        """The writes made through this tap, in order."""
        self.merge_with: Callable[..., bool] = (
            inner.merge_with if isinstance(inner, Tap) else type(inner).merge_output
        )
        """How the inner scope's kind merges a structured output (a map item's does not)."""

    def write(self, field: str, value: Any, *, path: str) -> None:
        """Write to the inner scope, and note it."""
        self.inner.write(field, value, path=path)
        self.writes.append((field, value))

    def merge_output(self, output: Any, *, path: str) -> bool:
        """Merge as the inner scope would, each field written through this tap."""
        return self.merge_with(self, output, path=path)

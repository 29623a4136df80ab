"""Executors: where units of work run (batch items, parallel branches, map items).

An :class:`Executor` takes a :class:`Unit` (a picklable callable object whose call is a
coroutine) and returns what awaiting it gives. The default, :class:`InProcessExecutor`,
awaits the unit in the caller's event loop; a remote executor (``remote = True``) ships
the unit to another process or machine, so units and their results must pickle.

What every executor guarantees:

- ``start()`` is idempotent (the first call connects or starts workers; the next do nothing),
  and ``submit()`` starts the executor when nobody did;
- ``await submit(unit)`` returns the unit's result or raises what the unit raised, or
  :class:`WorkerDiedError` when the process running it died past the executor's retries;
- cancelling the task that awaits ``submit()`` cancels the unit (in process: at once; a
  remote executor cancels the remote work too);
- ``aclose()`` is idempotent and leaves no task or worker behind; after it, ``submit()``
  starts the executor again.

A unit may have a ``shared()`` method giving the parts it holds in common with other units,
by a key unique to them (a batch's target and run options, under the batch's key): a remote
executor may ship each such part once and reuse it for every unit that names its key, so a
part is read as it was when the first unit naming it was submitted. An in-process executor
has nothing to ship and ignores it.

How many units run at once is the caller's choice (``batch(concurrency=...)``, a
workflow's ``max_concurrency``): an executor runs what it is given.
"""

from __future__ import annotations

from typing import Protocol, TypeVar, runtime_checkable

from llmkit.errors import LLMKitError

__all__ = ["Executor", "InProcessExecutor", "Unit", "WorkerDiedError"]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class WorkerDiedError(LLMKitError):
    """A worker died while running a unit, and the unit was retried as often as allowed.

    It fails that unit alone: a batch keeps it as the item's error and goes on (unless
    ``fail_fast``), a workflow branch or map item fails with it as with a step's own error.
    """


class Unit(Protocol[T_co]):
    """One unit of work: a callable object (picklable, for remote executors) whose call runs it."""

    async def __call__(self) -> T_co:
        """Do the work; the result (or the error raised) goes back to the submitter."""
        ...


@runtime_checkable
class Executor(Protocol):
    """Where units of work run: batch items, parallel branches, map items."""

    name: str
    """A short name for progress, errors and traces (``"in-process"``, ``"ray"``)."""
    remote: bool
    """True when units leave the process (then units and their results must pickle)."""

    async def start(self) -> None:
        """Get ready to run units (connect, start workers); calling it again does nothing."""
        ...

    async def submit(self, unit: Unit[T]) -> T:
        """Run one unit; its result, or its error. Cancelling the awaiting task cancels it."""
        ...

    async def aclose(self) -> None:
        """Release what :meth:`start` took (workers, connections); calling it again does nothing."""
        ...


class InProcessExecutor:
    """The default executor: awaits each unit in the caller's event loop (nothing is pickled).

    ::

        results = await llmkit.batch(agent, inputs, executor=llmkit.InProcessExecutor())
    """

    name = "in-process"
    remote = False

    __slots__ = ()

    async def start(self) -> None:
        """Nothing to start: units run in the caller's loop."""

    async def submit(self, unit: Unit[T]) -> T:
        """Await ``unit()`` here; cancelling the caller cancels it, its error propagates."""
        return await unit()

    async def aclose(self) -> None:
        """Nothing to release."""

    def __repr__(self) -> str:
        return "InProcessExecutor()"

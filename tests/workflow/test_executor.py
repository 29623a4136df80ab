"""The executor seam: the in-process executor runs units in the caller's loop and passes on
results, errors and cancellation; a unit is a plain object that pickles."""

from __future__ import annotations

import asyncio
import pickle
from dataclasses import dataclass

import pytest

import llmkit
from llmkit.workflow._executor import Executor, InProcessExecutor

pytestmark = pytest.mark.anyio


@dataclass
class Double:
    """A unit: doubles its number (a module-level class, so it pickles)."""

    number: int

    async def __call__(self) -> int:
        await asyncio.sleep(0)
        return self.number * 2


@dataclass
class Fails:
    """A unit that raises."""

    message: str

    async def __call__(self) -> int:
        raise ValueError(self.message)


def test_the_in_process_executor_is_an_executor_and_exported() -> None:
    executor = llmkit.InProcessExecutor()
    assert isinstance(executor, Executor)
    assert executor.name == "in-process"
    assert executor.remote is False
    assert repr(executor) == "InProcessExecutor()"


async def test_submit_returns_what_the_unit_returns() -> None:
    executor = InProcessExecutor()
    await executor.start()
    await executor.start()  # idempotent
    assert await executor.submit(Double(21)) == 42
    assert await asyncio.gather(*(executor.submit(Double(n)) for n in range(3))) == [0, 2, 4]
    await executor.aclose()
    await executor.aclose()


async def test_submit_raises_what_the_unit_raises() -> None:
    with pytest.raises(ValueError, match="boom"):
        await InProcessExecutor().submit(Fails("boom"))


async def test_cancelling_the_submitter_cancels_the_unit() -> None:
    started = asyncio.Event()
    cancelled: list[bool] = []

    class Waits:
        async def __call__(self) -> None:
            started.set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.append(True)
                raise

    task = asyncio.create_task(InProcessExecutor().submit(Waits()))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cancelled == [True]


async def test_a_unit_pickles_and_runs_after_the_trip() -> None:
    unit = pickle.loads(pickle.dumps(Double(5)))
    assert await InProcessExecutor().submit(unit) == 10

"""RayExecutor on a real local cluster: results, errors, events, cancellation, a dying worker."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import llmkit
from llmkit import Agent
from llmkit.bus import Bus, use_bus
from llmkit.errors import ToolError
from llmkit.testing import FakeProviderServer
from llmkit.workflow._ray import RayExecutor
from llmkit.workflow._ray_ship import cloudpickle

pytestmark = [pytest.mark.anyio, pytest.mark.ray]
cloudpickle().register_pickle_by_value(sys.modules[__name__])


async def wait_for_async(check: Callable[[], bool], what: str, bound: float = 300.0) -> None:
    """Poll ``check`` until it holds; fail past ``bound`` seconds (a hang guard, not a timing)."""
    end = time.monotonic() + bound
    while not check():
        if time.monotonic() > end:
            pytest.fail(f"{what} did not happen within {bound} s")
        await asyncio.sleep(0.05)


def read(path: Path) -> str:
    """The text of ``path``, or "" when it is not there yet."""
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""


@dataclass
class AgentRun:
    """One agent run, as a batch item is."""

    agent: Agent[Any]
    text: str

    async def __call__(self) -> str:
        result = await self.agent.run(self.text)
        return str(result.output)


@dataclass
class Fails:
    async def __call__(self) -> None:
        raise ToolError("no such city: Atlantis")


@dataclass
class Hangs:
    started: Path
    stopped: Path

    async def __call__(self) -> None:
        self.started.write_text(str(os.getpid()))
        try:
            await asyncio.sleep(300)
        except asyncio.CancelledError:
            self.stopped.write_text("cancelled")
            raise


@dataclass
class DiesOnce:
    """Item ``index``: the first attempt of item 0 waits (for the test to kill its worker)."""

    index: int
    log: Path

    async def __call__(self) -> int:
        with self.log.open("a") as out:
            out.write(f"{self.index} {os.getpid()}\n")
        if self.index == 0 and read(self.log).count("0 ") == 1:
            await asyncio.sleep(300)
        return self.index


def echo(request: Any) -> str:
    return "echo " + request.messages[-1].text


@pytest.fixture(scope="module")
def server() -> Any:
    with FakeProviderServer(echo) as running:
        yield running


async def test_agent_runs_come_back_in_order_with_their_events_on_the_driver_bus(
    ray_executor: RayExecutor, server: Any
) -> None:
    agent = Agent(llmkit.model("openai/gpt-4.1-mini", base_url=server.openai_base_url))
    local: list[Any] = []
    here = Bus()
    here.on("*", local.append, inline=True)
    with use_bus(here):
        await agent.run("reference")
    expected = [e.topic for e in local]
    seen: list[Any] = []
    bus = Bus()
    bus.on("*", seen.append, inline=True)
    with use_bus(bus):
        outputs = await asyncio.gather(
            *(ray_executor.submit(AgentRun(agent, f"hi {i}")) for i in range(8))
        )
    assert outputs == [f"echo hi {i}" for i in range(8)]
    # Each run's events arrive together, in the order they happened in the worker.
    assert [e.topic for e in seen] == expected * 8
    assert len({e.run_id for e in seen if e.topic == "run.start"}) == 8
    ends = [e.result.output for e in seen if e.topic == "run.end"]
    assert sorted(ends) == sorted(outputs)


async def test_a_unit_s_error_comes_back_with_its_class(ray_executor: RayExecutor) -> None:
    with pytest.raises(ToolError, match="Atlantis"):
        await ray_executor.submit(Fails())


async def test_cancelling_the_caller_cancels_the_unit_in_the_worker(
    ray_executor: RayExecutor, tmp_path: Path
) -> None:
    started, stopped = tmp_path / "started", tmp_path / "stopped"
    task = asyncio.create_task(ray_executor.submit(Hangs(started, stopped)))
    await wait_for_async(started.exists, "the unit's start")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await wait_for_async(stopped.exists, "the unit's cancellation in the worker")
    assert read(stopped) == "cancelled"


async def test_a_worker_killed_mid_item_has_its_item_run_again_and_nothing_lost_or_doubled(
    ray_executor: RayExecutor, tmp_path: Path
) -> None:
    log = tmp_path / "attempts"
    items = [DiesOnce(i, log) for i in range(6)]
    pending = asyncio.gather(*(ray_executor.submit(item) for item in items))
    await wait_for_async(lambda: "0 " in read(log), "item 0's first attempt")
    victim = int(next(line for line in read(log).splitlines() if line.startswith("0 ")).split()[1])
    os.kill(victim, signal.SIGKILL)
    results = await pending
    assert results == list(range(6))
    attempts = [line.split()[0] for line in read(log).splitlines()]
    assert attempts.count("0") == 2  # killed once, run again once
    assert victim not in await ray_executor.worker_pids()  # its worker was started again


@dataclass
class HangsAtZero:
    """A batch target: item 0 waits (for the test to kill its worker), the others return."""

    log: Path

    async def __call__(self, index: int) -> int:
        with self.log.open("a") as out:
            out.write(f"{index} {os.getpid()}\n")
        if index == 0:
            await asyncio.sleep(300)
        return index


async def test_an_item_whose_worker_dies_past_the_retries_fails_alone(
    ray_executor: RayExecutor, tmp_path: Path
) -> None:
    log = tmp_path / "attempts"
    done: list[int] = []
    batch = asyncio.ensure_future(
        llmkit.batch(
            HangsAtZero(log),
            range(6),
            concurrency=6,
            executor=ray_executor,
            progress=lambda p: done.append(p.done),
        )
    )
    await wait_for_async(lambda: len(done) == 5, "the five other items")
    attempts: list[str] = []
    for _ in range(4):  # the first run and its 3 retries (max_retries=3), each killed
        attempts.append("0 ")
        await wait_for_async(lambda: read(log).count("0 ") == len(attempts), "the next attempt")
        victim = int([line for line in read(log).splitlines() if line.startswith("0 ")][-1][2:])
        os.kill(victim, signal.SIGKILL)
    results = await batch
    assert results.outputs == [None, 1, 2, 3, 4, 5]  # the batch went on, nothing lost
    (lost,) = results.errors
    assert lost.index == 0 and lost.error is not None and lost.error.type == "WorkerDiedError"
    assert "retried 3 times" in lost.error.message
    assert [line.split()[0] for line in read(log).splitlines()].count("0") == 4


async def test_a_worker_gone_for_good_is_replaced_and_only_its_item_fails(
    ray_executor: RayExecutor,
) -> None:
    import ray

    ray.kill(ray_executor._actors[0], no_restart=True)  # dead, and Ray will not restart it
    results = await llmkit.batch(echo_number, range(6), concurrency=1, executor=ray_executor)
    (lost,) = results.errors  # the item sent to the dead worker; the next ones reach a new one
    assert lost.index == 0 and lost.error is not None and lost.error.type == "WorkerDiedError"
    assert results.outputs == [None, 1, 2, 3, 4, 5]
    assert ray_executor.workers == 2


def echo_number(n: int) -> int:
    return n

"""1,000 agent runs in process at concurrency 50 against the same runs on a local Ray cluster.

    python -m bench._ray            # 5 repetitions of 1,000 runs per variant
    python -m bench._ray --quick    # 2 repetitions

The agent is the ``agent`` case's (one tool call: two model calls and the tool), on the
fake server in its own process. Variants, both through ``llmkit.batch(..., concurrency=50)``:

- ``in process``: the default executor (this process's event loop);
- ``ray, 2 workers``: ``RayExecutor(num_cpus=2)``, a local cluster on loopback with two
  worker actors; the agent is pickled once per batch (put in Ray's object store, unpickled
  once per worker), each item's input here, run in a worker, its outcome pickled back.

Figures: wall time per 1,000 runs and runs per second (median over repetitions); CPU per
run of this process (the driver) and of this process plus the two workers (read from
``/proc``; Ray's own GCS and raylet are not counted); the bytes shipped per item and once
per batch; and the start-up cost: ``RayExecutor().start()`` (the cluster and the workers)
and the first batch of one item after it, in wall seconds. The load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from typing import Any

from bench._machine import load_average
from bench._server import ServerProcess
from bench._stats import median
from bench._workload import AGENT_PROMPT, INSTRUCTIONS, MODEL, get_weather

__all__ = ["main"]

ITEMS = 1_000
CONCURRENCY = 50
KEY = "sk-bench-ray"


def _cpu_of(pids: list[int]) -> float:
    """CPU seconds (user + system) the processes ``pids`` have used so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


async def _repeat(run: Any, times: int, workers: list[int]) -> dict[str, float]:
    walls, driver, everything = [], [], []
    for _ in range(times):
        cpu0, all0, wall0 = time.process_time(), _cpu_of(workers), time.perf_counter()
        await run()
        walls.append(time.perf_counter() - wall0)
        driver.append(time.process_time() - cpu0)
        everything.append(driver[-1] + _cpu_of(workers) - all0)
    wall = median(walls)
    return {
        "wall_ms": wall * 1000,
        "runs_per_s": ITEMS / wall,
        "driver_us": median(driver) / ITEMS * 1e6,
        "total_us": median(everything) / ITEMS * 1e6,
    }


def _agent(base_url: str) -> Any:
    import llmkit
    from llmkit import Agent, tool

    model = llmkit.model(f"openai/{MODEL}", base_url=base_url + "/v1")
    return Agent(model, tools=[tool(get_weather)], instructions=INSTRUCTIONS)


async def _measure(base_url: str, repetitions: int) -> dict[str, Any]:
    """The figures of both variants (see the module docstring)."""
    import llmkit
    from llmkit.workflow._batch_item import BatchItem
    from llmkit.workflow._ray_ship import send_module_by_value, ship

    agent = _agent(base_url)
    inputs = [AGENT_PROMPT] * ITEMS

    async def in_process() -> None:
        result = await llmkit.batch(agent, inputs, concurrency=CONCURRENCY, progress=False)
        if result.failed:
            raise RuntimeError(f"{result.failed} runs failed: {result.errors[:1]}")

    await in_process()  # warm-up: connections, caches, lazy imports
    figures: dict[str, Any] = {"in process": await _repeat(in_process, repetitions, [])}

    send_module_by_value(sys.modules["bench._workload"])
    started = time.perf_counter()
    executor = llmkit.RayExecutor(num_cpus=2)
    await executor.start()
    workers = await executor.worker_pids()
    start_s = time.perf_counter() - started
    first = time.perf_counter()
    await llmkit.batch(agent, inputs[:1], executor=executor, progress=False)
    first_s = time.perf_counter() - first

    async def on_ray() -> None:
        result = await llmkit.batch(
            agent, inputs, concurrency=CONCURRENCY, executor=executor, progress=False
        )
        if result.failed:
            raise RuntimeError(f"{result.failed} runs failed: {result.errors[:1]}")

    try:
        await on_ray()  # warm-up of the workers
        figures["ray, 2 workers"] = await _repeat(on_ray, repetitions, workers)
    finally:
        await executor.aclose()
    figures["start_s"] = start_s
    figures["first_item_s"] = first_s
    item = BatchItem(agent, AGENT_PROMPT, 0, batch="a batch")
    shared = item.shared()
    figures["shipped_bytes"] = len(ship(item, what="an item", shared=shared))
    figures["shared_bytes"] = sum(len(ship(part, what="a part")) for part in shared.values())
    return figures


def main(argv: list[str] | None = None) -> int:
    """Run the measurement and print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench._ray", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2 repetitions instead of 5")
    args = parser.parse_args(argv)
    os.environ["OPENAI_API_KEY"] = KEY  # the workers read it from the environment
    before = load_average()
    with ServerProcess() as server:
        figures = asyncio.run(_measure(server.url, 2 if args.quick else 5))
    after = load_average()
    print(f"load average: {before} at the start, {after} at the end")
    print(
        "| variant | wall ms per 1,000 runs | runs/s | driver CPU us/run | CPU us/run with workers |"
    )
    print("|---|---|---|---|---|")
    for name in ("in process", "ray, 2 workers"):
        f = figures[name]
        print(
            f"| {name} | {f['wall_ms']:.0f} | {f['runs_per_s']:.0f} | {f['driver_us']:.0f} "
            f"| {f['total_us']:.0f} |"
        )
    print(
        f"start-up: {figures['start_s']:.2f} s (cluster and workers), first item after it "
        f"{figures['first_item_s']:.2f} s; {figures['shipped_bytes']} bytes shipped per item, "
        f"{figures['shared_bytes']} bytes once per batch (the agent and the run options)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

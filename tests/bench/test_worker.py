"""The worker's measuring loops, driven by in-process runners (no HTTP)."""

from __future__ import annotations

import asyncio

import pytest

from bench._server import plan_cores
from bench._worker import burst, concurrency, measure


class Counting:
    """A runner that fails every ``fail_every``-th run and notes the most runs in flight."""

    def __init__(self, fail_every: int = 0) -> None:
        self.runs = 0
        self.in_flight = 0
        self.most_in_flight = 0
        self.fail_every = fail_every

    async def run(self) -> None:
        self.runs += 1
        number = self.runs
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0)
        self.in_flight -= 1
        if self.fail_every and number % self.fail_every == 0:
            raise RuntimeError(f"run {number} failed")


@pytest.mark.anyio
async def test_measure_runs_warmup_plus_repetitions() -> None:
    runner = Counting()
    spec = {"label": "t", "warmup": 3, "reps": 4, "runs": 5}
    result = await measure(runner, spec)
    assert runner.runs == 3 + 4 * 5 == result["runs"]
    assert len(result["cpu_ms_reps"]) == 4
    assert result["wall_ms_p95"] >= result["wall_ms_median"] > 0
    assert result["peak_rss_mib"] > 1


@pytest.mark.anyio
async def test_a_burst_runs_every_run_concurrently_and_counts_errors() -> None:
    runner = Counting(fail_every=4)
    result = await burst(runner, 10, 20)
    assert runner.runs == 20 and runner.most_in_flight == 10
    assert result["errors"] == 5
    assert result["error_samples"][0].startswith("RuntimeError: run ")


@pytest.mark.anyio
async def test_concurrency_measures_memory_at_the_top_level() -> None:
    runner = Counting()
    spec = {"label": "t", "warmup": 1, "levels": [1, 8], "runs": {"1": 3, "8": 8}}
    result = await concurrency(runner, spec)
    top = result["levels"]["8"]
    assert runner.runs == 1 + 3 + 8 + 8  # warm-up, c=1, memory burst, measured burst
    assert top["errors"] == 0 and top["first_burst"]["runs"] == 8
    assert "mem_per_inflight_kib" in top
    assert "mem_per_inflight_kib" not in result["levels"]["1"]


def test_cores_split_between_server_and_client() -> None:
    plan = plan_cores({0, 1, 2})
    assert plan.server == {2} and plan.client == {0, 1}
    assert plan.describe() == "server on core 2, client on core 0,1"
    assert not plan_cores({0}).server
    assert plan_cores({0, 1}, pin=False).describe() == "not pinned"

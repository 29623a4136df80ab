"""One measurement in a fresh process: ``python -m bench._worker '<json spec>'``.

The driver starts one worker per case and variant, so no measurement
inherits another's imports, caches, connections or heap. The worker builds
the runner, warms it up, measures, and prints its result as one JSON line
on stdout; progress goes to stderr.

Modes: ``measure`` (client CPU and wall time per run, peak RSS),
``concurrency`` (runs per second at given concurrency levels, errors,
memory per in-flight run), ``profile`` (cProfile and/or pyinstrument
reports of the measured runs).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from importlib import import_module
from pathlib import Path
from typing import Any

from bench._memory import MIB, current_rss, peak_rss
from bench._stats import median, percentile

__all__ = ["main"]


def progress(label: str, text: str) -> None:
    """Say on stderr what is running (the driver passes it through line by line)."""
    sys.stderr.write(f"  {label}: {text}\n")
    sys.stderr.flush()


def build(spec: dict[str, Any]) -> Any:
    """The runner the spec names, built against the spec's server."""
    module_name, _, class_name = spec["runner"].partition(":")
    runner_class = getattr(import_module(module_name), class_name)
    return runner_class(spec["url"], **spec.get("options", {}))


async def measure(runner: Any, spec: dict[str, Any]) -> dict[str, Any]:
    """Client CPU per run (median of repetitions), wall time per run, peak RSS.

    The peak RSS is read twice: when ``rss_runs`` runs (500 by default) are
    done, warm-up included, so every variant is compared after the same
    work, and at the end.
    """
    label = spec["label"]
    runs, reps = spec["runs"], spec["reps"]
    rss_runs = spec.get("rss_runs", 500)
    done = 0
    rss_at: float | None = None
    for _ in range(spec["warmup"]):
        await runner.run()
        done += 1
        if done == rss_runs:
            rss_at = peak_rss() / MIB
    cpu: list[float] = []
    walls: list[float] = []
    clock = time.perf_counter
    for rep in range(reps):
        progress(label, f"repetition {rep + 1}/{reps} ({runs} runs)")
        start_cpu = time.process_time()
        for _ in range(runs):
            start = clock()
            await runner.run()
            walls.append(clock() - start)
            done += 1
            if done == rss_runs:
                rss_at = peak_rss() / MIB
        cpu.append((time.process_time() - start_cpu) / runs)
    progress(label, f"{median(cpu) * 1e3:.3f} ms CPU per run")
    return {
        "runs": done,
        "cpu_ms": median(cpu) * 1e3,
        "cpu_ms_reps": [round(c * 1e3, 4) for c in cpu],
        "wall_ms_median": median(walls) * 1e3,
        "wall_ms_p95": percentile(walls, 95) * 1e3,
        "peak_rss_mib": peak_rss() / MIB,
        "rss_runs": rss_runs if rss_at is not None else done,
        "rss_mib": rss_at if rss_at is not None else peak_rss() / MIB,
    }


class _Sampler:
    """Samples the resident set every few milliseconds while a burst runs."""

    def __init__(self) -> None:
        self.peak = current_rss() or 0
        self._task: asyncio.Task[None] | None = None

    async def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, current_rss() or 0)
            await asyncio.sleep(0.002)

    def __enter__(self) -> _Sampler:
        self._task = asyncio.get_running_loop().create_task(self._sample())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
        self.peak = max(self.peak, current_rss() or 0)


async def burst(runner: Any, level: int, total: int) -> dict[str, Any]:
    """``total`` runs by ``level`` concurrent tasks; runs per second, CPU per run, errors."""
    errors: list[str] = []
    per_task = [total // level + (1 if i < total % level else 0) for i in range(level)]

    async def task(count: int) -> None:
        for _ in range(count):
            try:
                await runner.run()
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}"[:300])

    start_cpu, start = time.process_time(), time.perf_counter()
    await asyncio.gather(*(task(n) for n in per_task if n))
    wall = time.perf_counter() - start
    cpu = time.process_time() - start_cpu
    return {
        "runs": total,
        "runs_per_s": total / wall,
        "cpu_ms": cpu / total * 1e3,
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:3],
    }


async def concurrency(runner: Any, spec: dict[str, Any]) -> dict[str, Any]:
    """Throughput at each level; at the highest, memory per in-flight run from a first burst."""
    label = spec["label"]
    for _ in range(spec["warmup"]):
        await runner.run()
    levels: dict[str, Any] = {}
    top = max(spec["levels"])
    for level in spec["levels"]:
        total = max(level, spec["runs"].get(str(level), level))
        memory: dict[str, Any] = {}
        if level == top and level > 1:
            # The first burst at the top level opens the connections and grows the heap:
            # what it adds to the resident set, shared by the runs in flight, is the
            # memory one in-flight run costs.
            progress(label, f"concurrency {level}: memory burst")
            before = current_rss()
            with _Sampler() as sampler:
                first = await burst(runner, level, level)
            if before is not None:
                memory["mem_per_inflight_kib"] = (sampler.peak - before) / level / 1024
                memory["rss_before_mib"] = before / MIB
                memory["rss_peak_mib"] = sampler.peak / MIB
            memory["first_burst"] = first
        progress(label, f"concurrency {level}: {total} runs")
        result = await burst(runner, level, total)
        result.update(memory)
        if "first_burst" in result:
            result["errors"] += result["first_burst"]["errors"]
        levels[str(level)] = result
    summary = ", ".join(
        f"c={k}: {v['runs_per_s']:.0f}/s, {v['errors']} errors" for k, v in levels.items()
    )
    progress(label, summary)
    return {"levels": levels, "peak_rss_mib": peak_rss() / MIB}


async def profile(runner: Any, spec: dict[str, Any]) -> dict[str, Any]:
    """Profile ``runs`` runs after the warm-up; write the reports where the spec says."""
    from bench._profile import profile_runs

    for _ in range(spec["warmup"]):
        await runner.run()
    progress(spec["label"], f"profiling {spec['runs']} runs with {', '.join(spec['profilers'])}")
    files = await profile_runs(
        runner, runs=spec["runs"], profilers=spec["profilers"], stem=Path(spec["stem"])
    )
    progress(spec["label"], "wrote " + ", ".join(files))
    return {"files": files}


_MODES = {"measure": measure, "concurrency": concurrency, "profile": profile}


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Build the runner and do the spec's measurement; an absent llmkit feature is reported."""
    from bench._llmkit_side import Unavailable

    try:
        runner = build(spec)
    except Unavailable as exc:
        return {"status": "unavailable", "reason": str(exc)}
    try:
        result = await _MODES[spec["mode"]](runner, spec)
    finally:
        await runner.aclose()
    result["status"] = "ok"
    return result


def main(argv: list[str] | None = None) -> int:
    """Entry point: one JSON spec in argv, one JSON result line out."""
    args = sys.argv[1:] if argv is None else argv
    spec = json.loads(args[0])
    from bench._server import pin

    pin(0, frozenset(spec.get("cores", ())))
    result = asyncio.run(run(spec))
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What a fresh process and a fresh event loop cost: ``python -m bench._probe '<json spec>'``.

This is the child; :mod:`bench._fresh` starts it and reads its figures. It
imports almost nothing before its clock starts, so that a cold start costs
what the program it stands for costs.

Two measurements, each of one variant in fresh processes:

- ``first``: one process per sample runs the program a user would write:
  its imports (the variant's ``imports`` statement), then in ``asyncio.run``
  the client or agent is built and does one run. The process times, with
  ``time.perf_counter`` and ``time.process_time`` from its first line (the
  interpreter's own start-up is not in these), the imports and the **first
  run** (building plus the run, up to the first result). The driver times
  the **cold start**: from just before it starts the process to the moment
  the process says it has its first result, so the interpreter's start-up,
  every import and the first run are in it.
- ``loops``: one process does ``calls`` runs, each in its own
  ``asyncio.run``, as a script that calls ``asyncio.run`` per call does. A
  floor's client belongs to a loop, so each loop builds its own and closes
  it (``async with`` in a script); llmkit's agent is built once, outside
  any loop, and reused. The first call also pays the process's first-run
  costs; calls 2..N are the cost of a new event loop.

With ``profile`` in the spec the child also writes a cProfile report of the
first run (``first``) or of calls 2..N (``loops``); the driver runs it with
``-X importtime`` and keeps that log, with markers where the imports end
and where the first result arrives.
"""

from __future__ import annotations

import time

# The clock starts before anything else this module imports: only the interpreter's own
# start-up is left out of the in-process figures.
_START = (time.perf_counter(), time.process_time())

import sys  # noqa: E402
from typing import Any  # noqa: E402

_clock = time.perf_counter
_cpu = time.process_time

__all__ = ["FIRST_LINE", "first", "loaded_by_the_run", "loops", "main", "runner_class"]

FIRST_LINE = "first result"
"""What the child writes on stdout the moment its first run has a result."""
IMPORTS_DONE = "-- bench: imports done --"
FIRST_DONE = "-- bench: first result --"
"""Markers written to stderr, so an ``-X importtime`` log shows what the first run imported."""


def runner_class(spec: dict[str, Any]) -> type:
    """The runner class the spec names (``module:Class``)."""
    from importlib import import_module

    module_name, _, class_name = str(spec["runner"]).partition(":")
    found: type = getattr(import_module(module_name), class_name)
    return found


def _profiler(spec: dict[str, Any]) -> Any:
    if not spec.get("profile"):
        return None
    import cProfile

    return cProfile.Profile(time.process_time)


def _write_profile(profiler: Any, spec: dict[str, Any], title: str) -> list[str]:
    import cProfile
    from pathlib import Path

    from bench._profile import pstats_text

    assert isinstance(profiler, cProfile.Profile)
    stem = Path(str(spec["stem"]))
    text_path = stem.with_name(stem.name + ".cprofile.txt")
    text_path.write_text(pstats_text(profiler, title=title))
    profiler.dump_stats(stem.with_name(stem.name + ".prof"))
    return [str(text_path), str(stem.with_name(stem.name + ".prof"))]


def loaded_by_the_run(before: set[str], after: set[str]) -> dict[str, Any]:
    """The modules in ``after`` but not ``before``, and their files' KiB: all, and llmkit's.

    The size is that of the file each was loaded from: the bytecode cache of
    a source module (its source when there is no cache), the shared library
    of an extension.
    """
    import os

    names = sorted(after - before)
    ours = [name for name in names if name == "llmkit" or name.startswith("llmkit.")]

    def kib(modules: list[str]) -> float:
        size = 0
        for name in modules:
            module = sys.modules.get(name)
            for path in (getattr(module, "__cached__", None), getattr(module, "__file__", None)):
                if isinstance(path, str) and os.path.isfile(path):
                    size += os.path.getsize(path)
                    break
        return size / 1024

    return {
        "first_modules": len(names),
        "first_modules_kib": kib(names),
        "first_modules_llmkit": len(ours),
        "first_modules_llmkit_kib": kib(ours),
    }


def first(spec: dict[str, Any]) -> dict[str, Any]:
    """The program's imports, then in one ``asyncio.run``: build, one run, close."""
    start_wall, start_cpu = _START
    exec(compile(str(spec["imports"]) or "pass", "<imports>", "exec"), {})
    import asyncio

    runner_type = runner_class(spec)
    before = set(sys.modules)
    imported_wall, imported_cpu = _clock(), _cpu()
    sys.stderr.write(IMPORTS_DONE + "\n")
    profiler = _profiler(spec)
    marks: dict[str, float] = {}
    after: set[str] = set()

    async def program() -> None:
        runner = runner_type(spec["url"], **dict(spec.get("options") or {}))
        try:
            await runner.run()
            marks["wall"], marks["cpu"] = _clock(), _cpu()
            if profiler is not None:
                profiler.disable()
            sys.stdout.write(FIRST_LINE + "\n")
            sys.stdout.flush()
            sys.stderr.write(FIRST_DONE + "\n")
            after.update(sys.modules)  # the driver has stopped its clock
        finally:
            await runner.aclose()

    if profiler is not None:
        profiler.enable()
    asyncio.run(program())
    result: dict[str, Any] = {
        "imports_ms": (imported_wall - start_wall) * 1e3,
        "imports_cpu_ms": (imported_cpu - start_cpu) * 1e3,
        "first_ms": (marks["wall"] - imported_wall) * 1e3,
        "first_cpu_ms": (marks["cpu"] - imported_cpu) * 1e3,
        "script_ms": (marks["wall"] - start_wall) * 1e3,
        # Everything the process spent, interpreter start-up included.
        "process_cpu_ms": marks["cpu"] * 1e3,
        **loaded_by_the_run(before, after),
    }
    if profiler is not None:
        result["files"] = _write_profile(profiler, spec, f"{spec['label']}: first run")
    return result


def loops(spec: dict[str, Any]) -> dict[str, Any]:
    """``calls`` runs, each in a new ``asyncio.run``; wall and CPU of each call."""
    exec(compile(str(spec["imports"]) or "pass", "<imports>", "exec"), {})
    import asyncio

    runner_type = runner_class(spec)
    options = dict(spec.get("options") or {})
    url = spec["url"]
    loop_bound = getattr(runner_type, "LOOP_BOUND", True)
    shared = None if loop_bound else runner_type(url, **options)
    profiler = _profiler(spec)

    async def call() -> None:
        runner = runner_type(url, **options) if shared is None else shared
        try:
            await runner.run()
        finally:
            if shared is None:
                await runner.aclose()

    walls: list[float] = []
    cpus: list[float] = []
    calls = int(spec["calls"])
    for number in range(calls):
        if number == 1 and profiler is not None:
            profiler.enable()
        wall, cpu = _clock(), _cpu()
        asyncio.run(call())
        walls.append((_clock() - wall) * 1e3)
        cpus.append((_cpu() - cpu) * 1e3)
    if profiler is not None:
        profiler.disable()
    if shared is not None:
        asyncio.run(shared.aclose())
    result: dict[str, Any] = {"wall_ms": walls, "cpu_ms": cpus}
    if profiler is not None:
        title = f"{spec['label']}: calls 2..{calls}, each in a new event loop"
        result["files"] = _write_profile(profiler, spec, title)
    return result


def main(argv: list[str] | None = None) -> int:
    """Entry point: one JSON spec in argv, one JSON result line out (after the first-result line)."""
    import json

    args = sys.argv[1:] if argv is None else argv
    spec = json.loads(args[0])
    result = first(spec) if spec["mode"] == "first" else loops(spec)
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())

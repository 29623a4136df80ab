"""Instructions per run, counted by valgrind: a cost figure the machine's load does not move.

``python -m bench._instructions CASE [CASE ...] [--runs N]`` runs each
variant of each case twice under ``valgrind --tool=callgrind`` in a fresh
process against the bench server: once with the warm-up only, once with the
warm-up and ``N`` more runs. The difference over ``N`` is the user-space
instructions one run executes, repeatable to a fraction of a percent on a
busy machine, where CPU time moves by 20% or more. Use 300 runs or more (the
default): with fewer, whether a garbage collection of the whole heap falls
inside the counted runs can move the figure by a few percent. Work in the kernel (system
calls, switching threads) is not counted, so a change that adds a thread hop
shows less here than in CPU time. Python under valgrind runs about 50x
slower: a case of two variants takes about a minute.

Needs Debian's ``valgrind`` (``make test-valgrind`` installs it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import sys

from bench._cases import CASES
from bench._server import ServerProcess
from bench._worker import build

__all__ = ["collected", "instructions_per_run", "main"]

WARMUP = 30
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def collected(valgrind_stderr: str) -> int:
    """The instruction count callgrind reports at the end of its run."""
    found = _COLLECTED.findall(valgrind_stderr)
    if not found:
        raise RuntimeError(f"callgrind reported no count: {valgrind_stderr[-500:]}")
    return int(found[-1])


def _count(spec: dict[str, object], runs: int) -> int:
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        "--cache-sim=no",
        sys.executable,
        "-m",
        "bench._instructions",
        "--run",
        json.dumps({**spec, "runs": runs}),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the counted run failed: {done.stderr[-1000:]}")
    return collected(done.stderr)


def instructions_per_run(spec: dict[str, object], runs: int) -> int:
    """User-space instructions of one run of the runner ``spec`` names (``runner``, ``url``)."""
    return (_count(spec, runs) - _count(spec, 0)) // runs


async def _runs(spec: dict[str, object]) -> None:
    runner = build(spec)
    for _ in range(WARMUP + int(str(spec["runs"]))):
        await runner.run()


def main(argv: list[str] | None = None) -> int:
    """Print instructions per run for the named cases' variants."""
    parser = argparse.ArgumentParser(prog="python -m bench._instructions")
    parser.add_argument("cases", nargs="*", default=["agent"])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:  # inside valgrind: just the runs
        asyncio.run(_runs(json.loads(args.run)))
        return 0
    by_name = {case.name: case for case in CASES}
    unknown = [name for name in args.cases if name not in by_name]
    if unknown:
        print(f"unknown case(s) {unknown}; known: {', '.join(by_name)}", file=sys.stderr)
        return 2
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: `make test-valgrind` installs it", file=sys.stderr)
        return 2
    with ServerProcess() as server:
        for name in args.cases:
            for variant in by_name[name].variants:
                spec = {"runner": variant.runner, "url": server.url, "options": variant.options}
                count = instructions_per_run(spec, args.runs)
                print(f"{name}/{variant.name}: {count:,} instructions per run", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

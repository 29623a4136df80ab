"""The driver: ``python -m bench [CASE ...] [--list] [--quick] [--profile ...] [--save]``.

It starts the fake server in its own process, runs each case and variant in
a fresh worker process (:mod:`bench._worker`), times ``import llmkit`` in
fresh interpreters, the first run and the cold start of fresh processes and
the calls made each in a new event loop (:mod:`bench._fresh`), and writes
the report to ``bench/results/``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench._cases import CASES, FLOOR, FLOORS, LLMKIT, Case, Variant, select
from bench._fresh import STUDIES, study
from bench._imports import import_times
from bench._machine import describe, load_average
from bench._report import markdown
from bench._serve import SERVE, serve_study
from bench._server import ROOT, CorePlan, ServerProcess, plan_cores
from bench._targets import RSS_RUNS
from bench._vectors import ANN, LARGE, vector_study

__all__ = [
    "EXTRAS",
    "FULL",
    "POOL_SETUPS",
    "QUICK",
    "Settings",
    "main",
    "plan_work",
    "run_benchmarks",
]

RESULTS = ROOT / "bench" / "results"
_WORKER_TIMEOUT = 600
_FULL_CALLS_PER_REP = 200
"""A full run's model calls per repetition: what ``Case.runs`` is given for."""


@dataclass(frozen=True, slots=True)
class Settings:
    """How much to measure. Counts are in model calls, so an agent run (2 calls) does half the runs."""

    quick: bool
    warmup: int
    reps: int
    calls_per_rep: int
    levels: tuple[int, ...] = (1, 50, 1000)
    calls_per_level: dict[int, int] = field(default_factory=dict)
    """Model calls at a level; a level always runs at least one run per concurrent task."""
    import_samples: int = 15
    fresh_samples: int = 7
    """Fresh processes timed for the first run and the cold start (after one not counted)."""
    loop_calls: int = 20
    """Calls made each in a new event loop (the first apart from the rest)."""
    concurrency: bool = True
    pool: bool = True
    """Run the pool study when no names are given (it can always be named)."""

    def runs(self, case: Case) -> int:
        """Runs per repetition of ``case`` (a case with no model call: its own count, scaled)."""
        if not case.calls:
            return max(1, case.runs * self.calls_per_rep // _FULL_CALLS_PER_REP)
        return max(1, self.calls_per_rep // case.calls)

    def level_runs(self, case: Case, level: int) -> int:
        """Runs of ``case`` measured at concurrency ``level``."""
        return max(level, self.calls_per_level.get(level, level) // case.calls)


FULL = Settings(
    quick=False,
    warmup=50,
    reps=7,
    calls_per_rep=_FULL_CALLS_PER_REP,
    calls_per_level={1: 1000, 50: 2000, 1000: 2000},
)
QUICK = Settings(
    quick=True,
    warmup=10,
    reps=3,
    calls_per_rep=40,
    calls_per_level={1: 40, 50: 200},
    import_samples=5,
    fresh_samples=3,
    loop_calls=6,
    pool=False,
)

POOL_SETUPS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("20 connections", {"max_connections": 20, "max_keepalive_connections": 20}),
    (
        "100 connections (llmkit's default)",
        {"max_connections": 100, "max_keepalive_connections": 100},
    ),
    (
        "httpx2's default: 100 connections, 20 kept alive",
        {"default_limits": True},
    ),
    ("1,000 connections", {"max_connections": 1000, "max_keepalive_connections": 1000}),
    ("no limit (Limits())", {"max_connections": None, "max_keepalive_connections": None}),
)
"""Pool sizes tried with 1,000 concurrent raw httpx2 calls."""

EXTRAS = {
    "imports": "import time of llmkit in fresh interpreters",
    **STUDIES,
    "pool": "raw httpx2 at 1,000 concurrent calls with different pool sizes",
    "vectors": "vector store add and search at 100,000 x 384 against numpy floors",
    ANN: "the vector store study with the approximate index too (minutes: only when named)",
    LARGE: "the same at 1,000,000 x 384 with the approximate index (only when named: make bench-large)",
    SERVE: "an agent in process against the same agent behind app_for(agent); 200 streams",
}
"""Names that are not cases but can be chosen like them."""

Progress = Callable[[str], None]


def _stderr(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def run_worker(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one worker process; its result, or a ``failed`` entry saying why.

    The worker's stderr (its progress) is passed through as it comes; its last
    line is kept as the reason when the worker fails.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench._worker", json.dumps(spec)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    assert proc.stdout is not None
    timer = threading.Timer(_WORKER_TIMEOUT, proc.kill)
    timer.start()
    last = ""
    try:
        for line in proc.stderr:
            sys.stderr.write(line)
            sys.stderr.flush()
            last = line.strip() or last
        out = proc.stdout.read()
        proc.wait()
    finally:
        timer.cancel()
        proc.stdout.close()
        proc.stderr.close()
    lines = out.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {"status": "failed", "reason": f"worker exited with {proc.returncode}: {last}"}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _spec(
    mode: str, case: Case, variant: Variant, url: str, plan: CorePlan, **fields: Any
) -> dict[str, Any]:
    return {
        "mode": mode,
        "label": f"{case.name}/{variant.name}",
        "runner": variant.runner,
        "options": variant.options,
        "url": url,
        "cores": sorted(plan.client),
        **fields,
    }


def _measure_variant(
    case: Case, variant: Variant, url: str, plan: CorePlan, settings: Settings
) -> dict[str, Any]:
    entry = run_worker(
        _spec(
            "measure",
            case,
            variant,
            url,
            plan,
            warmup=settings.warmup,
            reps=settings.reps,
            runs=settings.runs(case),
            rss_runs=RSS_RUNS,
        )
    )
    if entry.get("status") != "ok":
        return entry
    result: dict[str, Any] = {"status": "ok", "measure": entry}
    if settings.concurrency and case.concurrency:
        load = run_worker(
            _spec(
                "concurrency",
                case,
                variant,
                url,
                plan,
                warmup=max(1, settings.warmup // 5),
                levels=list(settings.levels),
                runs={str(k): settings.level_runs(case, k) for k in settings.levels},
            )
        )
        result["concurrency"] = load if load.get("status") == "ok" else None
        if load.get("status") != "ok":
            result["concurrency_failure"] = load.get("reason")
    return result


def _run_case(
    case: Case,
    variants: list[Variant],
    url: str,
    plan: CorePlan,
    settings: Settings,
    progress: Progress,
) -> dict[str, Any]:
    measured: dict[str, Any] = {}
    order = sorted(variants, key=lambda v: v.name != LLMKIT) if case.only_with_llmkit else variants
    for variant in order:
        if case.only_with_llmkit and measured.get(LLMKIT, {}).get("status") == "unavailable":
            measured[variant.name] = {
                "status": "unavailable",
                "reason": "skipped with llmkit's side",
            }
            continue
        progress(f"{case.name}/{variant.name}")
        measured[variant.name] = _measure_variant(case, variant, url, plan, settings)
    return {
        "name": case.name,
        "title": case.title,
        "target": case.target,
        "aiohttp_target": case.aiohttp_target,
        "calls": case.calls,
        "steps": case.steps,
        "variants": {v.name: measured[v.name] for v in variants},
    }


def _pool_study(url: str, plan: CorePlan, progress: Progress) -> list[dict[str, Any]]:
    case = next(c for c in CASES if c.name == "generate")
    rows = []
    for label, options in POOL_SETUPS:
        progress(f"pool: {label}")
        variant = Variant(FLOOR, case.variant(FLOOR).runner, {"lib": "httpx2", **options})
        spec = _spec(
            "concurrency", case, variant, url, plan, warmup=0, levels=[1000], runs={"1000": 2000}
        )
        spec["label"] = f"pool/{label}"
        outcome = run_worker(spec)
        row: dict[str, Any] = {"label": label, "options": options}
        if outcome.get("status") == "ok":
            row["concurrency"] = outcome
        else:
            row["reason"] = outcome.get("reason", "failed")
        rows.append(row)
    return rows


def plan_work(
    names: Sequence[str], settings: Settings
) -> tuple[list[tuple[Case, list[Variant]]], set[str]]:
    """The cases and variants, and the extra measurements (imports, pool), that ``names`` ask for.

    No names means everything the settings allow; naming only extras runs no case.
    """
    if not names:
        named_only = {LARGE, ANN}
        return select([]), {
            n for n in EXTRAS if (n != "pool" or settings.pool) and n not in named_only
        }
    case_names = [n for n in names if n not in EXTRAS]
    # select() of no names is every case, so it is not asked when only extras were named.
    return (select(case_names) if case_names else []), {n for n in names if n in EXTRAS}


def run_benchmarks(
    names: Sequence[str] = (),
    *,
    settings: Settings = FULL,
    pin: bool = True,
    progress: Progress = _stderr,
) -> dict[str, Any]:
    """Measure the named cases (all of them, the import times and the pool study if none)."""
    started = time.perf_counter()
    selection, extras = plan_work(names, settings)
    plan = plan_cores(pin=pin)
    results: dict[str, Any] = {
        "schema": 1,
        "machine": describe(),
        "settings": {
            "quick": settings.quick,
            "warmup": settings.warmup,
            "reps": settings.reps,
            "calls_per_rep": settings.calls_per_rep,
            "levels": [str(k) for k in settings.levels],
            "fresh_samples": settings.fresh_samples,
            "loop_calls": settings.loop_calls,
            "cores": plan.describe(),
            "event_loop": "asyncio (default policy)",
        },
        "cases": [],
    }
    if "imports" in extras:
        results["imports"] = import_times(
            samples=settings.import_samples,
            cores=plan.client,
            report=lambda text: progress(f"imports: {text}"),
        )
    for name, rows, ann in (
        ("vectors", 100_000, False),
        (ANN, 100_000, True),
        (LARGE, 1_000_000, True),
    ):
        if name in extras:
            queries = 30 if settings.quick else 200
            results[name] = vector_study(rows, queries=queries, ann=ann, report=progress)
    studies = [name for name in STUDIES if name in extras]
    if selection or studies or "pool" in extras or SERVE in extras:
        with ServerProcess(cores=plan.server) as server:
            progress(f"fake server at {server.url} ({plan.describe()})")
            for case, variants in selection:
                results["cases"].append(
                    _run_case(case, variants, server.url, plan, settings, progress)
                )
            for name in studies:
                count = settings.fresh_samples if name == "startup" else settings.loop_calls
                results[name] = study(
                    name, server.url, count=count, cores=plan.client, progress=progress
                )
            if "pool" in extras:
                results["pool"] = _pool_study(server.url, plan, progress)
            if SERVE in extras:
                results[SERVE] = serve_study(
                    server.url, quick=settings.quick, cores=plan.client, progress=progress
                )
    results["duration_s"] = time.perf_counter() - started
    results["machine"]["load_average_end"] = load_average()
    return results


def run_profiles(
    names: Sequence[str], profilers: list[str], settings: Settings, *, pin: bool, out: Path
) -> list[str]:
    """Profile the chosen variants (default: both floors and llmkit) of the named cases.

    ``startup`` and ``loops`` among the names profile the first run in a fresh
    process (cProfile and an ``-X importtime`` log) and the calls 2..N made
    each in a new event loop (cProfile), for both floors and llmkit.
    """
    plan = plan_cores(pin=pin)
    out.mkdir(parents=True, exist_ok=True)
    files: list[str] = []
    explicit = any(":" in n for n in names)
    case_names = [n for n in names if n not in EXTRAS]
    with ServerProcess(cores=plan.server) as server:
        for name in (n for n in STUDIES if n in names):
            count = 1 if name == "startup" else settings.loop_calls
            found = study(
                name, server.url, count=count, cores=plan.client, progress=_stderr, profile_dir=out
            )
            for variant_name, outcome in found["variants"].items():
                files += outcome.get("files", [])
                if outcome.get("status") != "ok":
                    _stderr(f"  {name}/{variant_name}: {outcome.get('reason')}")
        for case, variants in select(case_names) if case_names else []:
            for variant in variants:
                if not explicit and variant.name not in (*FLOORS, LLMKIT):
                    continue
                _stderr(f"profile {case.name}/{variant.name}")
                stem = out / f"profile-{case.name}-{variant.name}"
                spec = _spec(
                    "profile",
                    case,
                    variant,
                    server.url,
                    plan,
                    warmup=settings.warmup,
                    runs=settings.runs(case) * 2,
                    profilers=profilers,
                    stem=str(stem),
                )
                outcome = run_worker(spec)
                if outcome.get("status") == "ok":
                    files += outcome["files"]
                else:
                    _stderr(f"  {case.name}/{variant.name}: {outcome.get('reason')}")
    return files


def write_results(results: dict[str, Any], out: Path, *, save: bool) -> list[Path]:
    """Write ``latest.json``/``latest.md`` (and ``results.*`` with ``save``) into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    text = markdown(results)
    data = json.dumps(results, indent=2, sort_keys=False) + "\n"
    written = []
    for stem in ("latest", "results") if save else ("latest",):
        (out / f"{stem}.json").write_text(data)
        (out / f"{stem}.md").write_text(text)
        written += [out / f"{stem}.json", out / f"{stem}.md"]
    return written


def _list() -> str:
    lines = ["cases (python -m bench CASE or CASE:VARIANT):"]
    for case in CASES:
        target = f"; target <= {case.target:g}x the httpx2 floor" if case.target else ""
        if case.aiohttp_target:
            target += f", <= {case.aiohttp_target:g}x the aiohttp floor"
        lines.append(f"  {case.name:<13} {case.title}{target}")
        lines.append(f"  {'':<13} variants: {', '.join(v.name for v in case.variants)}")
    lines.append("other measurements:")
    lines += [f"  {name:<13} {text}" for name, text in EXTRAS.items()]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "Measure llmkit against raw httpx2 and aiohttp loops on the fake provider server."
        ),
    )
    parser.add_argument("cases", nargs="*", metavar="CASE", help="cases to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--quick", action="store_true", help="fewer runs: a rough figure fast")
    parser.add_argument(
        "--profile",
        action="store_true",
        help=(
            "write profile reports of the chosen cases (both floors and llmkit; also startup, "
            "loops) instead of measuring"
        ),
    )
    parser.add_argument(
        "--profiler",
        choices=["cprofile", "pyinstrument", "both"],
        default="both",
        help="which profiler --profile uses (default: both)",
    )
    parser.add_argument("--no-concurrency", action="store_true", help="skip the throughput runs")
    parser.add_argument(
        "--no-pin", action="store_true", help="do not pin server and client to cores"
    )
    parser.add_argument(
        "--save",
        action="store_true",
        help="also write results.json/results.md (the committed ones)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write (bench/results)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m bench``."""
    args = _parser().parse_args(argv)
    if args.list:
        print(_list())
        return 0
    settings = QUICK if args.quick else FULL
    if args.no_concurrency:
        settings = Settings(**{**_fields(settings), "concurrency": False})
    try:
        select([n for n in args.cases if n not in EXTRAS])
    except KeyError as exc:
        print(f"python -m bench: {exc.args[0]}", file=sys.stderr)
        return 2
    if args.profile:
        if not [n for n in args.cases if n not in EXTRAS or n in STUDIES]:
            print(
                "python -m bench: --profile needs a case (or startup, loops), e.g. --profile agent",
                file=sys.stderr,
            )
            return 2
        profilers = ["cprofile", "pyinstrument"] if args.profiler == "both" else [args.profiler]
        files = run_profiles(args.cases, profilers, settings, pin=not args.no_pin, out=args.out)
        print("\n".join(files))
        return 0
    results = run_benchmarks(args.cases, settings=settings, pin=not args.no_pin)
    written = write_results(results, args.out, save=args.save)
    print(markdown(results))
    _stderr(
        "wrote "
        + ", ".join(str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p) for p in written)
    )
    return 0


def _fields(settings: Settings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in Settings.__slots__}

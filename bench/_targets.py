"""The targets of bench/README.md, checked against one run's results: met or missed.

Two kinds of target: llmkit's client CPU against the ``httpx2`` floor (the
suite's first targets), and the goals set against the ``aiohttp`` floor
and for fresh processes and event loops. A row appears when the run
measured what it needs; a part of llmkit that is missing makes its rows
"not available yet".
"""

from __future__ import annotations

from typing import Any

from bench._cases import AIOHTTP_FLOOR, FLOOR, FLOORS, LLMKIT, LLMKIT_AGENTS
from bench._stats import ratio

__all__ = [
    "BATCH_LIMIT",
    "COLD_START_MARGIN_MS",
    "FIRST_RUN_LIMIT_MS",
    "IMPORT_LIMIT_MS",
    "LOAD_LEVEL",
    "NEW_LOOP_LIMIT_MS",
    "RSS_LIMIT_MIB",
    "RSS_MARGIN_MIB",
    "RSS_RUNS",
    "RUNNER_BUDGET_US",
    "TOP_LEVEL",
    "UNAVAILABLE",
    "cpu_ratio",
    "level",
    "rss",
    "status",
    "targets",
    "variant",
]

IMPORT_LIMIT_MS = 150.0
"""``import llmkit`` must take at most this long."""
RSS_LIMIT_MIB = 60.0
"""Peak RSS of a process that ran :data:`RSS_RUNS` agent runs must stay under this."""
RSS_RUNS = 500
RSS_MARGIN_MIB = 5.0
"""... and be at most this much above the smaller floor's."""
TOP_LEVEL = "1000"
"""The concurrency level at which every agent run must complete."""
LOAD_LEVEL = "50"
"""The concurrency level of the throughput goals against the aiohttp floor."""
LOAD_RUNS_MIN = 0.8
"""Runs per second at :data:`LOAD_LEVEL`, at least this fraction of the aiohttp floor's."""
LOAD_CPU_MAX = 1.3
"""Client CPU per run at :data:`LOAD_LEVEL`, at most this multiple of the aiohttp floor's."""
FIRST_RUN_LIMIT_MS = 15.0
"""The first agent run of a fresh process (after its imports), wall time."""
COLD_START_MARGIN_MS = 60.0
"""Cold start to the first agent result, at most this much above the faster floor's."""
NEW_LOOP_LIMIT_MS = 5.0
"""An agent run in a new event loop, after the first, wall time."""

RUNNER_BUDGET_US = 15.0
"""What the workflow runner may add to a run of the ``workflow`` case (three agent steps),
over the same agents called by hand (``llmkit-agents``), in microseconds of client CPU."""

BATCH_LIMIT = 1.1
"""``llmkit.batch`` of the ``batch`` case: client CPU per run, at most this multiple of the same
agent runs by ``asyncio.gather`` under a semaphore (``llmkit-agents``)."""

UNAVAILABLE = "not available yet"


def variant(results: dict[str, Any], case: str, name: str) -> dict[str, Any] | None:
    """The results of variant ``name`` of ``case`` (None if it was not run)."""
    for entry in results.get("cases", []):
        if entry["name"] == case:
            found: dict[str, Any] | None = entry["variants"].get(name)
            return found
    return None


def _cpu(entry: dict[str, Any] | None) -> float | None:
    if entry is None or entry.get("status") != "ok" or "measure" not in entry:
        return None
    value: float = entry["measure"]["cpu_ms"]
    return value


def cpu_ratio(
    results: dict[str, Any], case: str, name: str = LLMKIT, floor: str = FLOOR
) -> float | None:
    """Client CPU per run of ``name`` over ``floor``'s, in the same run (None if unmeasured)."""
    return ratio(_cpu(variant(results, case, name)), _cpu(variant(results, case, floor)))


def rss(entry: dict[str, Any] | None) -> tuple[float, int] | None:
    """Peak RSS in MiB after :data:`RSS_RUNS` runs (or all the runs, if fewer), and that count."""
    if entry is None or entry.get("status") != "ok" or "measure" not in entry:
        return None
    measure = entry["measure"]
    if "rss_mib" in measure:
        return measure["rss_mib"], measure["rss_runs"]
    return measure["peak_rss_mib"], measure["runs"]


def level(entry: dict[str, Any] | None, name: str) -> dict[str, Any] | None:
    """The throughput figures of ``entry`` at concurrency level ``name``."""
    if entry is None:
        return None
    found: dict[str, Any] | None = ((entry.get("concurrency") or {}).get("levels") or {}).get(name)
    return found


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def status(entry: dict[str, Any] | None) -> str | None:
    """Why a variant has no figures ("not available yet", "failed: …"), or None if it has."""
    if entry is None:
        return "not measured"
    if entry.get("status") == "unavailable":
        return UNAVAILABLE
    if entry.get("status") != "ok":
        return f"failed: {entry.get('reason', '?')}"
    return None


def _row(target: str, measured: float | None, shown: str | None, verdict: str) -> dict[str, Any]:
    return {"target": target, "measured": measured, "shown": shown, "verdict": verdict}


def _judge(
    llmkit: dict[str, Any] | None, value: float | None, ok: bool | None, missing: str
) -> str:
    """llmkit's own status first, then ``missing`` when a figure is absent, then the verdict."""
    return status(llmkit) or (missing if value is None or ok is None else _verdict(ok))


def _cpu_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for entry in results.get("cases", []):
        llmkit = entry["variants"].get(LLMKIT)
        if llmkit is None:
            continue
        for floor, limit in (
            (FLOOR, entry.get("target")),
            (AIOHTTP_FLOOR, entry.get("aiohttp_target")),
        ):
            if limit is None:
                continue
            value = cpu_ratio(results, entry["name"], LLMKIT, floor)
            lib = floor.removeprefix("floor-")
            rows.append(
                _row(
                    f"{entry['name']}: client CPU per run <= {limit:g}x the {lib} floor",
                    value,
                    f"{value:.2f}x" if value is not None else None,
                    _judge(
                        llmkit,
                        value,
                        value is not None and value <= limit,
                        f"n/a: the {lib} floor was not run",
                    ),
                )
            )
    return rows


def _runner_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    llmkit = variant(results, "workflow", LLMKIT)
    agents = variant(results, "workflow", LLMKIT_AGENTS)
    if llmkit is None or agents is None:
        return []
    ours, theirs = _cpu(llmkit), _cpu(agents)
    added = None if ours is None or theirs is None else (ours - theirs) * 1e3
    return [
        _row(
            f"workflow: the runner adds <= {RUNNER_BUDGET_US:g} us of client CPU per run "
            f"over {LLMKIT_AGENTS}",
            added,
            f"{added:+.1f} us ({ours:.3f} against {theirs:.3f} ms)"
            if added is not None and ours is not None and theirs is not None
            else None,
            status(agents)
            or _judge(llmkit, added, added is not None and added <= RUNNER_BUDGET_US, "n/a"),
        )
    ]


def _batch_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    llmkit = variant(results, "batch", LLMKIT)
    gather = variant(results, "batch", LLMKIT_AGENTS)
    if llmkit is None or gather is None:
        return []
    value = cpu_ratio(results, "batch", LLMKIT, LLMKIT_AGENTS)
    return [
        _row(
            f"batch: client CPU per run <= {BATCH_LIMIT:g}x asyncio.gather with a semaphore",
            value,
            f"{value:.3f}x" if value is not None else None,
            status(gather)
            or _judge(llmkit, value, value is not None and value <= BATCH_LIMIT, "n/a"),
        )
    ]


def _import_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    imports = results.get("imports", {}).get("import llmkit")
    if imports is None:
        return []
    ms = imports.get("ms_median")
    return [
        _row(
            f"import llmkit <= {IMPORT_LIMIT_MS:g} ms",
            ms,
            f"{ms:.1f} ms" if ms is not None else None,
            _verdict(ms <= IMPORT_LIMIT_MS) if ms is not None else UNAVAILABLE,
        )
    ]


def _agent_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    agent = variant(results, "agent", LLMKIT)
    if agent is None:
        return []
    rows: list[dict[str, Any]] = []
    found = rss(agent)
    quick = "" if found is None or found[1] >= RSS_RUNS else f" (only {found[1]} runs: quick mode)"
    rows.append(
        _row(
            f"peak RSS of a process that ran {RSS_RUNS} agent runs <= {RSS_LIMIT_MIB:g} MiB",
            found[0] if found else None,
            f"{found[0]:.1f} MiB after {found[1]} runs" if found else None,
            _judge(
                agent,
                found[0] if found else None,
                found is not None and found[0] <= RSS_LIMIT_MIB,
                "n/a",
            )
            + quick,
        )
    )
    floors = [f for f in (rss(variant(results, "agent", name)) for name in FLOORS) if f is not None]
    if floors:
        smaller = min(value for value, _ in floors)
        above = found[0] - smaller if found else None
        rows.append(
            _row(
                f"peak RSS after {RSS_RUNS} agent runs within {RSS_MARGIN_MIB:g} MiB of the smaller floor",
                above,
                f"{above:+.1f} MiB ({found[0]:.1f} against {smaller:.1f})"
                if found and above is not None
                else None,
                _judge(agent, above, above is not None and above <= RSS_MARGIN_MIB, "n/a") + quick,
            )
        )
    top = level(agent, TOP_LEVEL)
    errors = top["errors"] if top else None
    shown = None
    if top:
        shown = f"{errors} errors"
        if "mem_per_inflight_kib" in top:
            shown += f", {top['mem_per_inflight_kib']:.0f} KiB per in-flight run"
    rows.append(
        _row(
            "1,000 concurrent agent runs complete with no errors",
            errors,
            shown,
            _judge(agent, errors, errors == 0 if errors is not None else None, "n/a"),
        )
    )
    ours, theirs = (
        level(agent, LOAD_LEVEL),
        level(variant(results, "agent", AIOHTTP_FLOOR), LOAD_LEVEL),
    )
    if ours is not None:
        speed = ratio(ours["runs_per_s"], theirs["runs_per_s"]) if theirs else None
        cost = ratio(ours["cpu_ms"], theirs["cpu_ms"]) if theirs else None
        missing = "n/a: the aiohttp floor was not run"
        rows += [
            _row(
                f"agent: runs/s at {LOAD_LEVEL} concurrent >= {LOAD_RUNS_MIN:g}x the aiohttp floor",
                speed,
                f"{speed:.2f}x ({ours['runs_per_s']:.0f} against {theirs['runs_per_s']:.0f})"
                if speed is not None and theirs
                else None,
                _judge(agent, speed, speed is not None and speed >= LOAD_RUNS_MIN, missing),
            ),
            _row(
                f"agent: client CPU per run at {LOAD_LEVEL} concurrent <= {LOAD_CPU_MAX:g}x the aiohttp floor",
                cost,
                f"{cost:.2f}x ({ours['cpu_ms']:.3f} against {theirs['cpu_ms']:.3f} ms)"
                if cost is not None and theirs
                else None,
                _judge(agent, cost, cost is not None and cost <= LOAD_CPU_MAX, missing),
            ),
        ]
    return rows


def _fresh_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    startup = (results.get("startup") or {}).get("variants") or {}
    llmkit = startup.get(LLMKIT)
    if llmkit is not None:
        first = llmkit["first_ms"]["median"] if llmkit.get("status") == "ok" else None
        rows.append(
            _row(
                f"first agent run in a fresh process <= {FIRST_RUN_LIMIT_MS:g} ms",
                first,
                f"{first:.1f} ms (CPU {llmkit['first_cpu_ms']['median']:.1f} ms)"
                if first is not None
                else None,
                _judge(llmkit, first, first is not None and first <= FIRST_RUN_LIMIT_MS, "n/a"),
            )
        )
        floors = [
            startup[name]["cold_ms"]["median"]
            for name in FLOORS
            if (startup.get(name) or {}).get("status") == "ok"
        ]
        cold = llmkit["cold_ms"]["median"] if llmkit.get("status") == "ok" else None
        above = cold - min(floors) if cold is not None and floors else None
        rows.append(
            _row(
                f"cold start to the first agent result within {COLD_START_MARGIN_MS:g} ms of the faster floor",
                above,
                f"{above:+.0f} ms ({cold:.0f} against {min(floors):.0f} ms)"
                if above is not None and cold is not None
                else None,
                _judge(
                    llmkit,
                    above,
                    above is not None and above <= COLD_START_MARGIN_MS,
                    "n/a: no floor was run",
                ),
            )
        )
    loops = ((results.get("loops") or {}).get("variants") or {}).get(LLMKIT)
    if loops is not None:
        later = loops["later_ms"]["median"] if loops.get("status") == "ok" else None
        rows.append(
            _row(
                f"agent run in a new event loop, after the first, <= {NEW_LOOP_LIMIT_MS:g} ms",
                later,
                f"{later:.1f} ms (CPU {loops['later_cpu_ms']['median']:.1f} ms)"
                if later is not None
                else None,
                _judge(loops, later, later is not None and later <= NEW_LOOP_LIMIT_MS, "n/a"),
            )
        )
    return rows


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of bench/README.md with what this run measured and whether it was met."""
    return [
        *_cpu_rows(results),
        *_runner_rows(results),
        *_batch_rows(results),
        *_import_rows(results),
        *_agent_rows(results),
        *_fresh_rows(results),
    ]

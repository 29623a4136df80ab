"""Ratios, target verdicts and the Markdown report, from hand-made results."""

from __future__ import annotations

from typing import Any

from bench._report import markdown
from bench._targets import targets


def measured(
    cpu_ms: float, runs: int = 750, rss: float = 40.0, per_s: float = 800.0
) -> dict[str, Any]:
    return {
        "status": "ok",
        "measure": {
            "cpu_ms": cpu_ms,
            "wall_ms_median": cpu_ms * 1.1,
            "wall_ms_p95": cpu_ms * 1.3,
            "peak_rss_mib": rss + 1,
            "runs": runs,
            "rss_mib": rss,
            "rss_runs": min(runs, 500),
        },
        "concurrency": {
            "levels": {
                "1": {"runs_per_s": 900.0, "cpu_ms": cpu_ms, "errors": 0},
                "50": {"runs_per_s": per_s, "cpu_ms": cpu_ms * 0.9, "errors": 0},
                "1000": {
                    "runs_per_s": per_s,
                    "cpu_ms": cpu_ms * 1.2,
                    "errors": 0,
                    "mem_per_inflight_kib": 21.5,
                },
            }
        },
    }


def results(
    llmkit: dict[str, Any], aiohttp: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    variants = {"floor-httpx2": measured(1.0, rss=31.0)}
    if aiohttp is not None:
        variants["floor-aiohttp"] = aiohttp
    variants["llmkit"] = llmkit
    return {
        "machine": {
            "date": "2026-11-23 12:00 UTC",
            "cpu": "Test CPU",
            "cores": 2,
            "python": "CPython 3.11.7",
            "platform": "Linux",
            "packages": {"llmkit": "0.1.0", "httpx": None},
        },
        "settings": {
            "quick": False,
            "reps": 7,
            "cores": "not pinned",
            "levels": ["1", "50", "1000"],
        },
        "duration_s": 100.0,
        "cases": [
            {
                "name": "agent",
                "title": "agent run",
                "target": 1.5,
                "aiohttp_target": 1.3,
                "variants": variants,
            }
        ],
        **extra,
    }


def fresh(first_ms: float, cold_ms: float) -> dict[str, Any]:
    def spread(value: float) -> dict[str, float]:
        return {"median": value, "min": value * 0.9, "max": value * 1.2}

    return {
        "status": "ok",
        "cold_ms": spread(cold_ms),
        "imports_ms": spread(cold_ms / 2),
        "first_ms": spread(first_ms),
        "first_cpu_ms": spread(first_ms * 0.8),
        "script_ms": spread(cold_ms - 20),
        "process_cpu_ms": spread(cold_ms - 10),
    }


def loop(later_ms: float) -> dict[str, Any]:
    return {
        "status": "ok",
        "calls": 20,
        "first_ms": 150.0,
        "first_cpu_ms": 140.0,
        "later_ms": {"median": later_ms, "min": later_ms, "max": later_ms},
        "later_p95_ms": later_ms * 1.5,
        "later_cpu_ms": {"median": later_ms * 0.9, "min": 0, "max": 0},
    }


def studies(first_ms: float, cold_ms: float, later_ms: float) -> dict[str, Any]:
    return {
        "startup": {
            "case": "agent",
            "count": 7,
            "variants": {
                "floor-httpx2": fresh(40.0, 200.0),
                "floor-aiohttp": fresh(4.0, 250.0),
                "llmkit": fresh(first_ms, cold_ms),
            },
        },
        "loops": {
            "case": "agent",
            "count": 20,
            "variants": {
                "floor-httpx2": loop(22.0),
                "floor-aiohttp": loop(1.5),
                "llmkit": loop(later_ms),
            },
        },
    }


def by_target(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["target"]: row for row in rows}


CPU_HTTPX2 = "agent: client CPU per run <= 1.5x the httpx2 floor"
CPU_AIOHTTP = "agent: client CPU per run <= 1.3x the aiohttp floor"
RSS = "peak RSS of a process that ran 500 agent runs <= 60 MiB"
RSS_FLOOR = "peak RSS after 500 agent runs within 5 MiB of the smaller floor"
ERRORS = "1,000 concurrent agent runs complete with no errors"
LOAD_RUNS = "agent: runs/s at 50 concurrent >= 0.8x the aiohttp floor"
LOAD_CPU = "agent: client CPU per run at 50 concurrent <= 1.3x the aiohttp floor"
FIRST = "first agent run in a fresh process <= 15 ms"
COLD = "cold start to the first agent result within 60 ms of the faster floor"
LOOPS = "agent run in a new event loop, after the first, <= 5 ms"


def test_ratios_against_both_floors_decide_the_verdicts() -> None:
    data = results(
        measured(1.2, rss=34.0, per_s=800.0),
        aiohttp=measured(1.0, rss=33.0, per_s=900.0),
        **studies(first_ms=12.0, cold_ms=240.0, later_ms=4.0),
    )
    rows = by_target(targets(data))
    assert rows[CPU_HTTPX2]["measured"] == 1.2 and rows[CPU_HTTPX2]["verdict"] == "met"
    assert rows[CPU_AIOHTTP]["shown"] == "1.20x" and rows[CPU_AIOHTTP]["verdict"] == "met"
    assert rows[RSS]["verdict"] == "met" and rows[RSS]["shown"] == "34.0 MiB after 500 runs"
    # The smaller floor is the httpx2 one (31 MiB).
    assert rows[RSS_FLOOR]["shown"] == "+3.0 MiB (34.0 against 31.0)"
    assert rows[RSS_FLOOR]["verdict"] == "met"
    assert rows[ERRORS]["verdict"] == "met"
    assert rows[ERRORS]["shown"] == "0 errors, 22 KiB per in-flight run"
    assert rows[LOAD_RUNS]["shown"] == "0.89x (800 against 900)"
    assert rows[LOAD_RUNS]["verdict"] == "met"
    assert rows[LOAD_CPU]["verdict"] == "met"
    assert rows[FIRST]["shown"] == "12.0 ms (CPU 9.6 ms)" and rows[FIRST]["verdict"] == "met"
    # The faster floor starts in 200 ms.
    assert rows[COLD]["shown"] == "+40 ms (240 against 200 ms)" and rows[COLD]["verdict"] == "met"
    assert rows[LOOPS]["shown"] == "4.0 ms (CPU 3.6 ms)" and rows[LOOPS]["verdict"] == "met"


def test_a_miss_is_reported_as_missed() -> None:
    slow = measured(1.6, rss=75.0, per_s=500.0)
    slow["concurrency"]["levels"]["1000"]["errors"] = 3
    data = results(
        slow,
        aiohttp=measured(0.5, per_s=1500.0),
        **studies(first_ms=150.0, cold_ms=400.0, later_ms=25.0),
    )
    rows = by_target(targets(data))
    for name in (
        CPU_HTTPX2,
        CPU_AIOHTTP,
        RSS,
        RSS_FLOOR,
        ERRORS,
        LOAD_RUNS,
        LOAD_CPU,
        FIRST,
        COLD,
        LOOPS,
    ):
        assert rows[name]["verdict"] == "**missed**", name


def test_an_unrun_aiohttp_floor_leaves_its_targets_without_a_verdict() -> None:
    rows = by_target(targets(results(measured(1.2))))
    assert rows[CPU_AIOHTTP]["verdict"] == "n/a: the aiohttp floor was not run"
    assert rows[LOAD_RUNS]["verdict"] == "n/a: the aiohttp floor was not run"
    assert FIRST not in rows and LOOPS not in rows


def test_too_few_runs_for_the_rss_targets_say_so() -> None:
    rows = by_target(targets(results(measured(1.0, runs=100))))
    assert rows[RSS]["verdict"] == "met (only 100 runs: quick mode)"
    assert rows[RSS_FLOOR]["verdict"].endswith("(only 100 runs: quick mode)")


def test_an_absent_llmkit_feature_is_not_available_yet_everywhere() -> None:
    data = results({"status": "unavailable", "reason": "llmkit has no Agent yet"})
    for row in targets(data):
        assert row["verdict"] == "not available yet", row
    text = markdown(data)
    assert "| agent | llmkit | not available yet |" in text


def test_import_time_target() -> None:
    data = results(
        measured(1.0),
        imports={
            "import llmkit": {
                "status": "ok",
                "ms_median": 151.0,
                "ms_min": 1,
                "ms_max": 2,
                "samples": 3,
            }
        },
    )
    row = by_target(targets(data))["import llmkit <= 150 ms"]
    assert row["verdict"] == "**missed**" and row["shown"] == "151.0 ms"


def test_markdown_has_every_table() -> None:
    data = results(
        measured(1.2, rss=40.0),
        aiohttp=measured(0.5, rss=35.0, per_s=1600.0),
        imports={
            "import llmkit": {
                "status": "ok",
                "ms_median": 4.0,
                "ms_min": 3.9,
                "ms_max": 4.2,
                "samples": 15,
            }
        },
        pool=[
            {
                "label": "20 connections",
                "concurrency": {
                    "levels": {"1000": {"runs_per_s": 2000.0, "cpu_ms": 0.45, "errors": 0}}
                },
            }
        ],
        **studies(first_ms=150.0, cold_ms=400.0, later_ms=25.0),
    )
    text = markdown(data)
    assert "Test CPU (2 cores), CPython 3.11.7" in text
    assert "llmkit 0.1.0" in text and "httpx None" not in text
    assert "| agent | llmkit | 1.200 | 1.20x | 2.40x | 1.320 | 1.560 | 40.0 | 750 |" in text
    assert "| agent | llmkit | 900 | 800 | 800 | 1.080 | 1.440 | 0.50x | 2.40x | 0 | 21.5 |" in text
    assert "| llmkit | 200.0 | 150.0 | 120.0 | 380.0 | 400 (360-480) | +200 | 390 |" in text
    assert "| floor-aiohttp | 150.0 | 1.50 | 2.25 | 1.35 |" in text
    assert "| import llmkit | 4.0 | 3.9 | 4.2 |" in text
    assert "| 20 connections | 2000 | 0.450 | 0 |" in text


def test_a_quick_run_shows_how_many_runs_its_rss_covers() -> None:
    text = markdown(results(measured(1.0, runs=70)))
    assert "| agent | llmkit | 1.000 | 1.00x | - | 1.100 | 1.300 | 40.0 (70 runs) | 70 |" in text


def measured_only(cpu_ms: float) -> dict[str, Any]:
    entry = measured(cpu_ms, runs=300)
    del entry["concurrency"]
    return entry


def workflow_results(
    llmkit_ms: float, agents_ms: float, *, parallel: dict[str, Any] | None = None
) -> dict[str, Any]:
    data = results(measured(1.0))
    data["cases"] = [
        {
            "name": "workflow",
            "title": "3-step workflow",
            "target": 1.1,
            "aiohttp_target": None,
            "calls": 3,
            "steps": 3,
            "variants": {
                "floor-httpx2": measured(1.0),
                "llmkit": measured(llmkit_ms),
                "llmkit-agents": measured(agents_ms),
            },
        },
        {
            "name": "workflow-parallel",
            "title": "parallel of 100 sync function steps",
            "target": None,
            "aiohttp_target": None,
            "calls": 0,
            "steps": 100,
            "variants": parallel or {"floor": measured_only(0.004), "llmkit": measured_only(0.504)},
        },
    ]
    return data


RUNNER = "workflow: the runner adds <= 15 us of client CPU per run over llmkit-agents"
WORKFLOW_CPU = "workflow: client CPU per run <= 1.1x the httpx2 floor"


def test_the_runner_budget_is_llmkit_minus_the_agents_called_by_hand() -> None:
    rows = by_target(targets(workflow_results(1.010, 1.000)))
    assert rows[RUNNER]["shown"] == "+10.0 us (1.010 against 1.000 ms)"
    assert rows[RUNNER]["verdict"] == "met"
    assert rows[WORKFLOW_CPU]["verdict"] == "met"
    rows = by_target(targets(workflow_results(1.120, 1.000)))
    assert rows[RUNNER]["verdict"] == "**missed**"
    assert rows[WORKFLOW_CPU]["verdict"] == "**missed**"
    # No workflow case in the run: no runner row.
    assert RUNNER not in by_target(targets(results(measured(1.0))))


def test_the_overhead_table_gives_the_runner_cost_per_step() -> None:
    text = markdown(workflow_results(1.030, 1.000))
    assert "## Workflow overhead per step" in text
    assert "| workflow | 3 | llmkit-agents | 1.000 | 1.030 | 30.0 | 10.00 |" in text
    assert "| workflow-parallel | 3 | floor |" not in text
    assert "| workflow-parallel | 100 | floor | 0.004 | 0.504 | 500.0 | 5.00 |" in text


def test_the_overhead_table_says_why_a_row_has_no_figures() -> None:
    failed = {"floor": measured_only(0.004), "llmkit": {"status": "failed", "reason": "boom"}}
    text = markdown(workflow_results(1.0, 1.0, parallel=failed))
    assert "| workflow-parallel | 100 | floor | failed: boom |" in text


BATCH = "batch: client CPU per run <= 1.1x asyncio.gather with a semaphore"


def batch_results(llmkit_ms: float, gather_ms: float) -> dict[str, Any]:
    data = results(measured(1.0))
    data["cases"].append(
        {
            "name": "batch",
            "title": "1,000 agent runs at concurrency 50",
            "target": None,
            "aiohttp_target": None,
            "calls": 2000,
            "steps": 1000,
            "variants": {
                "llmkit-agents": measured_only(gather_ms),
                "llmkit": measured_only(llmkit_ms),
            },
        }
    )
    return data


def test_the_batch_path_is_judged_against_gather_with_a_semaphore() -> None:
    rows = by_target(targets(batch_results(310.0, 300.0)))
    assert rows[BATCH]["shown"] == "1.033x" and rows[BATCH]["verdict"] == "met"
    assert by_target(targets(batch_results(340.0, 300.0)))[BATCH]["verdict"] == "**missed**"
    assert BATCH not in by_target(targets(results(measured(1.0))))
    text = markdown(batch_results(310.0, 300.0))
    assert "| batch | 1000 | llmkit-agents | 300.000 | 310.000 | 10000.0 | 10.00 |" in text

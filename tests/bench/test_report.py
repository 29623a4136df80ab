"""Ratios, target verdicts and the Markdown report, from hand-made results."""

from __future__ import annotations

from typing import Any

from bench._report import markdown, targets


def measured(cpu_ms: float, runs: int = 750, rss: float = 40.0) -> dict[str, Any]:
    return {
        "status": "ok",
        "measure": {
            "cpu_ms": cpu_ms,
            "wall_ms_median": cpu_ms * 1.1,
            "wall_ms_p95": cpu_ms * 1.3,
            "peak_rss_mib": rss,
            "runs": runs,
        },
        "concurrency": {
            "levels": {
                "1": {"runs_per_s": 900.0, "cpu_ms": cpu_ms, "errors": 0},
                "1000": {
                    "runs_per_s": 800.0,
                    "cpu_ms": cpu_ms * 1.2,
                    "errors": 0,
                    "mem_per_inflight_kib": 21.5,
                },
            }
        },
    }


def results(llmkit: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "machine": {
            "date": "2026-11-23 12:00 UTC",
            "cpu": "Test CPU",
            "cores": 2,
            "python": "CPython 3.11.7",
            "platform": "Linux",
            "packages": {"llmkit": "0.1.0", "httpx": None},
        },
        "settings": {"quick": False, "reps": 7, "cores": "not pinned", "levels": ["1", "1000"]},
        "duration_s": 100.0,
        "cases": [
            {
                "name": "agent",
                "title": "agent run",
                "target": 1.5,
                "variants": {"floor-httpx2": measured(1.0), "llmkit": llmkit},
            }
        ],
        **extra,
    }


def by_target(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["target"].split(":")[0].split(" <=")[0]: row for row in rows}


def test_ratios_against_the_floor_decide_the_verdicts() -> None:
    rows = by_target(targets(results(measured(1.4, rss=59.0))))
    assert rows["agent"]["measured"] == 1.4 and rows["agent"]["verdict"] == "met"
    rss = rows["peak RSS of a process that ran 500 agent runs"]
    assert rss["verdict"] == "met" and rss["shown"] == "59.0 MiB after 750 runs"
    errors = rows["1,000 concurrent agent runs complete with no errors"]
    assert errors["verdict"] == "met" and errors["shown"] == "0 errors, 22 KiB per in-flight run"


def test_a_miss_is_reported_as_missed() -> None:
    slow = measured(1.6, rss=75.0)
    slow["concurrency"]["levels"]["1000"]["errors"] = 3
    rows = by_target(targets(results(slow)))
    assert rows["agent"]["verdict"] == "**missed**"
    assert rows["peak RSS of a process that ran 500 agent runs"]["verdict"] == "**missed**"
    assert rows["1,000 concurrent agent runs complete with no errors"]["verdict"] == "**missed**"


def test_too_few_runs_for_the_rss_target_say_so() -> None:
    rows = by_target(targets(results(measured(1.0, runs=100))))
    verdict = rows["peak RSS of a process that ran 500 agent runs"]["verdict"]
    assert verdict == "met (only 100 runs: quick mode)"


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
    row = by_target(targets(data))["import llmkit"]
    assert row["verdict"] == "**missed**" and row["shown"] == "151.0 ms"


def test_markdown_has_every_table() -> None:
    data = results(
        measured(1.2),
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
    )
    text = markdown(data)
    assert "Test CPU (2 cores), CPython 3.11.7" in text
    assert "llmkit 0.1.0" in text and "httpx None" not in text
    assert "| agent | llmkit | 1.200 | 1.20x | 1.320 | 1.560 | 40.0 | 750 |" in text
    assert "| agent | llmkit | 900 | 800 | 0 | 1.440 | 21.5 |" in text
    assert "| import llmkit | 4.0 | 3.9 | 4.2 |" in text
    assert "| 20 connections | 2000 | 0.450 | 0 |" in text

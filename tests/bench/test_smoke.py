"""The whole driver on one tiny case: server process, worker processes, report files."""

from __future__ import annotations

import json
from pathlib import Path

from bench._cases import find
from bench._cli import Settings, _fields, run_benchmarks, write_results
from bench._report import markdown

TINY = Settings(quick=True, warmup=1, reps=2, calls_per_rep=3, levels=(1, 4), import_samples=1)


def test_a_tiny_run_measures_floor_and_llmkit_and_writes_the_report(tmp_path: Path) -> None:
    messages: list[str] = []
    results = run_benchmarks(
        ["generate:floor-httpx2", "generate:llmkit"],
        settings=TINY,
        progress=messages.append,
    )
    (generate,) = results["cases"]
    for name in ("floor-httpx2", "llmkit"):
        variant = generate["variants"][name]
        assert variant["status"] == "ok", variant
        assert variant["measure"]["runs"] == 1 + 2 * 3
        assert variant["measure"]["cpu_ms"] > 0
        levels = variant["concurrency"]["levels"]
        assert set(levels) == {"1", "4"} and levels["4"]["errors"] == 0
    assert "floor-httpx" not in generate["variants"]
    assert "generate/llmkit" in messages and "imports" not in results

    written = write_results(results, tmp_path, save=True)
    assert sorted(p.name for p in written) == [
        "latest.json",
        "latest.md",
        "results.json",
        "results.md",
    ]
    assert json.loads((tmp_path / "results.json").read_text())["cases"][0]["name"] == "generate"
    assert (
        "| generate: client CPU per run <= 1.5x the httpx2 floor |"
        in (tmp_path / "latest.md").read_text()
    )


def test_a_tiny_run_of_the_fresh_process_and_new_loop_studies(tmp_path: Path) -> None:
    tiny = Settings(**{**_fields(TINY), "fresh_samples": 1, "loop_calls": 2})
    results = run_benchmarks(["startup", "loops"], settings=tiny, progress=lambda text: None)
    assert results["cases"] == []
    for study in ("startup", "loops"):
        variants = results[study]["variants"]
        assert list(variants) == ["floor-httpx2", "floor-aiohttp", "llmkit"]
        assert {v["status"] for v in variants.values()} == {"ok"}, variants
    llmkit = results["startup"]["variants"]["llmkit"]
    # The cold start holds the interpreter's start-up, the imports and the first run.
    assert (
        llmkit["cold_ms"]["median"] > llmkit["script_ms"]["median"] >= llmkit["first_ms"]["median"]
    )
    text = markdown(results)
    assert "## A fresh process: first run and cold start (agent, median of 1)" in text
    assert "| first agent run in a fresh process <= 15 ms |" in text


def test_a_tiny_run_of_the_workflow_cases_gives_the_overhead_per_step() -> None:
    quiet = Settings(**{**_fields(TINY), "levels": (1,)})
    results = run_benchmarks(
        ["workflow:llmkit", "workflow:llmkit-agents", "workflow-map"],
        settings=quiet,
        progress=lambda text: None,
    )
    workflow, mapped = results["cases"]
    assert list(workflow["variants"]) == ["llmkit", "llmkit-agents"]
    for variant in workflow["variants"].values():
        assert variant["status"] == "ok", variant
        assert variant["measure"]["runs"] == 1 + 2 * 1  # 3 calls per repetition: one run
        assert set(variant["concurrency"]["levels"]) == {"1"}
    assert (mapped["calls"], mapped["steps"]) == (0, 1000)
    for variant in mapped["variants"].values():
        assert variant["status"] == "ok", variant
        assert variant["measure"]["runs"] == 1 + 2 * TINY.runs(find("workflow-map"))
        assert "concurrency" not in variant  # no throughput runs without model calls
    text = markdown(results)
    assert "## Workflow overhead per step" in text
    assert "| workflow | 3 | llmkit-agents |" in text
    assert "| workflow-map | 1000 | floor |" in text
    assert "| workflow: the runner adds <= 15 us of client CPU per run over llmkit-agents |" in text

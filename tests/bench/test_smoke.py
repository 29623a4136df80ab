"""The whole driver on one tiny case: server process, worker processes, report files."""

from __future__ import annotations

import json
from pathlib import Path

from bench._cli import Settings, run_benchmarks, write_results

TINY = Settings(quick=True, warmup=1, reps=2, calls_per_rep=3, levels=(1, 4), import_samples=1)


def test_a_tiny_run_measures_floor_and_llmkit_and_writes_the_report(tmp_path: Path) -> None:
    messages: list[str] = []
    results = run_benchmarks(
        ["generate:floor-httpx2", "generate:llmkit", "workflow"],
        settings=TINY,
        progress=messages.append,
    )
    generate, workflow = results["cases"]
    for name in ("floor-httpx2", "llmkit"):
        variant = generate["variants"][name]
        assert variant["status"] == "ok", variant
        assert variant["measure"]["runs"] == 1 + 2 * 3
        assert variant["measure"]["cpu_ms"] > 0
        levels = variant["concurrency"]["levels"]
        assert set(levels) == {"1", "4"} and levels["4"]["errors"] == 0
    assert "floor-httpx" not in generate["variants"]
    assert {v["status"] for v in workflow["variants"].values()} == {"unavailable"}
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

"""The fresh-process probe: what it times, how a loop-bound runner is rebuilt, failures."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from bench import _probe
from bench._cases import CASES, Variant, find
from bench._fresh import first_runs, new_loops, summary
from bench._responder import respond
from llmkit.testing import FakeProviderServer


@pytest.fixture(scope="module")
def server() -> Iterator[FakeProviderServer]:
    with FakeProviderServer(respond) as running:
        yield running


class Runner:
    """Notes every runner built, run and closed (the probe's runners are classes)."""

    events: ClassVar[list[str]]
    LOOP_BOUND = True

    def __init__(self, url: str, **options: Any) -> None:
        self.events.append(f"build {url}")

    async def run(self) -> None:
        self.events.append("run")

    async def aclose(self) -> None:
        self.events.append("close")


@pytest.fixture
def runners(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    module = types.ModuleType("bench_probe_runners")

    class Bound(Runner):
        events: ClassVar[list[str]] = []

    class Shared(Runner):
        events: ClassVar[list[str]] = []
        LOOP_BOUND = False

    module.Bound, module.Shared = Bound, Shared  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    return module


def spec(mode: str, runner: str, **fields: Any) -> dict[str, Any]:
    return {"mode": mode, "label": "t", "runner": runner, "imports": "", "url": "u", **fields}


def test_the_probe_builds_a_loop_bound_runner_in_each_loop(runners: types.ModuleType) -> None:
    result = _probe.loops(spec("loops", "bench_probe_runners:Bound", calls=3))
    assert runners.Bound.events == ["build u", "run", "close"] * 3
    assert len(result["wall_ms"]) == len(result["cpu_ms"]) == 3


def test_the_probe_builds_a_shared_runner_once_outside_the_loops(
    runners: types.ModuleType,
) -> None:
    _probe.loops(spec("loops", "bench_probe_runners:Shared", calls=3))
    assert runners.Shared.events == ["build u", "run", "run", "run", "close"]


def test_the_probe_times_imports_and_the_first_run_and_says_when_it_has_a_result(
    runners: types.ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    result = _probe.first(spec("first", "bench_probe_runners:Bound", imports="import json"))
    assert runners.Bound.events == ["build u", "run", "close"]
    assert capsys.readouterr().out == _probe.FIRST_LINE + "\n"
    assert result["script_ms"] >= result["first_ms"] > 0
    assert result["process_cpu_ms"] >= result["first_cpu_ms"]


def test_the_probe_counts_what_the_first_run_loaded(
    runners: types.ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bench_probe_loaded.py").write_text("VALUE = 1\n" * 200)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "bench_probe_loaded", raising=False)

    async def run(self: Runner) -> None:
        import bench_probe_loaded  # noqa: F401

    monkeypatch.setattr(runners.Bound, "run", run)
    result = _probe.first(spec("first", "bench_probe_runners:Bound"))
    assert (result["first_modules"], result["first_modules_llmkit"]) == (1, 0)
    assert result["first_modules_kib"] > result["first_modules_llmkit_kib"] == 0
    monkeypatch.delitem(sys.modules, "bench_probe_loaded")


def test_the_modules_a_run_loaded_are_counted_with_llmkit_s_apart() -> None:
    loaded = _probe.loaded_by_the_run({"json"}, {"json", "llmkit", "llmkit.agent", "os"})
    assert (loaded["first_modules"], loaded["first_modules_llmkit"]) == (3, 2)
    assert loaded["first_modules_kib"] > loaded["first_modules_llmkit_kib"] > 0


def test_floors_are_built_per_event_loop_and_llmkit_is_built_once() -> None:
    # A floor's client belongs to the loop it was built in; an agent serves any loop.
    for case in CASES:
        for variant in case.variants:
            runner = _probe.runner_class({"runner": variant.runner})
            assert runner.LOOP_BOUND is variant.name.startswith("floor-"), variant.runner


def test_fresh_processes_time_the_cold_start_and_the_first_run(server: FakeProviderServer) -> None:
    server.reset()
    server.script(respond)
    floor = find("generate").variant("floor-httpx2")
    result = first_runs(floor, server.url, samples=2)
    assert result["status"] == "ok" and result["samples"] == 2
    assert result["cold_ms"]["median"] > result["script_ms"]["median"]
    assert result["script_ms"]["median"] > result["first_ms"]["median"] > 0
    assert result["first_modules"] > result["first_modules_llmkit"] == 0
    # A warm-up process, then the two samples: every one made its call.
    assert len(server.requests) == 3


def test_a_process_makes_each_call_in_a_new_event_loop(server: FakeProviderServer) -> None:
    server.reset()
    server.script(respond)
    result = new_loops(find("generate").variant("floor-aiohttp"), server.url, calls=3)
    assert result["status"] == "ok" and result["calls"] == 3
    assert result["later_ms"]["median"] > 0 and result["first_ms"] > 0
    assert len(server.requests) == 3


def test_a_probe_that_fails_says_why(server: FakeProviderServer) -> None:
    broken = Variant("broken", "bench._floor:NoSuchRunner", imports="import json")
    first = first_runs(broken, server.url, samples=1)
    assert first["status"] == "failed" and "NoSuchRunner" in first["reason"]
    loops = new_loops(broken, server.url, calls=2)
    assert loops["status"] == "failed" and "NoSuchRunner" in loops["reason"]


def test_summary() -> None:
    assert summary([3.0, 1.0, 2.0]) == {"median": 2.0, "min": 1.0, "max": 3.0}

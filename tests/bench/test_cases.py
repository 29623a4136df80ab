"""Choosing cases and variants by name, and the command line around it."""

from __future__ import annotations

import pytest

from bench._cases import (
    AIOHTTP_FLOOR,
    CASES,
    FLOOR,
    FLOORS,
    LLMKIT,
    LLMKIT_AGENTS,
    LOCAL_FLOOR,
    find,
    select,
)
from bench._cli import FULL, QUICK, main, plan_work


def test_no_names_select_every_case_and_variant() -> None:
    chosen = select([])
    assert [case.name for case, _ in chosen] == [case.name for case in CASES]
    assert all(len(variants) == len(case.variants) for case, variants in chosen)


def test_names_select_cases_and_variants_in_report_order() -> None:
    chosen = select(["stream:llmkit", "generate", "stream:floor-httpx2"])
    assert [(c.name, [v.name for v in vs]) for c, vs in chosen] == [
        ("generate", [FLOOR, AIOHTTP_FLOOR, "floor-httpx", LLMKIT]),
        ("stream", [FLOOR, LLMKIT]),
    ]


def test_unknown_case_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="unknown case 'nope'; known cases: generate, stream"):
        select(["nope"])


def test_unknown_variant_names_the_case_variants() -> None:
    with pytest.raises(KeyError, match="no variant 'fast'; its variants: floor-httpx2"):
        select(["agent:fast"])


def test_every_case_has_both_floors_and_llmkit_and_says_what_a_program_imports() -> None:
    # The batch case compares two llmkit paths (batch against gather by hand): no raw floor.
    by_hand = [c.name for c in CASES if c.calls and not {*FLOORS} & {v.name for v in c.variants}]
    assert by_hand == ["batch"]
    for case in CASES:
        if not case.calls or case.name in by_hand:
            continue
        names = [v.name for v in case.variants]
        assert {*FLOORS, LLMKIT} <= set(names), case.name
        for name in (*FLOORS, LLMKIT):
            assert case.variant(name).imports, (case.name, name)
    agent = next(c for c in CASES if c.name == "agent")
    assert agent.variant(AIOHTTP_FLOOR).imports == "import aiohttp, orjson"
    assert agent.variant(LLMKIT).imports == "from llmkit import Agent, tool"


def test_settings_scale_runs_by_model_calls_per_run() -> None:
    generate, agent = CASES[0], next(c for c in CASES if c.name == "agent")
    assert FULL.runs(agent) * 2 == FULL.runs(generate)
    # A process that ran the full agent case ran at least the 500 runs the RSS target names.
    assert FULL.warmup + FULL.reps * FULL.runs(agent) >= 500
    assert QUICK.level_runs(agent, 1000) == 1000  # every one of the 1,000 tasks runs once


def test_list_names_every_case(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list"]) == 0
    out = capsys.readouterr().out
    for case in CASES:
        assert case.name in out
    for extra in ("imports", "startup", "loops", "pool"):
        assert extra in out


def test_unknown_case_on_the_command_line_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nope"]) == 2
    assert "unknown case 'nope'" in capsys.readouterr().err


def test_profile_without_a_case_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--profile"]) == 2
    assert "--profile needs a case" in capsys.readouterr().err


def test_no_names_plan_everything_and_quick_mode_leaves_out_the_pool_study() -> None:
    cases, extras = plan_work([], FULL)
    assert len(cases) == len(CASES)
    assert extras == {"imports", "startup", "loops", "pool", "vectors", "serve"}
    assert plan_work([], QUICK)[1] == {"imports", "startup", "loops", "vectors", "serve"}
    assert plan_work(["vectors-large"], QUICK) == ([], {"vectors-large"})


def test_naming_only_extras_runs_no_case_and_naming_pool_runs_it_in_quick_mode() -> None:
    assert plan_work(["pool"], QUICK) == ([], {"pool"})
    cases, extras = plan_work(["imports", "agent:llmkit"], FULL)
    assert [(c.name, [v.name for v in vs]) for c, vs in cases] == [("agent", [LLMKIT])]
    assert extras == {"imports"}


def test_a_case_without_model_calls_has_a_plain_floor_its_own_runs_and_no_throughput_runs() -> None:
    local = [case for case in CASES if not case.calls]
    assert [case.name for case in local] == ["workflow-parallel", "workflow-map", "checkpoint"]
    for case in local:
        assert [v.name for v in case.variants][:2] == [LOCAL_FLOOR, LLMKIT]
        assert case.runs > 0 and not case.concurrency and case.target is None
        assert FULL.runs(case) == case.runs
        assert 1 <= QUICK.runs(case) < case.runs
    assert (find("workflow-parallel").steps, find("workflow-map").steps) == (100, 1000)
    # Cases with model calls keep their runs from the calls per repetition.
    assert find("generate").concurrency and FULL.runs(find("generate")) == FULL.calls_per_rep


def test_the_batch_case_runs_1000_agents_by_batch_and_by_gather() -> None:
    case = find("batch")
    assert (case.calls, case.steps, case.concurrency) == (2000, 1000, False)
    assert [v.runner for v in case.variants] == [
        "bench._batch:LLMKitGatherAgents",
        "bench._batch:LLMKitBatch",
    ]
    assert QUICK.runs(case) == FULL.runs(case) == 1


def test_the_workflow_case_separates_the_agents_from_the_runner() -> None:
    case = find("workflow")
    assert case.target == 1.1 and case.steps == 3 and case.calls == 3
    agents = case.variant(LLMKIT_AGENTS)
    assert agents.runner == "bench._llmkit_side:LLMKitThreeAgents"
    assert [v.name for v in case.variants][-1] == LLMKIT_AGENTS

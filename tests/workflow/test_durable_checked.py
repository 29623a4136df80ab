"""A durable workflow's checkpoints reach a SQL store already checked: what the store writes
must equal what its public ``checkpoint`` writes, and a value with no JSON form must still be
refused (naming it) before anything is written."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from llmkit.durable import NotStorableError, SQLiteStore
from llmkit.durable._store import JSON, Claim
from llmkit.types import Usage
from llmkit.workflow import StepContext, sequence, step

pytestmark = pytest.mark.anyio


class Seen(SQLiteStore):
    """A store whose own ``checkpoint`` sees every checkpoint (the public path)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.keys: list[str] = []

    async def checkpoint(
        self, claim: Claim, put: Any = None, **options: Any
    ) -> None:  # the public path, checks included
        self.keys += list(put or {})
        await super().checkpoint(claim, put, **options)


class Point(BaseModel):
    x: float
    label: str = ""


def _flow() -> Any:
    def spend(text: str, context: StepContext) -> str:
        context.add_usage(Usage(input_tokens=3, output_tokens=4, requests=1, cost=0.5))
        return text + "!"

    return sequence(
        step(lambda s: [1, 2.5, {"k": (1, 2)}], name="a", output="a"),
        step(spend, input="t", output="t"),
        step(lambda s: Point(x=1.5, label="p"), name="m", output="m"),
        step(lambda s: s["log"].append("in place"), name="c"),
        name="f",
    )


def _without_timings(stored: dict[str, JSON]) -> dict[str, JSON]:
    out: dict[str, JSON] = {}
    for key, value in stored.items():
        if isinstance(value, dict) and "duration" in value:
            value = {k: v for k, v in value.items() if k != "duration"}
        out[key] = value
    return out


async def test_the_checked_path_stores_what_the_public_path_stores(tmp_path: Path) -> None:
    plain = SQLiteStore(tmp_path / "plain.db")
    seen = Seen(tmp_path / "seen.db")
    try:
        first = await _flow().run({"t": "hi", "log": []}, store=plain, run_id="r")
        second = await _flow().run({"t": "hi", "log": []}, store=seen, run_id="r")
        steps = ["step:f/a", "step:f/spend", "step:f/m", "step:f/c"]
        assert seen.keys == [key for step_key in steps for key in (step_key, "state")]
        assert first.state == second.state
        one = _without_timings(await plain.load_checkpoints("r"))
        two = _without_timings(await seen.load_checkpoints("r"))
        assert one == two
        assert one["state"] == {
            "a": [1, 2.5, {"k": [1, 2]}],
            "t": "hi!",
            "m": {"$model": f"{__name__}:Point", "data": {"x": 1.5, "label": "p"}},
            "log": ["in place"],
        }
        info_one, info_two = await plain.get_run("r"), await seen.get_run("r")
        assert info_one is not None and info_two is not None
        assert info_one.steps == info_two.steps == 4
        assert info_one.usage == info_two.usage
        assert info_one.usage["requests"] == 1 and info_one.usage["cost"] == 0.5
    finally:
        await plain.close()
        await seen.close()


async def _refused(tmp_path: Path, flow: Any, state: Any, match: str) -> dict[str, JSON]:
    store = SQLiteStore(tmp_path / "runs.db")
    try:
        with pytest.raises(NotStorableError, match=match):
            await flow.run(state, store=store, run_id="r")
        return await store.load_checkpoints("r")
    finally:
        await store.close()


async def test_a_model_output_holding_a_nan_is_refused_naming_it(tmp_path: Path) -> None:
    flow = sequence(
        step(lambda s: 1, name="ok", output="n"),
        step(lambda s: Point(x=math.nan), name="bad", output="p"),
        name="f",
    )
    stored = await _refused(tmp_path, flow, {}, r"Step 'f/bad' cannot be checkpointed: state.p")
    assert sorted(stored) == ["state", "step:f/ok"] and stored["state"] == {"n": 1}


class Model(BaseModel):
    x: float = 0.0


async def test_a_model_state_field_set_to_nan_is_refused_naming_it(tmp_path: Path) -> None:
    def bad(state: Model) -> float:
        return math.inf

    flow = sequence(step(bad, output="x"), name="f")
    stored = await _refused(tmp_path, flow, Model(), r"Step 'f/bad' cannot be checkpointed")
    assert stored == {}


async def test_a_usage_whose_cost_is_nan_is_refused(tmp_path: Path) -> None:
    def spend(state: Any, context: StepContext) -> int:
        context.add_usage(Usage(requests=1, cost=math.nan))
        return 1

    flow = sequence(step(spend, output="n"), name="f")
    stored = await _refused(tmp_path, flow, {}, r"step 'f/spend''s usage")
    assert stored == {}


async def test_a_clock_giving_no_finite_time_is_refused(tmp_path: Path) -> None:
    flow = sequence(step(lambda s: 1, name="a", output="n"), name="f")
    store = SQLiteStore(tmp_path / "runs.db")
    ticks = iter([0.0, 0.0, 0.0, math.inf] + [math.inf] * 20)
    try:
        with pytest.raises(NotStorableError, match="duration"):
            await flow.run({}, store=store, run_id="r", clock=lambda: next(ticks))
        assert await store.load_checkpoints("r") == {}
    finally:
        await store.close()

"""Sequences: order, output, writes kept when a later step fails."""

from __future__ import annotations

from typing import Any

import pytest

from llmkit.errors import WorkflowError
from llmkit.workflow import sequence, step

pytestmark = pytest.mark.anyio


async def test_steps_run_in_order_on_one_state_and_the_last_output_is_the_sequences() -> None:
    order: list[str] = []

    def a(state: dict[str, Any]) -> int:
        order.append("a")
        return 1

    def b(state: dict[str, Any]) -> int:
        order.append("b")
        return state["x"] + 1

    result = await sequence(step(a, output="x"), step(b, output="y"), name="s").run({})
    assert order == ["a", "b"]
    assert result.state == {"x": 1, "y": 2} and result.output == 2


async def test_a_sequence_with_output_writes_its_last_output() -> None:
    inner = sequence(step(lambda s: 3, name="three"), name="inner", output="got")
    result = await sequence(inner, name="outer").run({})
    assert result.state == {"got": 3}


async def test_a_failing_step_stops_the_sequence_and_keeps_earlier_writes() -> None:
    ran: list[str] = []

    def boom(state: dict[str, Any]) -> None:
        raise KeyError("missing")

    flow = sequence(
        step(lambda s: 1, name="one", output="one"),
        step(boom),
        step(lambda s: ran.append("three"), name="three"),
        name="s",
    )
    with pytest.raises(WorkflowError) as info:
        await flow.run({})
    assert info.value.state == {"one": 1} and ran == []
    assert [r.path for r in info.value.trace] == ["s", "s/one", "s/boom"]
    assert isinstance(info.value.__cause__, KeyError)


async def test_a_sequence_with_input_works_on_its_own_state() -> None:
    inner = sequence(
        step(lambda s: s["n"] + 1, name="inc", output="n"),
        input=lambda s: {"n": s["start"]},
        output="end",
        name="inner",
    )
    result = await sequence(inner, name="outer").run({"start": 1})
    assert result.state == {"start": 1, "end": 2}

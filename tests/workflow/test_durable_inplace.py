"""Durable workflow runs record what a step changed in the state in place, and encode no more
of the state than that check needs."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from llmkit.durable import MemoryStore
from llmkit.errors import WorkflowError
from llmkit.workflow import _durable_values, sequence, step

pytestmark = pytest.mark.anyio


class Crash(Exception):
    """What the last step raises once, to stop a run the way a crash would."""


class Notes(BaseModel):
    """A model state with a list a step appends to."""

    items: list[str] = []
    title: str = ""


def _crash_once() -> Any:
    """A last step that crashes on its second call (the straight run is the first)."""
    calls: list[int] = []

    def last(s: Any) -> str:
        calls.append(1)
        if len(calls) == 2:
            raise Crash("down")
        return "done"

    return last


async def _straight_and_resumed(flow: Any, first: Any) -> tuple[Any, Any]:
    """From ``first()``, the state of an uninterrupted run, and of a run crashed at its last step and resumed."""
    straight = await flow.run(first(), store=MemoryStore())
    store = MemoryStore()
    with pytest.raises(WorkflowError, match="down"):
        await flow.run(first(), store=store, run_id="r")
    resumed = await flow.resume("r", store=store)
    return straight.state, resumed.state


async def test_fields_rebound_or_changed_inside_without_a_write_are_resumed() -> None:
    def change(s: dict[str, Any]) -> None:
        s["name"] = "".join(["b", "ob"])  # a new str, not the one the state held
        s["pair"] = (1, 2)
        s["deep"]["list"].append(3)

    def first() -> dict[str, Any]:
        return {"name": "ann", "pair": (1,), "deep": {"list": [1]}}

    flow = sequence(step(change), step(_crash_once(), output="status"), name="f")
    straight, resumed = await _straight_and_resumed(flow, first)
    assert straight == {
        "name": "bob",
        "pair": (1, 2),
        "deep": {"list": [1, 3]},
        "status": "done",
    }
    assert resumed == {**straight, "pair": [1, 2]}  # a tuple comes back as a list


async def test_a_step_that_writes_one_field_and_appends_to_another_is_resumed() -> None:
    def both(s: dict[str, Any]) -> str:
        s["log"].append("x")
        return "written"

    flow = sequence(step(both, output="out"), step(_crash_once(), output="status"), name="f")
    straight, resumed = await _straight_and_resumed(flow, lambda: {"log": []})
    assert straight == {"log": ["x"], "out": "written", "status": "done"}
    assert resumed == straight


async def test_a_model_state_changed_in_place_is_resumed() -> None:
    def add(s: Notes) -> None:
        s.items.append("a")

    flow = sequence(step(add), step(_crash_once(), output="title"), name="f")
    straight, resumed = await _straight_and_resumed(flow, Notes)
    assert straight == Notes(items=["a"], title="done")
    assert resumed == straight


async def test_fields_that_cannot_change_in_place_are_not_encoded_for_the_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts: list[str] = []

    def counted(value: Any) -> str:
        texts.append(value)
        return dumps(value)

    dumps = _durable_values.dumps
    monkeypatch.setattr(_durable_values, "dumps", counted)
    flow = sequence(
        step(lambda s: s["text"] + "!", output="text", name="a"),
        step(lambda s: None, name="b"),
        step(lambda s: s["text"] + "?", output="text", name="c"),
        name="f",
    )
    result = await flow.run({"text": "hi", "n": 1, "pair": ("a", 2)}, store=MemoryStore())
    assert result.state == {"text": "hi!?", "n": 1, "pair": ("a", 2)}
    assert texts == []

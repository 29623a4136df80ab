"""The definition's fingerprint, the refusal of a changed flow on resume, and the stored forms of values."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest
from pydantic import BaseModel

from llmkit.durable import MemoryStore, NotStorableError, StoreFormatError, WorkflowChangedError
from llmkit.errors import WorkflowError
from llmkit.workflow import Retry, branch, loop, parallel, sequence, step, when
from llmkit.workflow._durable_values import decode, encode
from llmkit.workflow._fingerprint import fingerprint

pytestmark = pytest.mark.anyio


def draft(state: Any) -> str:
    return "draft"


def review(state: Any) -> str:
    return "ok"


def build(**changes: Any) -> Any:
    options = {"retry": None, "name": "review", "until": "n >= 2", "second": review}
    options.update(changes)
    return sequence(
        step(draft, output="text", retry=options["retry"]),
        parallel(review, options["second"], output="reviews"),
        branch(when("n > 1", step(draft, name="again", output="text"))),
        loop(
            step(lambda s: {"n": s["n"] + 1}, name="count"),
            until=options["until"],
            max_iterations=3,
        ),
        name=options["name"],
    )


def test_the_same_definition_gives_the_same_fingerprint_in_another_process() -> None:
    code = textwrap.dedent(
        """
        import sys
        sys.path.insert(0, "tests/workflow")
        from test_durable_fingerprint import build
        from llmkit.workflow._fingerprint import fingerprint
        print(fingerprint(build().node))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == fingerprint(build().node)
    assert fingerprint(build().node) == fingerprint(build().node)


@pytest.mark.parametrize(
    "change",
    [
        {"name": "other"},
        {"retry": Retry(attempts=2)},
        {"until": "n >= 3"},
        {"second": draft},
    ],
)
def test_a_changed_name_policy_predicate_or_step_changes_the_fingerprint(
    change: dict[str, Any],
) -> None:
    assert fingerprint(build(**change).node) != fingerprint(build().node)


def test_a_changed_function_body_keeps_the_fingerprint() -> None:
    def first(state: Any) -> str:
        return "one"

    one = sequence(step(first, output="x"), name="f")

    def first(state: Any) -> str:  # type: ignore[no-redef]  # the same step, its body fixed
        return "two"

    two = sequence(step(first, output="x"), name="f")
    assert fingerprint(one.node) == fingerprint(two.node)


async def test_a_resume_with_a_changed_definition_is_refused_unless_allowed() -> None:
    crash = {"on": True}

    def last(state: Any) -> str:
        if crash["on"]:
            raise RuntimeError("crash")
        return "last"

    before = sequence(step(draft, output="text"), step(last, output="last"), name="f")
    store = MemoryStore()
    with pytest.raises(WorkflowError):
        await before.run({}, store=store, run_id="r")
    crash["on"] = False
    after = sequence(
        step(draft, output="text"),
        step(review, output="review"),
        step(last, output="last"),
        name="f",
    )
    with pytest.raises(WorkflowChangedError, match="changed since run 'r' was checkpointed"):
        await after.resume("r", store=store)
    info = await store.get_run("r")
    assert info is not None and info.status == "failed" and info.holder is None  # not claimed
    result = await after.resume("r", store=store, allow_changed=True)
    assert result.state == {"text": "draft", "review": "ok", "last": "last"}
    assert [r.resumed for r in result.trace] == [False, True, False, False]


class Note(BaseModel):
    text: str
    tags: list[str] = []


def test_values_round_trip_through_their_stored_form() -> None:
    value = {
        "note": Note(text="hi", tags=["a"]),
        "notes": [Note(text="x")],
        "$model": "not a model",
        "plain": {"a": [1, 2.5, None, True]},
    }
    stored = encode(value, "state")
    assert decode(stored) == value
    assert decode(encode(("a", 1), "x")) == ["a", 1]


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ({"when": {1, 2}}, r"state\['when'\] is a set"),
        ({"x": float("nan")}, r"state\['x'\] is nan"),
        ({1: "a"}, "has the key 1"),
    ],
)
def test_a_value_with_no_json_form_is_named(value: Any, named: str) -> None:
    with pytest.raises(NotStorableError, match=named):
        encode(value, "state")


class ScriptNote(BaseModel):
    text: str


def test_a_model_stored_by_a_script_comes_back_from_an_import_of_it() -> None:
    stored = {"$model": "__main__:ScriptNote", "data": {"text": "hi"}}
    assert decode(stored) == ScriptNote(text="hi")
    with pytest.raises(StoreFormatError, match="not imported here"):
        decode({"$model": "__main__:NoSuchNote", "data": {}})

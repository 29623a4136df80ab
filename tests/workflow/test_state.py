"""The state adapters: writes, merges, validation messages, copies, and branch scopes."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError, field_validator, model_validator

from llmkit.errors import StateValidationError, StepInputError, UsageError
from llmkit.workflow._state import Scope, adapter_for, adapter_of, initial_state


class Article(BaseModel):
    topic: str
    notes: str = ""
    reviews: list[str] = []
    score: float = 0.0
    draft: str = ""
    approved: bool = False


class Bounded(BaseModel):
    low: int = 0
    high: int = 10

    @field_validator("low")
    @classmethod
    def not_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError("low may not be negative")
        return value

    @model_validator(mode="after")
    def ordered(self) -> Bounded:
        if self.low > self.high:
            raise ValueError("low must not pass high")
        return self


class Review(BaseModel):
    notes: str
    scroe: float


def test_a_write_to_a_model_is_validated_and_coerced() -> None:
    state = Article(topic="tides")
    adapter_for(state).write(state, "score", "0.7", path="article/score")
    assert state.score == 0.7
    assert "score" in state.model_fields_set


def test_invalid_write_names_step_and_field() -> None:
    state = Article(topic="tides", notes="from the researcher")
    with pytest.raises(StateValidationError) as info:
        adapter_for(state).write(state, "score", "high", path="article/score")
    error = info.value
    assert str(error).startswith("Step 'article/score' wrote an invalid value to 'score': ")
    assert "valid number" in str(error)
    assert isinstance(error.__cause__, ValidationError)
    assert error.path == "article/score"
    assert state.score == 0.0  # the field keeps its old value
    assert state.notes == "from the researcher"


def test_a_model_validator_failing_after_the_write_restores_the_field() -> None:
    state = Bounded(low=2, high=5)
    adapter = adapter_for(state)
    with pytest.raises(
        StateValidationError, match="wrote an invalid value to 'low'.*must not pass"
    ):
        adapter.write(state, "low", 7, path="f/low")
    assert state.low == 2
    assert state.model_fields_set == {"low", "high"}
    with pytest.raises(StateValidationError, match="may not be negative"):
        adapter.write(state, "low", -1, path="f/low")
    assert state.low == 2


def test_a_write_to_a_missing_field_lists_the_fields() -> None:
    state = Article(topic="tides")
    with pytest.raises(StateValidationError) as info:
        adapter_for(state).write(state, "scroe", 0.5, path="article/score")
    assert str(info.value) == (
        "Step 'article/score' writes 'scroe', which Article does not have (its fields: "
        "approved, draft, notes, reviews, score, topic)."
    )


def test_a_dict_state_takes_any_key() -> None:
    state: dict[str, object] = {"topic": "tides"}
    adapter = adapter_for(state)
    adapter.write(state, "anything", [1, 2], path="f/x")
    assert state == {"topic": "tides", "anything": [1, 2]}
    assert adapter.fields is None
    assert adapter.view(state) is state


def test_merged_output_with_unknown_field() -> None:
    state = Article(topic="tides")
    merged = Review(notes="good", scroe=0.9)
    with pytest.raises(StateValidationError, match="writes 'scroe', which Article does not have"):
        adapter_for(state).merge(state, merged, path="article/review")
    assert state.notes == "good"  # the fields before the bad one stay written


def test_a_mapping_output_merges_in_its_order_and_other_outputs_do_not() -> None:
    state = Article(topic="tides")
    adapter = adapter_for(state)
    assert adapter.merge(state, {"draft": "text", "score": "0.5"}, path="a/b")
    assert (state.draft, state.score) == ("text", 0.5)
    assert not adapter.merge(state, "plain text", path="a/b")
    assert not adapter.merge(state, ["a", "list"], path="a/b")
    with pytest.raises(StateValidationError, match="key 3; state fields are names"):
        adapter.merge(state, {3: "x"}, path="a/b")


def test_copies_are_shallow_and_leave_the_original_alone() -> None:
    original = Article(topic="tides", reviews=["one"])
    state = initial_state(original, what="Workflow.run()")
    assert state == original and state is not original
    adapter_for(state).write(state, "topic", "waves", path="a")
    assert original.topic == "tides"
    given = {"topic": "tides"}
    copied = initial_state(given, what="Workflow.run()")
    copied["topic"] = "waves"
    assert given == {"topic": "tides"}
    assert initial_state(None, what="Workflow.run()") == {}


def test_initial_state_validates_a_dict_into_the_declared_model() -> None:
    state = initial_state({"topic": "tides", "score": "0.25"}, Article, what="Workflow.run()")
    assert state == Article(topic="tides", score=0.25)
    with pytest.raises(StepInputError, match="does not fit Article: Field required"):
        initial_state({"score": 1}, Article, what="Workflow.run()")
    with pytest.raises(StepInputError, match="takes a Article .*not a Bounded"):
        initial_state(Bounded(), Article, what="Workflow.run()")


def test_state_must_be_a_model_or_a_dict() -> None:
    with pytest.raises(
        UsageError,
        match=r"Workflow.run\(\) takes a pydantic model or a dict as the state, not list",
    ):
        initial_state(["topic"], what="Workflow.run()")


def test_branch_scopes_copy_only_when_they_write_and_replay_in_order() -> None:
    parent = Scope(Article(topic="tides"), adapter_of(Article))
    reader = parent.branch(writes=False)
    assert reader.state is parent.state and reader.log is None
    first = parent.branch(writes=True)
    second = parent.branch(writes=True)
    first.write("notes", "from first", path="p[0]/a")
    second.write("notes", "from second", path="p[1]/b")
    second.write("score", 0.5, path="p[1]/b")
    assert parent.state.notes == "" and first.state.notes == "from first"
    for branch in (first, second):
        assert branch.log is not None
        parent.replay(branch.log)
    assert (parent.state.notes, parent.state.score) == ("from second", 0.5)
    assert first.log == [("notes", "from first", "p[0]/a")]


def test_a_scope_merges_a_structured_output_and_logs_it() -> None:
    scope = Scope(Article(topic="tides"), adapter_of(Article), [])
    assert scope.merge_output({"draft": "d", "approved": True}, path="a/w")
    assert scope.log == [("draft", "d", "a/w"), ("approved", True, "a/w")]
    assert not scope.merge_output(42, path="a/w")


def test_isolated_scopes_take_a_dict_or_a_model() -> None:
    scope = Scope({"item": {"topic": "x"}}, adapter_of(None))
    inner = scope.isolated({"topic": "x"}, Article, what="input= of a/b")
    assert inner.state == Article(topic="x") and inner.adapter.model is Article
    with pytest.raises(StepInputError, match="input= of a/b gave a str, not a dict or a model"):
        scope.isolated("text", None, what="input= of a/b")


def test_json_forms() -> None:
    adapter = adapter_of(Article)
    state = Article(topic="tides", score=0.5)
    data = adapter.to_json(state)
    assert data["score"] == 0.5
    assert adapter.from_json(data) == state
    dicts = adapter_of(None)
    marker = object()
    assert dicts.to_json({"a": marker})["a"] == repr(marker)
    assert dicts.from_json({"a": 1}) == {"a": 1}

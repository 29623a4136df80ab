"""Readers of the state: safe expressions, refusals before anything runs, the field-name check."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from llmkit.errors import PredicateError, StepInputError, UsageError, WorkflowDefinitionError
from llmkit.tools.builtin import Refused
from llmkit.workflow._predicate import expression
from llmkit.workflow._state import adapter_for


class Article(BaseModel):
    topic: str = "tides"
    score: float = 0.0
    approved: bool = False
    meta: dict[str, Any] = {}
    reviews: list[str] = []


def _value(text: str, state: Any) -> Any:
    return expression(text, role="when").evaluate(state, adapter_for(state), path="a/branch")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("score < 0.8", True),
        ("score >= 0.8 or approved", False),
        ("not approved and topic == 'tides'", True),
        ("len(reviews) == 2", True),
        ("'good' in reviews", True),
        ("meta.lang == 'en'", True),
        ("meta['lang']", "en"),
        ("reviews[1]", "bad"),
        ("upper(topic)", "TIDES"),
        ("round(score + 0.26, 1)", 0.8),
        ("'yes' if score > 0.1 else 'no'", "yes"),
        ("min(score, 1) + max(1, 2)", 2.5),
        ("str(len(topic)) + '!'", "5!"),
        ("approved == false", True),
    ],
)
def test_expressions_read_the_state(text: str, expected: Any) -> None:
    state = Article(score=0.5, meta={"lang": "en"}, reviews=["good", "bad"])
    assert _value(text, state) == expected
    assert _value(text, state.model_dump()) == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (
            "__import__('os').system('x')",
            "__import__(...) is not an allowed function (known: abs, len,",
        ),
        ("().__class__", "'.__class__' is not allowed"),
        ("[x for x in y]", "a comprehension is not allowed"),
        ("lambda: 1", "a lambda is not allowed"),
        ("open('f')", "open(...) is not an allowed function"),
        ("a._b", "'._b' is not allowed"),
        ("reviews[0:2]", "a slice is not allowed"),
        ("len(x=reviews)", "len(...) is not an allowed function"),
        ("score < ", "cannot read the expression"),
        ("x" * 1001, "more than 1000"),
    ],
)
def test_unsafe_expressions_are_refused_before_anything_runs(text: str, why: str) -> None:
    with pytest.raises(WorkflowDefinitionError) as info:
        expression(text, role="when")
    message = str(info.value)
    assert message.startswith(f"the predicate {text!r} is not allowed: ")
    assert why in message


def test_a_refused_input_names_its_option() -> None:
    with pytest.raises(WorkflowDefinitionError, match=r"^input= 'open\(1\)' is not allowed: "):
        expression("open(1)", role="input")


def test_names_are_checked_against_a_typed_state() -> None:
    reader = expression("scroe < 0.8 and len(reviews) > 0", role="when")
    assert reader.names == {"scroe", "reviews"}
    reader.check_fields(None, path="a/branch")  # untyped: checked when evaluated
    with pytest.raises(WorkflowDefinitionError) as info:
        reader.check_fields(frozenset(Article.model_fields), path="article/branch")
    assert str(info.value) == (
        "Predicate 'scroe < 0.8 and len(reviews) > 0' of article/branch names 'scroe', which the "
        "state does not have (its fields: approved, meta, reviews, score, topic)."
    )
    assert info.value.path == "article/branch"
    expression("upper(topic) == 'X' and true", role="when").check_fields(
        frozenset(Article.model_fields), path="a"
    )


def test_unknown_field_in_a_dict_state() -> None:
    state = {"approved": False, "score": 0.5, "topic": "tides"}
    with pytest.raises(PredicateError) as info:
        _value("scroe < 0.8", state)
    assert str(info.value) == (
        "Predicate 'scroe < 0.8' of a/branch names 'scroe', which the state does not have "
        "(it has: approved, score, topic)."
    )


def test_runtime_refusal_is_a_predicate_error() -> None:
    with pytest.raises(
        PredicateError, match=r"Predicate 'score / 0 > 1' of a/branch was refused"
    ) as info:
        _value("score / 0 > 1", Article())
    assert isinstance(info.value.__cause__, Refused)
    assert info.value.path == "a/branch"


def test_a_raising_function_reader() -> None:
    when = expression(lambda s: 1 / 0, role="until")
    with pytest.raises(
        PredicateError, match=r"Predicate '.*<lambda>' of a/loop raised ZeroDivisionError"
    ) as info:
        when.evaluate({}, adapter_for({}), path="a/loop")
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    over = expression(lambda s: s["missing"], role="over")
    with pytest.raises(StepInputError, match=r"over= .* of a/map raised KeyError"):
        over.evaluate({}, adapter_for({}), path="a/map")


def test_a_bare_field_is_read_directly() -> None:
    reader = expression("topic", role="input")
    assert reader.field == "topic" and reader.describe() == "topic"
    assert reader.evaluate(Article(topic="waves"), adapter_for(Article()), path="a") == "waves"
    assert expression("true", role="when").field is None


def test_describe_names_a_function() -> None:
    def is_ready(state: Any) -> bool:
        return True

    assert expression(is_ready, role="when").describe().endswith("is_ready")
    assert expression(is_ready, role="when").names == frozenset()


def test_a_reader_must_be_text_or_a_function() -> None:
    with pytest.raises(UsageError, match="takes a function of the state or an expression"):
        expression(3, role="when")  # type: ignore[arg-type]


class Text(BaseModel):
    text: str = ""


def test_a_bare_field_reads_the_same_on_every_kind_of_state() -> None:
    from collections import OrderedDict

    read = expression("text", role="input")
    plain = {"text": "hi", "n": 1}
    ordered = OrderedDict(plain)  # not a dict itself: the evaluator's general path
    model = Text(text="hi")
    for state in (plain, ordered, model):
        assert read.evaluate(state, adapter_for(state), path="f/s") == "hi"
    for state in ({"n": 1}, OrderedDict(n=1)):
        with pytest.raises(StepInputError, match="names 'text', which the state does not have"):
            read.evaluate(state, adapter_for(state), path="f/s")
    assert read.evaluate({"text": None}, adapter_for({}), path="f/s") is None

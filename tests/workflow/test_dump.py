"""Writing a workflow down: the canonical form, the names it uses, and what cannot be written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from llmkit import Agent
from llmkit.errors import RateLimitError, UsageError
from llmkit.testing import TestModel
from llmkit.workflow import (
    CircuitBreaker,
    Retry,
    branch,
    loop,
    map_each,
    parallel,
    sequence,
    step,
    when,
)

writer = Agent(TestModel(), name="writer")
critic = Agent(TestModel(), name="critic")


class Draft(BaseModel):
    topic: str = ""
    text: str = ""
    score: float = 0.0
    reviews: list[str] = []


class Custom(Exception):
    pass


def grade(state: Any) -> float:
    return 0.5


def test_the_canonical_form_leaves_defaults_out_and_keeps_the_schema_order() -> None:
    flow = sequence(
        step(writer, output="text", input="topic", timeout=5, retry=Retry(attempts=2)),
        parallel(critic, step(critic, name="second"), output="reviews", merge="all"),
        step(grade, output="score"),
        name="draft",
        state=Draft,
    )
    assert flow.dump() == (
        "llmkit_workflow: 1\n"
        "name: draft\n"
        "state: Draft\n"
        "steps:\n"
        "- agent: writer\n"
        "  input: topic\n"
        "  output: text\n"
        "  retry:\n"
        "    attempts: 2\n"
        "  timeout: 5.0\n"
        "- parallel:\n"
        "  - agent: critic\n"
        "  - agent: critic\n"
        "    name: second\n"
        "  output: reviews\n"
        "- function: grade\n"
        "  output: score\n"
    )
    assert flow.registry() == {"writer": writer, "critic": critic, "grade": grade, "Draft": Draft}


def test_a_root_of_another_kind_is_written_as_flow_with_its_options_at_the_top() -> None:
    flow = parallel(writer, critic, name="fan", merge="first", timeout=3, on_error="skip")
    assert flow.to_dict() == {
        "llmkit_workflow": 1,
        "name": "fan",
        "timeout": 3.0,
        "on_error": "skip",
        "flow": {"parallel": [{"agent": "writer"}, {"agent": "critic"}], "merge": "first"},
    }


def test_nested_workflows_with_a_name_go_under_workflows_once() -> None:
    review = sequence(critic, name="review")
    flow = sequence(
        step(review, retry=Retry(attempts=2)),
        step(review, name="again"),
        sequence(writer, name="inline"),
        name="top",
    )
    data = flow.to_dict()
    assert data["steps"] == [
        {"use": "review", "retry": {"attempts": 2}},
        {"use": "review", "name": "again"},
        {"sequence": [{"agent": "writer"}], "name": "inline"},
    ]
    assert data["workflows"] == {"review": {"sequence": [{"agent": "critic"}]}}


def test_breakers_are_written_once_by_key() -> None:
    breaker = CircuitBreaker("models", failure_threshold=2, on=(RateLimitError, Custom))
    flow = sequence(step(writer, breaker=breaker), step(critic, breaker=breaker), name="b")
    data = flow.to_dict()
    assert data["breakers"] == {
        "models": {"failure_threshold": 2, "on": ["RateLimitError", "Custom"]}
    }
    assert [s["breaker"] for s in data["steps"]] == ["models", "models"]
    assert flow.registry()["Custom"] is Custom and "RateLimitError" not in flow.registry()


def test_one_breaker_key_with_two_settings_is_refused() -> None:
    flow = sequence(
        step(writer, breaker=CircuitBreaker("models")),
        step(critic, breaker=CircuitBreaker("models", probes=2)),
        name="b",
    )
    with pytest.raises(UsageError, match="The circuit breaker 'models' has two settings"):
        flow.dump()


def test_named_functions_are_written_as_function_references() -> None:
    def merge_all(outputs: list[Any]) -> list[Any]:
        return outputs

    def long_enough(state: Any) -> bool:
        return True

    flow = sequence(
        parallel(writer, critic, merge=merge_all, name="both"),
        branch(when(long_enough, critic), name="check"),
        loop(writer, until=long_enough, max_iterations=2),
        map_each(critic, over="reviews", output="notes"),
        name="f",
    )
    steps = flow.to_dict()["steps"]
    assert steps[0]["merge"] == {"function": "merge_all"}
    assert steps[1]["branch"] == [
        {"when": {"function": "long_enough"}, "then": {"agent": "critic"}}
    ]
    assert steps[2]["until"] == {"function": "long_enough"}
    assert steps[3] == {"map": {"agent": "critic"}, "output": "notes", "over": "reviews"}
    assert flow.registry()["merge_all"] is merge_all


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: branch(when(lambda s: s.score < 0.8, critic), name="branch"),
            "article/branch: the predicate <lambda> cannot be written to a definition; use an "
            "expression string such as 'score < 0.8', or a named function",
        ),
        (
            lambda: step(critic, input=lambda s: s.topic),
            "article/critic: the input= reader <lambda> cannot be written",
        ),
        (
            lambda: parallel(writer, critic, merge=lambda outs: outs[0], name="p"),
            "article/p: the merge <lambda> cannot be written",
        ),
    ],
)
def test_a_lambda_cannot_be_written(make: Any, message: str, tmp_path: Path) -> None:
    flow = sequence(make(), name="article")
    target = tmp_path / "article.yaml"
    with pytest.raises(UsageError) as caught:
        flow.dump(target)
    assert str(caught.value).startswith(message)
    assert not target.exists()  # refused before anything is written


def test_one_name_for_two_objects_is_refused_naming_both_paths() -> None:
    other = Agent(TestModel(), name="writer")
    flow = sequence(writer, step(other, name="second"), name="top")
    with pytest.raises(UsageError) as caught:
        flow.registry()
    assert str(caught.value) == (
        "Two objects are written as 'writer': the one at top/writer and the one at top/second; "
        "register one under another name (give it another name=, or load the definition with "
        "a registry that names them apart)."
    )


def test_dump_writes_the_file_in_the_format_of_its_suffix(tmp_path: Path) -> None:
    flow = sequence(writer, name="w")
    for suffix in ("yaml", "yml"):
        text = flow.dump(tmp_path / f"w.{suffix}")
        assert text.startswith("llmkit_workflow: 1\n")
        assert (tmp_path / f"w.{suffix}").read_text(encoding="utf-8") == text
    text = flow.dump(tmp_path / "w.json")
    assert json.loads(text) == flow.to_dict() and text.endswith("}\n")
    assert flow.dump(tmp_path / "w.yaml", format="json") == text
    with pytest.raises(UsageError, match=r"w\.txt: a workflow definition is a \.yaml, \.yml or"):
        flow.dump(tmp_path / "w.txt")
    assert not (tmp_path / "w.txt").exists()
    with pytest.raises(UsageError, match="format= is 'yaml' or 'json', not 'toml'"):
        flow.dump(format="toml")  # type: ignore[arg-type]  # a wrong value on purpose

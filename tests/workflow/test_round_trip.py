"""The round trip: a definition written down and read back is the same workflow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from llmkit import Agent
from llmkit.errors import ServerError
from llmkit.testing import TestModel
from llmkit.workflow import (
    Breakers,
    CircuitBreaker,
    Retry,
    Workflow,
    branch,
    load,
    loads,
    loop,
    map_each,
    parallel,
    sequence,
    step,
    use_breakers,
    when,
)


class Story(BaseModel):
    topic: str = "tides"
    notes: str = ""
    score: float = 0.0
    draft: str = ""
    done: bool = False
    items: list[str] = ["a", "b"]
    outs: list[Any] = []
    both: list[Any] = []


writer = Agent(TestModel(), name="writer")
critic = Agent(TestModel(), name="critic")


def grade(state: Any) -> float:
    return 0.9


def finish(state: Any) -> dict[str, Any]:
    return {"done": True}


def _in_code() -> Workflow:
    """A flow with every kind and option, built in code."""
    review = sequence(step(critic, output="draft"), name="review")
    return sequence(
        step(writer, input="topic", output="notes", timeout=10, breaker=CircuitBreaker("m")),
        parallel(writer, critic, output="both", max_concurrency=2, errors="collect"),
        step(grade, output="score", thread=True, on_error="continue"),
        branch(
            when("score < 0.8", step(critic, output="draft")),
            otherwise=step(review, fallback=finish),
            all_matches=False,
        ),
        loop(step(finish), until="done", max_iterations=3, delay=0.25, collect=True),
        map_each(critic, over="items", output="outs", max_concurrency=3),
        name="story",
        state=Story,
        retry=Retry(attempts=2, delay=0, on=(ServerError,)),
    )


@pytest.mark.parametrize("format", ["yaml", "json"])
def test_a_definition_read_back_writes_the_same_text(
    format: str, data: Path, everything: dict[str, Any]
) -> None:
    for flow, registry in (
        (load(data / "everything.yaml", registry=everything), everything),
        (_in_code(), _in_code().registry()),
    ):
        text = flow.dump(format=format)  # type: ignore[arg-type]  # parametrised literal
        again = loads(text, format=format, registry=registry)  # type: ignore[arg-type]  # parametrised literal
        assert again.dump(format=format) == text  # type: ignore[arg-type]  # parametrised literal
        assert again.to_dict() == flow.to_dict()


def test_the_round_trip_through_files(
    tmp_path: Path, data: Path, everything: dict[str, Any]
) -> None:
    flow = load(data / "everything.yaml", registry=everything)
    for name in ("flow.yaml", "flow.json"):
        text = flow.dump(tmp_path / name)
        again = load(tmp_path / name, registry=flow.registry())
        assert again.dump(tmp_path / f"again-{name}") == text


def test_the_registry_of_a_loaded_flow_holds_what_it_was_loaded_with(
    data: Path, everything: dict[str, Any]
) -> None:
    flow = load(data / "everything.yaml", registry=everything)
    registry = flow.registry()
    assert registry == {name: everything[name] for name in registry}
    assert set(everything) == set(registry)


LEAVES = """\
name: leaves
state: Doc
retry: {attempts: 2, delay: 0}
steps:
  - {agent: researcher, input: topic, output: notes, timeout: 10, breaker: models}
  - {tool: search, input: topic, output: results}
  - {step: checker, output: checked}
  - {function: fmt, input: {function: pick_notes}, output: formatted, thread: true}
  - {use: review}
  - {use: review, name: again, on_error: skip, fallback: {function: noop}}
  - branch:
      - {when: {function: is_long}, then: {function: shorten, output: draft}}
      - {when: "score < 0.8", then: {function: score, output: score}}
    otherwise: {agent: publisher, output: published}
breakers:
  models: {failure_threshold: 3}
workflows:
  review: {sequence: [{agent: editor, output: verdict}]}
"""


def _sequential() -> Workflow:
    """Every kind but parallel, loop and map, with their options, built in code."""
    review = sequence(step(critic, output="draft"), name="review")
    return sequence(
        step(writer, input="topic", output="notes", timeout=10, breaker=CircuitBreaker("m")),
        step(grade, output="score", thread=True, on_error="continue"),
        branch(
            when("score < 0.8", step(critic, output="draft")),
            otherwise=step(review, fallback=finish, retry=Retry(attempts=2, delay=0)),
        ),
        step(finish),
        name="story",
        state=Story,
        retry=Retry(attempts=2, delay=0, on=(ServerError,)),
    )


def test_a_reloaded_definition_runs_as_the_original(
    tmp_path: Path, everything: dict[str, Any]
) -> None:
    for flow, state in (
        (_sequential(), Story()),
        (loads(LEAVES, registry=everything), everything["Doc"]()),
    ):
        path = tmp_path / "flow.yaml"
        flow.dump(path)
        again = load(path, registry=flow.registry())
        first, second = flow.run_sync(state), again.run_sync(state)
        assert first.ok and len(first.trace) >= 4
        assert second.to_dict(comparable=True) == first.to_dict(comparable=True)


def test_a_reloaded_definition_with_every_kind_runs_as_the_original(
    tmp_path: Path, data: Path, everything: dict[str, Any]
) -> None:
    for flow, state in (
        (_in_code(), Story()),
        (load(data / "everything.yaml", registry=everything), everything["Doc"]()),
    ):
        path = tmp_path / "flow.yaml"
        flow.dump(path)
        again = load(path, registry=flow.registry())
        # A registry of its own: other tests use the key "models" with other settings.
        with use_breakers(Breakers()):
            first, second = flow.run_sync(state), again.run_sync(state)
        assert second.to_dict(comparable=True) == first.to_dict(comparable=True)

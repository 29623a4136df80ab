"""load() and loads(): what a definition becomes, in YAML and in JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import llmkit
from llmkit.errors import (
    MissingExtraError,
    RateLimitError,
    ServerError,
    UsageError,
    WorkflowDefinitionError,
)
from llmkit.output._yaml import parse_yaml_located
from llmkit.tools import Tool
from llmkit.workflow import CircuitBreaker, Retry, Workflow, load, loads, sequence, step
from llmkit.workflow._dump import Registered
from llmkit.workflow._spec import (
    BranchNode,
    LeafNode,
    LoopNode,
    MapNode,
    Node,
    ParallelNode,
    SequenceNode,
)


def _steps(flow: Workflow) -> dict[str, Node]:
    root = flow.node
    assert isinstance(root, SequenceNode)
    return {node.name: node for node in root.steps}


def test_everything_becomes_the_nodes_it_describes(data: Path, everything: dict[str, Any]) -> None:
    flow = load(data / "everything.yaml", registry=everything)
    root = flow.node
    assert isinstance(root, SequenceNode)
    assert (flow.name, flow.kind, root.state) == ("everything", "sequence", everything["Doc"])
    assert root.policy.retry == Retry(
        attempts=2,
        backoff="constant",
        delay=0,
        on=(RateLimitError, ServerError, everything["Flaky"]),
    )
    assert root.policy.timeout == 30
    steps = _steps(flow)
    assert list(steps) == [
        "researcher",
        "reviews",
        "score",
        "branch",
        "review_loop",
        "loop",
        "ticks",
        "summaries",
        "per_part",
        "review",
        "review_again",
        "search",
        "checker",
        "finish",
    ]

    researcher = steps["researcher"]
    assert isinstance(researcher, LeafNode) and researcher.kind == "agent"
    assert researcher.target is everything["researcher"] and researcher.ref == "researcher"
    assert researcher.input is not None and researcher.input.field == "topic"
    assert researcher.policy.breaker == CircuitBreaker(
        "models", failure_threshold=3, reset_timeout=10, probes=2, on=(ServerError,)
    )
    assert researcher.policy.timeout == 10

    reviews = steps["reviews"]
    assert isinstance(reviews, ParallelNode)
    assert (reviews.max_concurrency, reviews.errors, reviews.output) == (2, "collect", "reviews")
    assert (
        isinstance(reviews.merge, Registered) and reviews.merge.function is everything["keep_all"]
    )
    assert reviews.branches[1].policy.retry == Retry(
        attempts=3, backoff="linear", delay=0, max_delay=1, jitter=False
    )

    scored = steps["score"]
    assert isinstance(scored, LeafNode) and scored.thread and scored.target is everything["score"]

    choice = steps["branch"]
    assert isinstance(choice, BranchNode) and choice.all_matches
    assert [case.predicate.describe() for case in choice.cases] == ["score < 0.8", "is_long"]
    assert choice.otherwise is not None and choice.otherwise.output == "published"

    review_loop, counted = steps["review_loop"], steps["ticks"]
    assert isinstance(review_loop, LoopNode) and isinstance(counted, LoopNode)
    assert review_loop.until is not None and review_loop.until.describe() == "approved"
    assert (review_loop.max_iterations, review_loop.max_duration, review_loop.delay) == (3, 60, 0.5)
    assert review_loop.break_on_error and review_loop.collect
    assert (
        isinstance(review_loop.body, LeafNode) and review_loop.body.target is everything["approve"]
    )
    while_loop = steps["loop"]
    assert isinstance(while_loop, LoopNode) and while_loop.while_ is not None
    assert counted.count == 2

    per_part = steps["per_part"]
    assert isinstance(per_part, MapNode) and per_part.errors == "collect"
    assert isinstance(per_part.body, SequenceNode) and per_part.body.state is everything["Part"]
    assert per_part.body.ref == "part_flow"

    review, again = steps["review"], steps["review_again"]
    assert isinstance(review, SequenceNode) and review.ref == "review"
    assert isinstance(again, LeafNode) and again.kind == "workflow" and again.target is review
    assert again.policy.on_error == "skip" and again.policy.fallback is not None

    search = steps["search"]
    assert isinstance(search, LeafNode) and search.kind == "tool"
    assert isinstance(search.target, Tool)
    checker = steps["checker"]
    assert isinstance(checker, LeafNode) and checker.kind == "step"
    assert checker.policy.on_error == "continue"
    finish = steps["finish"]
    assert isinstance(finish, SequenceNode)
    formatted = finish.steps[0]
    assert formatted.input is not None and isinstance(formatted.input.source, Registered)


def test_yaml_and_json_give_the_same_flow(data: Path, article: dict[str, Any]) -> None:
    from_yaml = load(data / "article.yaml", registry=article)
    from_json = load(data / "article.json", registry=article)
    assert from_yaml.to_dict() == from_json.to_dict()
    assert from_yaml.node.state is article["Article"]


def test_the_same_data_as_json_text_gives_the_same_flow(
    data: Path, everything: dict[str, Any]
) -> None:
    text = (data / "everything.yaml").read_text(encoding="utf-8")
    as_data = parse_yaml_located(text).data  # YAML 1.2: on: stays a key
    as_json = loads(json.dumps(as_data, indent=1), format="json", registry=everything)
    assert as_json.to_dict() == load(data / "everything.yaml", registry=everything).to_dict()


def test_the_issue_example_loads_through_the_root_package(
    tmp_path: Path, data: Path, article: dict[str, Any]
) -> None:
    path = tmp_path / "article.yml"
    path.write_text((data / "article.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    flow = llmkit.workflow.load(path, registry=article)
    assert flow.kind == "sequence" and flow.name == "article"


def test_a_leaf_is_named_by_its_registry_name_unless_it_says_name() -> None:
    def do_it(state: Any) -> None:
        return None

    flow = loads(
        "name: f\nsteps:\n  - {function: first}\n  - {function: first, name: second}\n",
        registry={"first": do_it},
    )
    assert [node.name for node in flow.node.children()] == ["first", "second"]


def test_a_function_made_a_step_by_the_decorator_is_registered_as_a_function() -> None:
    @step(output="score")
    def scorer(state: Any) -> float:
        return 1.0

    flow = loads("name: f\nsteps: [{function: scorer}]\n", registry={"scorer": scorer})
    (leaf,) = flow.node.children()
    assert isinstance(leaf, LeafNode) and isinstance(scorer.node, LeafNode)
    assert leaf.kind == "function" and leaf.target is scorer.node.target
    assert leaf.output is None  # the definition's options, not the decorator's


def test_use_takes_a_registered_workflow() -> None:
    inner = sequence(step(lambda s: None, name="inner_step"), name="inner")
    flow = loads("name: outer\nsteps: [{use: shared}]\n", registry={"shared": inner})
    (node,) = flow.node.children()
    assert node.ref == "shared" and node.name == "inner"


def test_the_definitions_own_workflows_come_before_the_registry() -> None:
    registered = sequence(step(lambda s: None, name="registered"), name="review")
    text = "name: f\nsteps: [{use: review}]\nworkflows:\n  review: {sequence: [{use: other}]}\n"
    flow = loads(text, registry={"review": registered, "other": registered})
    (node,) = flow.node.children()
    assert isinstance(node, SequenceNode) and node.steps[0].ref == "other"


def test_an_error_name_is_looked_up_in_the_registry_first() -> None:
    class ServerError(Exception):  # shadows llmkit.errors.ServerError
        pass

    text = "name: f\nretry: {on: [ServerError, TimeoutError]}\nsteps: []\n"
    flow = loads(text, registry={"ServerError": ServerError})
    assert flow.node.policy.retry == Retry(on=(ServerError, TimeoutError))


def test_on_stays_a_key_in_yaml() -> None:
    flow = loads("name: f\nretry:\n  on: [RateLimitError]\nsteps: []\n")
    assert flow.node.policy.retry == Retry(on=(RateLimitError,))


def test_flow_roots_take_their_options_at_the_top() -> None:
    text = (
        "name: fan\ntimeout: 5\nflow:\n  parallel: [{function: a}, {function: b}]\n  merge: first\n"
    )
    flow = loads(text, registry={"a": lambda s: 1, "b": lambda s: 2})
    node = flow.node
    assert isinstance(node, ParallelNode)
    assert (node.name, node.merge, node.policy.timeout) == ("fan", "first", 5)


def test_loading_calls_nothing() -> None:
    calls: list[str] = []

    def counted(state: Any) -> bool:
        calls.append("called")
        return True

    text = (
        "name: f\nsteps:\n  - branch: [{when: {function: check}, then: {function: check}}]\n"
        "    otherwise: {function: check, name: other}\n"
    )
    loads(text, registry={"check": counted})
    assert calls == []


def test_load_refuses_a_file_it_cannot_tell_the_format_of(tmp_path: Path) -> None:
    path = tmp_path / "flow.txt"
    path.write_text("name: f\nsteps: []\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"flow\.txt: a workflow definition is a \.yaml"):
        load(path)
    with pytest.raises(UsageError, match="No such file"):
        load(tmp_path / "absent.yaml")


def test_registry_must_be_a_mapping_of_names() -> None:
    with pytest.raises(UsageError, match=r"registry=\.\.\.\) takes a mapping of names"):
        loads("name: f\nsteps: []\n", registry=[("a", 1)])  # type: ignore[arg-type]  # the wrong type on purpose


def test_without_pyyaml_yaml_needs_the_workflow_extra_and_json_needs_nothing() -> None:
    script = (
        "import sys\nsys.modules['yaml'] = None\n"
        "from llmkit.workflow import loads\n"
        "from llmkit.errors import MissingExtraError\n"
        'flow = loads(\'{"name": "f", "steps": []}\', format=\'json\')\n'
        "print(flow.dump(format='json').splitlines()[2])\n"
        "for call in (lambda: loads('name: f'), lambda: flow.dump()):\n"
        "    try:\n"
        "        call()\n"
        "    except MissingExtraError as exc:\n"
        "        print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines() == [
        '  "name": "f",',
        "Reading YAML needs pyyaml: pip install 'llmkit[workflow]'.",
        "Writing YAML needs pyyaml: pip install 'llmkit[workflow]'.",
    ]


def test_missing_pyyaml_is_not_a_definition_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "yaml", None)
    with pytest.raises(MissingExtraError) as caught:
        loads("name: f\nsteps: []\n")
    assert not isinstance(caught.value, WorkflowDefinitionError)
    assert caught.value.extra == "workflow"

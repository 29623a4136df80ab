"""Static checks of a tree: collisions, typed fields, nested state types, names, which nodes write."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from llmkit import Agent
from llmkit.errors import WorkflowDefinitionError
from llmkit.testing import TestModel
from llmkit.workflow import branch, loop, map_each, parallel, sequence, step, when
from llmkit.workflow._checks import check_tree
from llmkit.workflow._predicate import expression
from llmkit.workflow._spec import LeafNode, SequenceNode


class Article(BaseModel):
    topic: str = ""
    notes: str = ""
    reviews: list[str] = []
    score: float = 0.0
    approved: bool = False


class Chapter(BaseModel):
    text: str = ""
    summary: str = ""


class Review(BaseModel):
    notes: str = ""


def critic_a(state: Any) -> str:
    return "a"


def critic_b(state: Any) -> str:
    return "b"


def merges(state: Any):  # type: ignore[no-untyped-def]  # unannotated: it may return a mapping
    return {"notes": "x"}


def test_two_parallel_branches_writing_one_field() -> None:
    flow = sequence(
        parallel(
            step(critic_a, output="notes"), sequence(step(critic_b, output="notes")), name="reviews"
        ),
        name="article",
    )
    with pytest.raises(WorkflowDefinitionError) as info:
        check_tree(flow.node)
    message = str(info.value)
    assert message.startswith(
        "Parallel 'article/reviews': article/reviews[0]/critic_a and "
        "article/reviews[1]/sequence/critic_b both write 'notes'"
    )
    assert info.value.path == "article/reviews[1]/sequence/critic_b"


def test_a_branch_writing_the_parallels_output() -> None:
    flow = sequence(
        parallel(critic_a, step(critic_b, output="reviews"), output="reviews"), name="article"
    )
    with pytest.raises(WorkflowDefinitionError) as info:
        check_tree(flow.node)
    assert str(info.value).startswith(
        "Parallel 'article/reviews' writes its merged output to 'reviews', and its branch "
        "article/reviews[1]/critic_b writes 'reviews' too"
    )


def test_output_inside_a_map_body() -> None:
    flow = sequence(
        map_each(step(critic_a, output="notes"), over="reviews", output="all"), name="digest"
    )
    with pytest.raises(WorkflowDefinitionError) as info:
        check_tree(flow.node)
    assert str(info.value).startswith(
        "map_each 'digest/all': its body digest/all[*]/critic_a writes 'notes' (output=) once per item"
    )
    # A workflow body runs on each item as its own state: its writes stay inside.
    body = sequence(step(critic_a, output="summary"), name="per_chapter", state=Chapter)
    check_tree(map_each(body, over="reviews", output="summaries").node)


def test_isolated_branches_may_reuse_a_field() -> None:
    first = sequence(step(critic_a, output="text"), input=lambda s: {"text": ""}, name="one")
    second = sequence(step(critic_b, output="text"), input=lambda s: {"text": ""}, name="two")
    check_tree(parallel(first, second).node)


def test_output_field_missing_from_the_state_model() -> None:
    flow = sequence(step(critic_a, output="notes"), step(critic_b, output="scroe"), name="article")
    with pytest.raises(WorkflowDefinitionError) as info:
        check_tree(flow.node, Article)
    assert str(info.value) == (
        "Step 'article/critic_b' writes its output to 'scroe' (output=), which Article does not "
        "have (its fields: approved, notes, reviews, score, topic)."
    )
    assert info.value.path == "article/critic_b"
    check_tree(flow.node)  # a dict state takes any field


def test_fields_read_by_expressions_are_checked_on_a_typed_state() -> None:
    flow = sequence(branch(when("scroe < 0.8", critic_a), otherwise=critic_b), name="article")
    with pytest.raises(
        WorkflowDefinitionError, match="'scroe < 0.8' of article/branch names 'scroe'"
    ):
        check_tree(flow.node, Article)
    looping = loop(critic_a, until="aproved", max_iterations=2, name="edit")
    with pytest.raises(WorkflowDefinitionError, match="of edit names 'aproved'"):
        check_tree(looping.node, Article)
    reading = sequence(step(critic_a, input="topik"), name="a")
    with pytest.raises(WorkflowDefinitionError, match="input= 'topik' of a/critic_a names 'topik'"):
        check_tree(reading.node, Article)


def test_an_isolated_subtree_is_checked_against_its_own_state_type() -> None:
    inner = sequence(
        step(critic_a, output="summary"),
        input=lambda s: {"text": s.notes},
        state=Chapter,
        name="chapter",
    )
    check_tree(sequence(inner, name="article").node, Article)
    wrong = sequence(step(critic_a, output="notes"), input=lambda s: {}, state=Chapter, name="c")
    with pytest.raises(WorkflowDefinitionError, match="which Chapter does not have"):
        check_tree(sequence(wrong, name="article").node, Article)


def test_a_nested_state_type_must_match_the_state_around_it() -> None:
    nested = sequence(step(critic_a), state=Chapter, name="chapter")
    with pytest.raises(
        WorkflowDefinitionError, match="declares state=Chapter, but it works on the Article"
    ):
        check_tree(sequence(nested, name="article").node, Article)


def test_the_root_s_state_type_is_used_when_none_is_given() -> None:
    flow = sequence(step(critic_a, output="scroe"), name="a", state=Article)
    with pytest.raises(WorkflowDefinitionError, match="which Article does not have"):
        check_tree(flow.node)


def test_siblings_and_names_of_specs_built_by_hand() -> None:
    leaf = LeafNode(name="same", kind="function", target=critic_a)
    with pytest.raises(
        WorkflowDefinitionError, match=r'"root/same" twice \(steps 1 and 2 of root\)'
    ):
        check_tree(SequenceNode(name="root", steps=(leaf, leaf)))
    with pytest.raises(WorkflowDefinitionError, match="may not contain"):
        check_tree(SequenceNode(name="a[0]"))


def test_a_fallback_is_checked_at_its_path() -> None:
    flow = sequence(step(critic_a, fallback=step(critic_b, output="scroe")), name="a")
    with pytest.raises(
        WorkflowDefinitionError, match="Step 'a/critic_a/fallback' writes its output"
    ):
        check_tree(flow.node, Article)


def test_which_nodes_write() -> None:
    agent = Agent(TestModel(), name="reviewer", output_type=Review)
    plain_agent = Agent(TestModel(), name="writer")
    reads = parallel(critic_a, plain_agent, output="reviews")
    writes = parallel(
        step(critic_a, output="notes"),
        merges,
        agent,
        sequence(critic_b, step(critic_a, output="topic")),
    )
    info = check_tree(sequence(reads, writes, name="a").node)
    assert [info.writes(b) for b in reads.node.children()] == [False, False]
    assert [info.writes(b) for b in writes.node.children()] == [True, True, True, True]
    assert info.writes(reads.node)  # its own output=
    isolated = sequence(step(critic_a, output="text"), input=lambda s: {}, name="iso")
    assert not check_tree(parallel(isolated).node).writes(isolated.node)


def test_an_expression_reading_literals_only_names_no_field() -> None:
    assert expression("true and not false", role="when").names == frozenset()

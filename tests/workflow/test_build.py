"""The builders: what they make, the names and paths they give, and every argument they refuse."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel

from llmkit import Agent
from llmkit.errors import RateLimitError, ServerError, UsageError, WorkflowDefinitionError
from llmkit.testing import TestModel
from llmkit.tools import tool
from llmkit.workflow import (
    Case,
    CircuitBreaker,
    Retry,
    StepContext,
    Workflow,
    WorkflowError,
    branch,
    loop,
    map_each,
    parallel,
    sequence,
    step,
    when,
)
from llmkit.workflow._checks import check_tree
from llmkit.workflow._spec import (
    BranchNode,
    LeafNode,
    LoopNode,
    MapNode,
    ParallelNode,
    Policy,
    SequenceNode,
)


def _agent(name: str, output_type: Any = str) -> Agent[Any]:
    return Agent(TestModel(), name=name, output_type=output_type)


researcher, critic_a, critic_b = _agent("researcher"), _agent("critic_a"), _agent("critic_b")
rewriter, publisher, editor, summariser = (
    _agent("rewriter"),
    _agent("publisher"),
    _agent("editor"),
    _agent("summariser"),
)


class Article(BaseModel):
    topic: str
    notes: str = ""
    reviews: list[str] = []
    score: float = 0.0
    draft: str = ""
    approved: bool = False


class Book(BaseModel):
    chapters: list[str] = []
    summaries: list[str] = []
    text: str = ""


CALLED: list[str] = []


def strip_markup(state: Book) -> str:
    CALLED.append("strip_markup")
    return state.text.replace("<b>", "")


def test_the_issue_s_example_constructs_as_written() -> None:
    @step(output="score")
    def score(state: Article) -> float:
        return 0.5

    flow = sequence(
        step(researcher, input=lambda s: s.topic, output="notes"),
        parallel(critic_a, critic_b, output="reviews", max_concurrency=4, timeout=60),
        score,
        branch(when(lambda s: s.score < 0.8, rewriter), otherwise=publisher),
        loop(editor, until=lambda s: s.approved, max_iterations=3),
        name="article",
        retry=Retry(attempts=3, backoff="exponential", on=(RateLimitError, ServerError)),
    )
    summaries = map_each(
        step(summariser), over=lambda s: s.chapters, output="summaries", max_concurrency=8
    )
    clean = step(strip_markup, name="clean", output="text")
    retry = Retry(attempts=3, backoff="constant", delay=0.5)

    assert isinstance(flow, Workflow) and (flow.name, flow.kind) == ("article", "sequence")
    root = flow.node
    assert isinstance(root, SequenceNode)
    assert [n.name for n in root.steps] == ["researcher", "reviews", "score", "branch", "loop"]
    assert root.policy.retry == Retry(attempts=3, on=(RateLimitError, ServerError))
    first, reviews, scored, chooser, editing = root.steps
    assert isinstance(first, LeafNode) and first.kind == "agent" and first.target is researcher
    assert first.output == "notes" and first.input is not None
    assert isinstance(reviews, ParallelNode) and reviews.max_concurrency == 4
    assert reviews.policy.timeout == 60.0 and reviews.output == "reviews"
    assert [b.name for b in reviews.branches] == ["critic_a", "critic_b"]
    assert scored is score.node and score(Article(topic="x")) == 0.5  # still callable
    assert isinstance(chooser, BranchNode) and chooser.otherwise is not None
    assert isinstance(editing, LoopNode) and editing.max_iterations == 3
    assert isinstance(summaries.node, MapNode) and summaries.name == "summaries"
    assert (clean.name, clean.node.output) == ("clean", "text")
    assert retry.backoff == "constant"
    check_tree(root, Article)
    check_tree(summaries.node, Book)
    assert CALLED == []  # building runs nothing


def test_specs_are_frozen() -> None:
    flow = sequence(step(strip_markup), name="f")
    with pytest.raises(dataclasses.FrozenInstanceError):
        flow.node.name = "g"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        flow.node.steps = ()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        flow.name = "g"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        flow.extra = 1  # type: ignore[attr-defined]


def test_step_dispatch_and_default_names() -> None:
    @tool
    def lookup(word: str) -> str:
        """Look a word up."""
        return word

    class Shout:
        name = "shout"

        async def run(self, input: Any, context: StepContext) -> Any:
            return str(input).upper()

    async def fetch(state: Any) -> str:
        return ""

    inner = sequence(step(strip_markup), name="prep")
    made = {
        "agent": step(researcher),
        "tool": step(lookup),
        "step": step(Shout()),
        "function": step(fetch),
        "workflow": step(inner, retry=Retry()),
    }
    assert {kind: flow.kind for kind, flow in made.items()} == {k: k for k in made}
    assert [flow.name for flow in made.values()] == [
        "researcher",
        "lookup",
        "shout",
        "fetch",
        "prep",
    ]
    nested = made["workflow"].node
    assert isinstance(nested, LeafNode) and nested.target is inner.node
    assert nested.children() == (inner.node,)
    assert sequence(inner).node.children() == (inner.node,)  # a workflow item is not wrapped again
    assert step(lambda s: s).name == "<lambda>"


def test_the_decorator_form_and_context_detection() -> None:
    @step
    def plain(state: Any) -> Any:
        return state

    @step(name="ctx", thread=True)
    def with_context(state: Any, context: StepContext) -> Any:
        return context.path

    def named(state: Any, context: Any) -> Any:
        return None

    def other(state: Any, extra: int = 0) -> Any:
        return None

    assert isinstance(plain.node, LeafNode) and not plain.node.takes_context
    assert isinstance(with_context.node, LeafNode)
    assert with_context.node.takes_context and with_context.node.thread
    assert step(named).node.takes_context  # type: ignore[attr-defined]
    assert not step(other).node.takes_context  # type: ignore[attr-defined]
    assert plain({"a": 1}) == {"a": 1}


def test_calling_a_step_that_is_not_a_function_is_refused() -> None:
    with pytest.raises(
        UsageError, match="Only a function step can be called directly; 'f' is a sequence"
    ):
        sequence(step(strip_markup), name="f")()


def test_siblings_with_the_same_name_are_refused() -> None:
    def summariser(state: Any) -> None:
        return None

    with pytest.raises(WorkflowDefinitionError) as info:
        sequence(strip_markup, summariser, step(strip_markup, name="x"), summariser, name="article")
    assert str(info.value) == (
        '"article/summariser" twice (steps 2 and 4 of article); pass name=... to one of them.'
    )
    assert info.value.path == "article/summariser"
    with pytest.raises(WorkflowDefinitionError, match=r'"branch/rewriter" twice \(cases 1 and 3'):
        branch(when("true", rewriter), when("false", editor), otherwise=rewriter)
    sequence(strip_markup, step(strip_markup, name="again"))  # a name= settles it
    parallel(critic_a, critic_a)  # parallel branches differ by index


def test_combinator_options_are_stored() -> None:
    fallback = step(publisher)
    flow = parallel(
        critic_a,
        critic_b,
        merge="first",
        errors="collect",
        name="race",
        breaker=CircuitBreaker("openai"),
        on_error="continue",
        fallback=fallback,
        input="topic",
        state=Article,
    )
    node = flow.node
    assert isinstance(node, ParallelNode)
    assert (node.merge, node.errors, node.name) == ("first", "collect", "race")
    assert node.policy == Policy(
        breaker=CircuitBreaker("openai"), on_error="continue", fallback=fallback.node
    )
    assert node.input is not None and node.input.field == "topic" and node.state is Article
    looped = loop(editor, count=2, delay=0.5, collect=True, break_on_error=True).node
    assert isinstance(looped, LoopNode) and (looped.count, looped.delay) == (2, 0.5)
    mapped = map_each(summariser, over="chapters").node
    assert isinstance(mapped, MapNode) and mapped.name == "map"
    assert parallel(critic_a).name == "parallel"
    case = when("score < 0.8", rewriter)
    assert isinstance(case, Case) and case.predicate.names == {"score"}


BAD_ARGUMENTS: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    (
        "step(42)",
        lambda: step(42),
        UsageError,
        r"step\(\) takes a function, an agent, a tool, a Step or a workflow, not int",
    ),  # type: ignore[call-overload]
    (
        "name with /",
        lambda: step(strip_markup, name="a/b"),
        WorkflowDefinitionError,
        r"Step name 'a/b' may not contain '/', '\[' or '\]'; pass name=",
    ),
    (
        "empty name",
        lambda: step(strip_markup, name=""),
        WorkflowDefinitionError,
        "non-empty string",
    ),
    ("padded name", lambda: sequence(name=" a"), WorkflowDefinitionError, "whitespace"),
    (
        "unknown option",
        lambda: step(strip_markup, outptu="x"),
        WorkflowDefinitionError,
        r"step\(\) has no option 'outptu'.*did you mean 'output'",
    ),  # type: ignore[call-overload]
    (
        "output not a name",
        lambda: step(strip_markup, output="a b"),
        UsageError,
        r"output=\.\.\.\) takes the name of a state field",
    ),
    (
        "state not a model",
        lambda: sequence(state=dict),
        UsageError,
        r"state=\.\.\.\) takes a pydantic model class",
    ),  # type: ignore[arg-type]
    ("retry not a Retry", lambda: sequence(retry=3), UsageError, r"retry=\.\.\.\) takes a Retry"),  # type: ignore[arg-type]
    (
        "Retry(attempts=0)",
        lambda: sequence(retry=Retry(attempts=0)),
        UsageError,
        "attempts=.*1 or more",
    ),
    (
        "on=(3,)",
        lambda: step(strip_markup, retry=Retry(on=(3,))),
        UsageError,
        r"on=\.\.\.\) takes an exception class",
    ),  # type: ignore[arg-type]
    (
        "breaker not a CircuitBreaker",
        lambda: sequence(breaker="openai"),
        UsageError,
        r"breaker=\.\.\.\) takes a CircuitBreaker",
    ),  # type: ignore[arg-type]
    (
        "timeout=-1",
        lambda: step(strip_markup, timeout=-1),
        UsageError,
        r"timeout=\.\.\.\) takes seconds, more than 0",
    ),
    (
        "timeout=0",
        lambda: parallel(timeout=0),
        UsageError,
        r"parallel\(timeout=\.\.\.\) takes seconds",
    ),
    (
        "on_error='ignore'",
        lambda: branch(on_error="ignore"),
        UsageError,
        r"on_error=\.\.\.\) is one of 'raise', 'skip', 'continue', not 'ignore'",
    ),  # type: ignore[arg-type]
    (
        "fallback not a step",
        lambda: step(strip_markup, fallback=7),
        UsageError,
        r"fallback=\.\.\.\): step\(\) takes",
    ),  # type: ignore[arg-type]
    (
        "input not a reader",
        lambda: step(strip_markup, input=3),
        UsageError,
        r"input= takes a function of the state or an expression",
    ),  # type: ignore[arg-type]
    (
        "unsafe input",
        lambda: step(strip_markup, input="__import__('os')"),
        WorkflowDefinitionError,
        r"input= .* is not allowed: __import__\(\.\.\.\)",
    ),
    (
        "thread on an async function",
        lambda: step(_async_step, thread=True),
        UsageError,
        r"thread=True\) runs a sync function.*is async",
    ),
    (
        "thread on an agent",
        lambda: step(researcher, thread=True),
        UsageError,
        r"thread=True\) is for sync functions, not for a agent",
    ),
    (
        "thread not a bool",
        lambda: step(strip_markup, thread="yes"),
        UsageError,
        r"thread=\.\.\.\) takes True or False",
    ),  # type: ignore[call-overload]
    ("sync Step.run", lambda: step(_SyncStep()), UsageError, "A Step's run must be async"),
    (
        "sequence item",
        lambda: sequence(strip_markup, 3),
        UsageError,
        r"sequence\(\): step\(\) takes .* not int",
    ),  # type: ignore[arg-type]
    (
        "merge='some'",
        lambda: parallel(critic_a, merge="some"),
        UsageError,
        r"merge=\.\.\.\) is 'all', 'first' or a function",
    ),  # type: ignore[arg-type]
    (
        "negative max_concurrency",
        lambda: parallel(critic_a, max_concurrency=-1),
        UsageError,
        r"parallel\(max_concurrency=\.\.\.\) takes a whole number, 1 or more",
    ),
    (
        "zero max_concurrency",
        lambda: map_each(critic_a, over="x", max_concurrency=0),
        UsageError,
        r"map_each\(max_concurrency=\.\.\.\)",
    ),
    (
        "errors='ignore'",
        lambda: parallel(critic_a, errors="ignore"),
        UsageError,
        r"errors=\.\.\.\) is one of 'fail_fast', 'collect'",
    ),  # type: ignore[arg-type]
    (
        "map errors",
        lambda: map_each(critic_a, over="x", errors="all"),
        UsageError,
        r"map_each\(errors=\.\.\.\)",
    ),  # type: ignore[arg-type]
    ("map without over", lambda: map_each(critic_a, over=None), UsageError, "needs over="),  # type: ignore[arg-type]
    (
        "unsafe over",
        lambda: map_each(critic_a, over="open('x')"),
        WorkflowDefinitionError,
        r"map_each\(over=\.\.\.\) .open\('x'\). is not allowed",
    ),
    (
        "branch case not a Case",
        lambda: branch(rewriter),
        UsageError,
        r"branch\(\) takes cases made with when\(predicate, step\)",
    ),  # type: ignore[arg-type]
    (
        "branch all_matches",
        lambda: branch(all_matches="yes"),
        UsageError,
        "all_matches=.*True or False",
    ),  # type: ignore[arg-type]
    (
        "unsafe when",
        lambda: when("a._b", rewriter),
        WorkflowDefinitionError,
        r"the predicate 'a._b' is not allowed: '._b'",
    ),
    (
        "when not a reader",
        lambda: when(3, rewriter),
        UsageError,
        r"when\(\) takes a function of the state",
    ),  # type: ignore[arg-type]
    (
        "loop with two conditions",
        lambda: loop(editor, while_="x", until="y"),
        UsageError,
        r"loop\(\) takes one of while_=, until= or count=, not while_ and until",
    ),
    ("loop with no end", lambda: loop(editor), UsageError, r"loop\(\) needs an end"),
    (
        "loop count",
        lambda: loop(editor, count=-2),
        UsageError,
        r"count=\.\.\.\) takes a whole number, 0 or more",
    ),
    (
        "loop max_iterations",
        lambda: loop(editor, until="x", max_iterations=0),
        UsageError,
        r"max_iterations=\.\.\.\) takes a whole number, 1 or more",
    ),
    (
        "loop max_duration",
        lambda: loop(editor, max_duration=float("nan")),
        UsageError,
        r"max_duration=\.\.\.\) takes seconds",
    ),
    (
        "loop delay",
        lambda: loop(editor, count=1, delay=-1),
        UsageError,
        r"delay=\.\.\.\) takes seconds, 0 or more",
    ),
    (
        "loop collect",
        lambda: loop(editor, count=1, collect=1),
        UsageError,
        r"collect=\.\.\.\) takes True or False",
    ),  # type: ignore[arg-type]
]


async def _async_step(state: Any) -> Any:
    return state


class _SyncStep:
    name = "sync"

    def run(self, input: Any, context: StepContext) -> Any:
        return input


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [case[1:] for case in BAD_ARGUMENTS],
    ids=[case[0] for case in BAD_ARGUMENTS],
)
def test_builder_argument_errors(
    build: Callable[[], Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message) as info:
        build()
    assert type(info.value) is error
    assert not isinstance(info.value, WorkflowError)


def test_building_loads_no_yaml_or_rich() -> None:
    import subprocess

    code = (
        "import sys, llmkit.workflow._build, llmkit.workflow; "
        "print(sorted(m for m in ('yaml', 'rich') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"

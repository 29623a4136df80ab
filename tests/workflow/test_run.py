"""Running a workflow: options, the state given, failures that keep everything, the fast path."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

import llmkit
from llmkit import Agent
from llmkit.bus import Bus
from llmkit.errors import (
    OutputValidationError,
    ServerError,
    UsageError,
    WorkflowDefinitionError,
    WorkflowError,
)
from llmkit.testing import ScriptedModel
from llmkit.workflow import Retry, StepContext, parallel, sequence, step
from llmkit.workflow._runner import new_runtime
from llmkit.workflow._stream import EventChannel

pytestmark = pytest.mark.anyio


class Article(BaseModel):
    topic: str
    notes: str = ""
    score: float = 0.0


@pytest.mark.parametrize("state", [[1, 2], "text", 3])
async def test_state_must_be_a_model_or_dict(state: Any) -> None:
    flow = sequence(step(lambda s: 1, name="f"), name="s")
    with pytest.raises(
        UsageError,
        match=f"takes a pydantic model or a dict as the state, not {type(state).__name__}",
    ):
        await flow.run(state)


async def test_unknown_run_option() -> None:
    flow = sequence(step(lambda s: 1, name="f"), name="s")
    with pytest.raises(
        TypeError, match="Workflow.run\\(\\) got an unexpected keyword argument 'timout'"
    ):
        await flow.run({}, timout=3)  # type: ignore[call-arg]  # the misspelling is the test


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("timeout", -1, "timeout=...\\) takes seconds"),
        ("usage_limits", {"max_requests": 1}, "takes a UsageLimits"),
        ("bus", "bus", "takes a Bus"),
        ("run_id", "", "takes a non-empty string"),
        ("clock", 3, "takes a function returning seconds"),
        ("hooks", "hook", "takes a list of hooks"),
    ],
)
async def test_bad_option_values(option: str, value: Any, message: str) -> None:
    flow = sequence(step(lambda s: 1, name="f"), name="s")
    with pytest.raises(UsageError, match=message):
        await flow.run({}, **{option: value})


async def test_output_field_missing_from_the_state_model() -> None:
    model = ScriptedModel(["notes"])
    flow = sequence(
        step(Agent(model, name="researcher"), input="topic", output="notes"),
        step(lambda s: 0.5, name="score", output="scroe"),
        name="article",
    )
    given = Article(topic="tides")
    with pytest.raises(WorkflowDefinitionError) as info:
        await flow.run(given)
    err = info.value
    assert (
        "article/score" in str(err) and "'scroe'" in str(err) and "notes, score, topic" in str(err)
    )
    assert err.path == "article/score"
    assert err.state == given and err.state is not given
    assert model.requests == []  # nothing ran


async def test_a_workflow_running_itself_from_a_step_is_refused() -> None:
    calls: list[str] = []

    class Again:
        name = "again"

        async def run(self, input: Any, context: StepContext) -> Any:
            calls.append(context.path)
            return await flow.run({"n": 0})

    flow = sequence(
        step(lambda s: s["n"] + 1, name="bump", output="n"),
        step(Again()),
        name="loop",
    )
    with pytest.raises(
        WorkflowDefinitionError, match="runs itself from its step 'loop/again'"
    ) as info:
        await flow.run({"n": 1})
    assert info.value.path == "loop/again"
    assert info.value.state == {"n": 2}  # the outer state, the first write kept
    assert calls == ["loop/again"]


async def test_two_runs_of_one_workflow_at_once_are_not_a_cycle() -> None:
    import asyncio

    flow = sequence(step(lambda s: s["n"] * 2, name="double", output="n"), name="s")
    first, second = await asyncio.gather(flow.run({"n": 1}), flow.run({"n": 5}))
    assert (first.state, second.state) == ({"n": 2}, {"n": 10})


async def test_a_failure_keeps_the_state_the_trace_and_the_usage() -> None:
    model = ScriptedModel([ServerError("down", status=500)])
    writer = Agent(model, name="writer")
    flow = sequence(
        step(Agent(ScriptedModel(["n"]), name="researcher"), output="notes"),
        step(writer, output="notes", retry=Retry(attempts=2, delay=0, on=KeyError)),
        name="article",
    )
    with pytest.raises(WorkflowError) as info:
        await flow.run(Article(topic="t"))
    err = info.value
    assert type(err) is WorkflowError
    assert isinstance(err.__cause__, ServerError)
    assert str(err).startswith("Workflow 'article' failed at article/writer: ServerError: down")
    assert err.path == "article/writer" and err.workflow == "article" and err.run_id
    assert err.state.notes == "n"
    assert [(r.path, r.status) for r in err.trace] == [
        ("article", "failed"),
        ("article/researcher", "ok"),
        ("article/writer", "failed"),
    ]
    assert err.trace[2].error.error_type == "ServerError"
    assert err.usage.requests == 1  # the failed request reported no usage; the first did


class Count(BaseModel):
    n: int


async def test_usage_sums_every_agent_run_and_failed_attempts() -> None:
    script = ["nope", "nope", "nope", '{"n": 5}']  # three invalid answers fail attempt 1
    counter = Agent(
        ScriptedModel(script), name="counter", output_type=Count, output_mode="prompted"
    )
    first = Agent(ScriptedModel(["a b c"]), name="first")
    flow = sequence(
        step(first, output="a"),
        step(counter, output="b", retry=Retry(attempts=2, delay=0)),
        name="s",
    )
    result = await flow.run({})
    assert result.state == {"a": "a b c", "b": Count(n=5)}

    # The same runs outside a workflow: what each one reports.
    alone = await Agent(ScriptedModel(["a b c"]), name="first").run("{}")
    again = Agent(ScriptedModel(script), output_type=Count, output_mode="prompted")
    with pytest.raises(OutputValidationError) as failed:
        await again.run("{}")
    second = await again.run("{}")

    counted = result.trace[2]
    assert counted.attempts == 2 and len(counted.run_ids) == 2
    assert counted.usage.requests == failed.value.usage.requests + second.usage.requests == 4
    assert result.usage == result.trace[1].usage + counted.usage
    assert result.usage.requests == alone.usage.requests + 4


async def test_run_id_and_deps_reach_the_steps() -> None:
    seen: list[Any] = []
    flow = sequence(step(lambda s, context: seen.append((context.run_id, context.deps)), name="f"))
    result = await flow.run({}, run_id="r-1", deps={"k": 1})
    assert result.run_id == "r-1" and seen == [("r-1", {"k": 1})]


async def test_an_empty_sequence_runs() -> None:
    result = await sequence(name="empty").run({"a": 1})
    assert result.output is None and result.state == {"a": 1} and result.ok


async def test_the_fast_path_builds_nothing_it_does_not_need(tmp_path: Any) -> None:
    root = sequence(step(lambda s: 1, name="f"), name="s").node
    quiet = Bus()
    with llmkit.bus.use_bus(quiet):
        rt = new_runtime(root, {})
        assert rt.events_on is False and rt.hooks is None
        listened = Bus()
        listened.on("*", lambda e: None)
        assert new_runtime(root, {"bus": listened}).events_on is True
        assert new_runtime(root, {}, channel=EventChannel()).events_on is True
        quiet.on("workflow.*", lambda e: None)
        assert new_runtime(root, {}).events_on is True

    class Watch:
        def before_step(self, ctx: Any, input: Any) -> None:
            pass

    assert new_runtime(root, {"hooks": [Watch()]}).hooks is not None
    with llmkit.record(tmp_path / "run.jsonl"):
        assert new_runtime(root, {}).hooks is not None
    assert new_runtime(root, {}).hooks is None


def test_two_different_agents_with_one_name_are_refused_by_agents() -> None:
    first = Agent(ScriptedModel(["a"]), name="critic")
    flow = parallel(first, Agent(ScriptedModel(["b"]), name="critic"), name="both")
    with pytest.raises(UsageError, match="two different agents named 'critic'"):
        flow.agents()
    same = parallel(first, first, name="twice")
    assert same.agents() == {"critic": first}  # one agent used twice is listed once


async def test_run_ids_are_uuid4_hex_and_distinct() -> None:
    import uuid

    from llmkit._ids import new_id as new_run_id

    ids = [new_run_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for made in ids[:200]:
        parsed = uuid.UUID(made)
        assert parsed.hex == made and parsed.version == 4 and parsed.variant == uuid.RFC_4122
    writer = Agent(ScriptedModel(["hi"]), name="writer")
    result = await sequence(step(writer, output="text"), name="doc").run({})
    for made in (result.run_id, *result.trace[1].run_ids):
        assert uuid.UUID(made).version == 4 and uuid.UUID(made).hex == made

"""Each kind of leaf step, run in a sequence: functions, agents, tools, Step objects, nested workflows."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from pydantic import BaseModel

from llmkit import Agent, Message
from llmkit._scope import current_path, current_scope
from llmkit.testing import ScriptedModel, TestModel
from llmkit.tools import tool
from llmkit.workflow import StepContext, sequence, step
from llmkit.workflow._exec_leaf import render_input

pytestmark = pytest.mark.anyio


class Doc(BaseModel):
    topic: str
    notes: str = ""
    words: int = 0
    shout: str = ""


def count(state: Doc) -> int:
    return len(state.notes.split())


async def shout(text: str) -> str:
    return text.upper()


def where(value: Any, context: StepContext) -> str:
    return f"{context.path}#{context.attempt}@{context.kind}"


async def test_sync_async_and_context_functions_and_an_agent_on_a_model_state() -> None:
    model = ScriptedModel(["tides rise twice daily"])
    researcher = Agent(model, name="researcher")
    flow = sequence(
        step(researcher, input="topic", output="notes"),
        step(count, output="words"),
        step(shout, input="notes", output="shout"),
        step(where, output="topic"),
        name="doc",
    )
    given = Doc(topic="tides")
    result = await flow.run(given)
    assert result.state == Doc(
        topic="doc/where#1@function",
        notes="tides rise twice daily",
        words=4,
        shout="TIDES RISE TWICE DAILY",
    )
    assert given == Doc(topic="tides")  # the caller's object is untouched
    assert model.requests[0].messages[-1].text == "tides"
    assert result.output == "doc/where#1@function"
    assert [(r.path, r.kind, r.status) for r in result.trace] == [
        ("doc", "sequence", "ok"),
        ("doc/researcher", "agent", "ok"),
        ("doc/count", "function", "ok"),
        ("doc/shout", "function", "ok"),
        ("doc/where", "function", "ok"),
    ]
    assert len(result.trace[1].run_ids) == 1


async def test_dict_state_is_copied_and_a_mapping_output_merges() -> None:
    def split(state: dict[str, Any]) -> dict[str, Any]:
        first, _, rest = state["text"].partition(" ")
        return {"first": first, "rest": rest}

    given = {"text": "hello big world"}
    result = await sequence(step(split), name="s").run(given)
    assert result.state == {"text": "hello big world", "first": "hello", "rest": "big world"}
    assert given == {"text": "hello big world"}


async def test_a_thread_step_runs_off_the_loop_thread_inside_its_scope() -> None:
    seen: dict[str, Any] = {}

    def blocking(state: dict[str, Any]) -> str:
        seen["thread"] = threading.current_thread()
        seen["path"] = current_path()
        return "done"

    result = await sequence(step(blocking, thread=True, output="out"), name="t").run({})
    assert result.state == {"out": "done"}
    assert seen["thread"] is not threading.main_thread()
    assert seen["path"] == "t/blocking"


async def test_an_inline_sync_step_runs_on_the_loop_thread() -> None:
    seen: list[threading.Thread] = []
    await sequence(step(lambda s: seen.append(threading.current_thread()), name="f")).run({})
    assert seen == [threading.current_thread()]


async def test_an_agent_with_test_model_and_structured_output_merges_fields() -> None:
    class Verdict(BaseModel):
        words: int
        shout: str

    judge = Agent(TestModel(custom_output_args={"words": 7, "shout": "OK"}), output_type=Verdict)
    result = await sequence(step(judge, name="judge"), name="doc").run(Doc(topic="x"))
    assert (result.state.words, result.state.shout) == (7, "OK")
    assert result.output == Verdict(words=7, shout="OK")


async def test_an_agent_gets_the_whole_state_as_json_by_default() -> None:
    model = ScriptedModel(["ok"])
    await sequence(step(Agent(model, name="a"), output="notes"), name="s").run(Doc(topic="t"))
    assert model.requests[0].messages[-1].text == Doc(topic="t").model_dump_json(indent=2)


async def test_a_tool_step_validates_its_input_and_returns_the_tool_value() -> None:
    @tool
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    flow = sequence(step(add, input=lambda s: {"a": s["x"], "b": "2"}, output="sum"), name="t")
    result = await flow.run({"x": 40})
    assert result.state["sum"] == 42
    assert result.trace[1].kind == "tool"


async def test_a_step_object_gets_its_input_and_context() -> None:
    class Echo:
        name = "echo"

        async def run(self, input: Any, context: StepContext) -> str:
            scope = current_scope()
            assert scope is not None and scope.run_id == context.run_id
            context.metadata["seen"] = input
            return f"{input}:{context.path}:{context.deps}"

    result = await sequence(step(Echo(), input="topic", output="notes"), name="s").run(
        Doc(topic="t"), deps="D"
    )
    assert result.state.notes == "t:s/echo:D"


async def test_a_nested_workflow_runs_at_the_leafs_path_on_the_same_state() -> None:
    inner = sequence(step(count, output="words"), name="inner")
    result = await sequence(step(inner), name="outer").run(Doc(topic="t", notes="a b c"))
    assert result.state.words == 3
    assert [r.path for r in result.trace] == [
        "outer",
        "outer/inner",
        "outer/inner",
        "outer/inner/count",
    ]


async def test_a_nested_workflow_with_input_works_on_its_own_state() -> None:
    inner = sequence(step(lambda s: s["n"] * 2, name="double", output="n"), name="inner")
    flow = sequence(step(inner, input=lambda s: {"n": s["n"]}, output="twice"), name="o")
    result = await flow.run({"n": 4})
    assert result.state == {"n": 4, "twice": 8}


async def test_a_context_step_can_report_usage() -> None:
    from llmkit.types import Usage

    def spend(state: Any, context: StepContext) -> None:
        context.add_usage(Usage(input_tokens=3, output_tokens=2, requests=1))

    result = await sequence(step(spend), name="s").run({})
    assert result.usage.total_tokens == 5 and result.usage.requests == 1
    assert result.trace[1].usage.requests == 1


def test_render_input() -> None:
    message = Message.user("hi")
    assert render_input("text") == "text"
    assert render_input(message) is message
    assert render_input({"a": "é"}) == '{\n  "a": "é"\n}'
    assert render_input([1, 2]) == "[\n  1,\n  2\n]"
    assert render_input(Doc(topic="t")) == Doc(topic="t").model_dump_json(indent=2)
    assert render_input(3.5) == "3.5"


def test_run_sync_works() -> None:
    result = sequence(step(count, output="words"), name="s").run_sync(Doc(topic="t", notes="a b"))
    assert result.state.words == 2

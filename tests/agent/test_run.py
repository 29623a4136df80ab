"""The agent loop through ScriptedModel/FunctionModel: tools, history, instructions, deps, sync twins."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from llmkit import Agent, Message, Request, RunContext, ToolCall, tool
from llmkit.errors import MaxStepsExceeded, UsageError
from llmkit.events import RunEnd
from llmkit.run import RunResult
from llmkit.testing import FunctionModel, ScriptedModel, tool_call

pytestmark = pytest.mark.anyio


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


async def test_tool_loop_output_messages_usage_steps() -> None:
    model = ScriptedModel([tool_call("add", a=2, b=3), "The sum is 5."])
    agent = Agent(model, instructions="Be brief.", tools=[add])
    result = await agent.run("What is 2+3?")
    assert result.output == "The sum is 5."
    assert [m.role for m in result.messages] == ["user", "assistant", "tool", "assistant"]
    assert result.messages[2].tool_results[0].content == "5"
    assert result.usage.requests == 2
    assert result.usage.input_tokens > 0 and result.usage.output_tokens > 0
    assert len(result.steps) == 2
    first, second = result.steps
    assert [c.name for c in first.tool_calls] == ["add"]
    assert [r.content for r in first.tool_results] == ["5"]
    assert second.tool_calls == [] and second.response.text == "The sum is 5."
    assert first.usage + second.usage == result.usage
    assert result.status == "complete" and result.agent == "agent" and result.run_id
    # The model got the tool spec, and the instructions as a leading system message.
    sent = model.requests[0]
    assert [t.name for t in sent.tools] == ["add"]
    assert sent.messages[0] == Message.system("Be brief.")


async def test_instructions_are_not_stored_in_the_history() -> None:
    model = ScriptedModel(["Hi.", "Still here."])
    agent = Agent(model, instructions="Be brief.")
    first = await agent.run("hello")
    assert all(m.role != "system" for m in first.messages)
    second = await agent.run("and?", message_history=first.messages)
    assert second.history_length == 2
    assert [m.text for m in second.new_messages] == ["and?", "Still here."]
    assert [m.role for m in model.requests[1].messages] == ["system", "user", "assistant", "user"]
    assert len(first.messages) == 2  # the history passed in is not changed


async def test_settings_changed_after_a_run_apply_from_the_next_run() -> None:
    model = ScriptedModel([tool_call("add", a=1, b=1), "Two.", "Hi.", tool_call("add", a=1, b=1)])
    agent = Agent(model, instructions="Be brief.", tools=[add])
    assert (await agent.run("1+1?")).output == "Two."
    agent.instructions = "Be kind."
    agent.name = "kind"
    second = await agent.run("hello")
    assert model.requests[2].messages[0] == Message.system("Be kind.")
    assert second.agent == "kind" and second.steps[0].agent == "kind"
    agent.max_steps = 1
    with pytest.raises(MaxStepsExceeded, match="max_steps=1"):
        await agent.run("1+1 again?")


async def test_history_moves_between_agents() -> None:
    first = await Agent(ScriptedModel(["A says hi."]), instructions="You are A.").run("hi")
    model_b = ScriptedModel(["B answers."])
    await Agent(model_b, instructions="You are B.").run("and you?", message_history=first.messages)
    texts = [m.text for m in model_b.requests[0].messages]
    assert texts == ["You are B.", "hi", "A says hi.", "and you?"]


async def test_literal_braces_in_text_and_instructions_are_kept() -> None:
    model = ScriptedModel(["ok"])
    agent = Agent(model, instructions="Reply with {json} like {}.")
    await agent.run("Here is {not a template} and {0} and {}")
    messages = model.requests[0].messages
    assert messages[0].text == "Reply with {json} like {}."
    assert messages[1].text == "Here is {not a template} and {0} and {}"


async def test_dynamic_instructions_and_typed_deps() -> None:
    seen: list[str] = []

    async def instructions(ctx: RunContext[str]) -> str:
        return f"The user is {ctx.deps}; step {ctx.step}."

    @tool
    def whoami(ctx: RunContext[str]) -> str:
        """Who is asking."""
        seen.append(ctx.deps)
        assert ctx.tool_call is not None and ctx.tool_call.name == "whoami"
        return ctx.deps

    model = ScriptedModel([tool_call("whoami"), "You are alice."])
    agent = Agent(model, instructions=instructions, tools=[whoami], deps="default")
    result = await agent.run("who am i?", deps="alice")
    assert result.output == "You are alice." and seen == ["alice"]
    assert model.requests[0].messages[0].text == "The user is alice; step 1."
    assert model.requests[1].messages[0].text == "The user is alice; step 2."


async def test_parallel_tool_calls_run_concurrently() -> None:
    started = asyncio.Event()
    both = asyncio.Barrier(2)

    @tool
    async def wait(n: int) -> int:
        """Wait for the other call."""
        started.set()
        await asyncio.wait_for(both.wait(), 60)
        return n

    model = ScriptedModel([[tool_call("wait", n=1), tool_call("wait", n=2)], "done"])
    result = await Agent(model, tools=[wait]).run("go")
    assert [r.content for r in result.steps[0].tool_results] == ["1", "2"]
    ids = [c.id for c in result.steps[0].tool_calls]
    assert [r.call_id for r in result.messages[2].tool_results] == ids


async def test_input_as_message_or_parts_and_history_only() -> None:
    model = FunctionModel(lambda request: request.messages[-1].text or "empty")
    agent = Agent(model)
    assert (await agent.run(Message.user("as a message"))).output == "as a message"
    assert (await agent.run(["two ", "parts"])).output == "two parts"
    history = [Message.user("from history")]
    assert (await agent.run(message_history=history)).output == "from history"
    with pytest.raises(UsageError, match="Nothing to run"):
        await agent.run()


async def test_model_string_resolves_once_on_first_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    agent = Agent("openai/gpt-4.1-mini")
    assert agent.model == "openai/gpt-4.1-mini"
    with agent.override(model=ScriptedModel(["overridden"])):
        assert (await agent.run("hi")).output == "overridden"
    assert agent.model == "openai/gpt-4.1-mini"  # not resolved by the overridden run
    resolved = agent._model_now()
    assert agent._model_now() is resolved and agent.model is resolved


def test_run_sync_works_inside_a_running_event_loop() -> None:
    agent = Agent(ScriptedModel(["from sync"]))

    async def inside() -> str:
        return agent.run_sync("hi").output

    assert asyncio.run(inside()) == "from sync"


def test_override_applies_to_sync_twins_in_this_thread_only() -> None:
    agent = Agent(ScriptedModel(["original"] * 3))
    with agent.override(model=ScriptedModel(["fake"] * 3), deps="test-deps"):
        assert agent.run_sync("hi").output == "fake"
        assert [type(e).__name__ for e in agent.stream_sync("hi")][-1] == "RunEnd"
        other: list[str] = []
        thread = threading.Thread(target=lambda: other.append(agent.run_sync("hi").output))
        thread.start()
        thread.join()
        assert other == ["original"]
    assert agent.run_sync("hi").output == "original"


async def test_override_deps_wins_and_reaches_tools() -> None:
    @tool
    def dep(ctx: RunContext[str]) -> str:
        """The deps."""
        return ctx.deps

    model = ScriptedModel([tool_call("dep"), "ok"] * 2)
    agent = Agent(model, tools=[dep], deps="real")
    with agent.override(deps="fake"):
        result = await agent.run("x", deps="given")
    assert result.messages[2].tool_results[0].content == "fake"
    result = await agent.run("x")
    assert result.messages[2].tool_results[0].content == "real"


async def test_override_run_id_names_the_runs_in_the_block_and_nests() -> None:
    agent = Agent(ScriptedModel(["original"] * 8))
    with agent.override(model=ScriptedModel(["fake"] * 8), run_id="outer"):
        assert (await agent.run("a")).run_id == "outer"
        with agent.override(run_id="inner"):
            result = await agent.run("b")
            assert (result.run_id, result.output) == ("inner", "fake")  # the model stays
            ends = [e for e in agent.stream_sync("c") if isinstance(e, RunEnd)]
            assert [e.run_id for e in ends] == [ends[0].result.run_id] == ["inner"]
        assert (await agent.run("d")).run_id == "outer"  # restored on leaving the block
    first, second = await agent.run("e"), await agent.run("f")
    assert first.output == "original"
    assert first.run_id != second.run_id and {first.run_id, second.run_id}.isdisjoint(
        {"outer", "inner"}
    )


async def test_override_run_id_applies_to_a_model_free_agent() -> None:
    @tool
    def echo(text: str) -> str:
        """Echo."""
        return text

    agent = Agent.from_tool(echo)
    with agent.override(run_id="fixed"):
        assert (await agent.run("hi")).run_id == "fixed"
        events = [e async for e in agent.stream("hi")]
        assert {getattr(e, "run_id", None) for e in events} == {"fixed"}
    assert (await agent.run("hi")).run_id != "fixed"


async def test_a_resumed_run_keeps_its_id_inside_override_run_id() -> None:
    @tool(requires_approval=True)
    def wipe() -> str:
        """Wipe the disk."""
        return "wiped"

    agent = Agent(ScriptedModel([tool_call("wipe"), "done"]), tools=[wipe])
    paused = await agent.run("go")
    with agent.override(run_id="other"):
        done = await agent.resume(paused, approvals={paused.pending[0].id: True})
    assert done.output == "done" and done.run_id == paused.run_id != "other"


@pytest.mark.parametrize("run_id", ["", 7, None])
def test_override_run_id_takes_a_non_empty_string(run_id: Any) -> None:
    agent = Agent(ScriptedModel([]))
    taken = r"override\(run_id=\.\.\.\) takes a non-empty string"
    with pytest.raises(UsageError, match=taken), agent.override(run_id=run_id):
        pass


async def test_an_override_block_entered_twice_is_refused_and_the_outer_one_stays() -> None:
    agent = Agent(ScriptedModel(["fake"] * 4))
    block = agent.override(run_id="outer")
    with block:
        with pytest.raises(UsageError, match="already active"), block:
            pass
        assert (await agent.run("hi")).run_id == "outer"
    assert (await agent.run("hi")).run_id != "outer"
    with block:
        assert (await agent.run("hi")).run_id == "outer"


def test_an_override_is_checked_when_entered_not_when_made() -> None:
    agent = Agent(ScriptedModel([]))
    block = agent.override(run_id="")
    with pytest.raises(UsageError, match="non-empty string"), block:
        pass


def test_misconfiguration_is_a_usage_error() -> None:
    @tool(name="add")
    def add_again(a: int) -> int:
        return a

    with pytest.raises(UsageError, match="Two tools are named 'add'"):
        Agent(ScriptedModel([]), tools=[add, add_again])
    with pytest.raises(UsageError, match="tools= takes"):
        Agent(ScriptedModel([]), tools=[42])  # type: ignore[list-item]
    with pytest.raises(UsageError, match="max_steps"):
        Agent(ScriptedModel([]), max_steps=0)
    with pytest.raises(UsageError, match="Unknown model_settings: temp"):
        Agent(ScriptedModel([]), model_settings={"temp": 1})
    with pytest.raises(UsageError, match="has no model"):
        Agent().run_sync("hi")

    @tool(name="final_result")
    def clash() -> None: ...

    with pytest.raises(UsageError, match="taken by the final-result tool"):
        Agent(ScriptedModel([]), tools=[clash], output_type=int)


async def test_model_settings_reach_the_request() -> None:
    model = ScriptedModel(["ok"])
    await Agent(model, model_settings={"temperature": 0.1, "max_tokens": 50}).run("x")
    request: Request = model.requests[0]
    assert request.temperature == 0.1 and request.max_tokens == 50


async def test_result_keeps_the_raw_tool_call() -> None:
    model = ScriptedModel([ToolCall("id-7", "add", {"a": 1, "b": 1}), "2"])
    result: RunResult[str] = await Agent(model, tools=[add]).run("1+1")
    assert result.steps[0].tool_calls[0].id == "id-7"
    assert result.messages[2].tool_results[0].call_id == "id-7"


async def test_one_agent_serves_concurrent_runs() -> None:
    def answer(request: Request) -> object:
        last = request.messages[-1]
        if last.role == "user":
            n = int(last.text)
            return tool_call("add", a=n, b=n)
        return f"double is {last.tool_results[0].text}"

    agent = Agent(FunctionModel(answer), tools=[add])
    results = await asyncio.gather(*(agent.run(str(n)) for n in range(50)))
    assert [r.output for r in results] == [f"double is {2 * n}" for n in range(50)]
    assert len({r.run_id for r in results}) == 50

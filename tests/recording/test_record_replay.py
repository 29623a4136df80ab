"""Recording agent runs and replaying them: same result, no network, no tool side effects."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import llmkit
from llmkit import Agent, Message, tool
from llmkit.errors import ReplayDivergence, ServerError, ToolExecutionError
from llmkit.hooks import Hook, HookContext
from llmkit.http import RetryPolicy
from llmkit.recording import Recording, record, replay
from llmkit.testing import FakeProviderServer, Fault, ScriptedModel, tool_call
from llmkit.types import ToolCall

pytestmark = pytest.mark.anyio

KEY = "sk-recording-0123456789abcdefghij"
ran: list[str] = []


@tool(run_in_thread=False)
def get_weather(city: str) -> dict[str, Any]:
    """Current weather in a city."""
    ran.append(city)
    return {"city": city, "temperature_c": 18}


@tool(run_in_thread=False)
def local_time(city: str) -> str:
    """Local time in a city."""
    ran.append(f"time:{city}")
    return "14:05"


@pytest.fixture(autouse=True)
def _clear() -> None:
    ran.clear()


def http_agent(server: FakeProviderServer, **options: Any) -> Agent[Any]:
    model = llmkit.model(
        "openai/gpt-4.1-mini",
        base_url=server.openai_base_url,
        api_key=KEY,
        retry=RetryPolicy(max_retries=0),
    )
    options.setdefault("tools", [get_weather, local_time])
    options.setdefault("instructions", "Be brief.")
    return Agent(model, name="weather", **options)


def offline_agent(**options: Any) -> Agent[Any]:
    """The same agent, as another process would build it: a model string nobody resolves."""
    options.setdefault("tools", [get_weather, local_time])
    options.setdefault("instructions", "Be brief.")
    return Agent("openai/gpt-4.1-mini", name="weather", **options)


SCRIPT = [
    [tool_call("get_weather", city="Paris"), tool_call("local_time", city="Paris")],
    "It is 18 °C at 14:05 in Paris.",
]


async def test_a_recorded_run_with_tools_replays_to_an_identical_result(
    llmkit_fake_server: FakeProviderServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "run.jsonl"
    llmkit_fake_server.script(SCRIPT)
    history = [Message.user("Hi"), Message.assistant("Hello!")]
    with record(path) as recorder:
        original = await http_agent(llmkit_fake_server).run("Paris?", message_history=history)
    assert sorted(ran) == ["Paris", "time:Paris"]
    assert recorder.lines == 11  # the header, then 10 events
    ran.clear()
    llmkit_fake_server.reset()
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    replayed = await Recording.load(path).replay(offline_agent())
    assert replayed == original
    assert ran == []  # no tool ran
    assert llmkit_fake_server.requests == []  # nothing reached the network


def test_the_sync_replay_and_the_recorded_result(
    llmkit_fake_server: FakeProviderServer, tmp_path: Path
) -> None:
    path = tmp_path / "run.jsonl"
    llmkit_fake_server.script(SCRIPT)
    with record(path):
        original = http_agent(llmkit_fake_server).run_sync("Paris?")
    recording = Recording.load(path)
    run = recording.run()
    assert run.run_id == original.run_id and run.agent == "weather"
    assert run.model == "openai/gpt-4.1-mini"
    assert [m.text for m in run.input] == ["Paris?"]
    assert run.result == original
    assert [c.request.line for c in run.model_calls()] == [3, 9]
    assert sorted(run.tool_calls()) == ["call_1", "call_2"]
    assert replay(path, offline_agent()) == original


async def test_the_file_is_json_lines_with_a_versioned_header_in_order(
    llmkit_fake_server: FakeProviderServer, tmp_path: Path
) -> None:
    path = tmp_path / "run.jsonl"
    llmkit_fake_server.script(SCRIPT)
    async with record(path):
        await http_agent(llmkit_fake_server).run("Paris?")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0]["llmkit_recording"] == 1 and lines[0]["llmkit"] == llmkit.__version__
    topics = [line["topic"] for line in lines[1:]]
    assert topics[:3] == ["run.start", "model.request", "model.response"]
    assert topics[3:7].count("tool.call") == 2 and topics[3:7].count("tool.result") == 2
    assert topics[7:] == ["model.request", "model.response", "run.end"]
    times = [line["t"] for line in lines[1:]]
    assert times == sorted(times)


async def test_secrets_are_redacted_in_the_recording(
    llmkit_fake_server: FakeProviderServer, tmp_path: Path
) -> None:
    path = tmp_path / "run.jsonl"
    secret = "sk-" + "proj-not-a-real-key-" + "z" * 12
    llmkit_fake_server.script(["Noted."])
    with record(path):
        await http_agent(llmkit_fake_server, tools=[]).run(f"Remember {secret}")
    text = path.read_text()
    assert secret not in text and KEY not in text and "[redacted]" in text


async def test_a_streamed_run_replays_too(
    llmkit_fake_server: FakeProviderServer, tmp_path: Path
) -> None:
    path = tmp_path / "run.jsonl"
    llmkit_fake_server.script(SCRIPT)
    with record(path):
        events = [e async for e in http_agent(llmkit_fake_server).stream("Paris?")]
    original = events[-1].result  # type: ignore[union-attr]
    replayed = [e async for e in _replay_stream(path)]
    # The lower-level parts leave the run id alone (Recording.replay keeps it too).
    assert replace(replayed[-1].result, run_id=original.run_id) == original  # type: ignore[union-attr]


async def _replay_stream(path: Path) -> Any:
    recording = Recording.load(path)
    agent = offline_agent()
    run = recording.run()
    with agent.override(model=recording.replay_model()):
        async for event in agent.stream(run.input[-1], hooks=[recording.replay_tools()]):
            yield event


class Weather(BaseModel):
    city: str
    temperature_c: int


async def test_structured_output_replays_to_an_equal_value(
    llmkit_fake_server: FakeProviderServer, tmp_path: Path
) -> None:
    path = tmp_path / "run.jsonl"
    llmkit_fake_server.script(
        [tool_call("get_weather", city="Paris"), '{"city": "Paris", "temperature_c": 18}']
    )
    with record(path):
        original = await http_agent(llmkit_fake_server, output_type=Weather).run("Paris?")
    agent = offline_agent(output_type=Weather)
    replayed = await Recording.load(path).replay(agent)
    assert replayed.output == Weather(city="Paris", temperature_c=18)
    assert replayed == original == Recording.load(path).run().result_for(agent)


async def test_only_runs_inside_the_block_are_recorded_each_with_its_own_id(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    agent = Agent(ScriptedModel(["a", "b", "c", "d"]))
    await agent.run("before")
    with record(path):
        first, second = await asyncio.gather(agent.run("one"), agent.run("two"))
    await agent.run("after")
    runs = Recording.load(path).runs
    assert {r.run_id for r in runs} == {first.run_id, second.run_id}
    assert sorted(m.text for r in runs for m in r.input) == ["one", "two"]


async def test_hooks_run_again_around_the_recorded_answers(tmp_path: Path) -> None:
    class Upper(Hook):
        def after_tool(self, ctx: HookContext, call: ToolCall, result: Any) -> Any:
            result.content = result.text.upper()
            return result

    path = tmp_path / "run.jsonl"
    model = ScriptedModel([tool_call("local_time", city="Oslo"), "Done."])
    with record(path):
        original = await Agent(model, tools=[local_time], hooks=[Upper()]).run("Time?")
    assert original.messages[2].tool_results[0].text == "14:05"
    replayed = await Recording.load(path).replay(
        Agent(ScriptedModel([]), tools=[local_time], hooks=[Upper()])
    )
    assert replayed == original


# ------------------------------------------------------------------ divergence


async def test_a_changed_request_raises_replay_divergence_naming_the_line(
    llmkit_fake_server: FakeProviderServer, tmp_path: Path
) -> None:
    path = tmp_path / "run.jsonl"
    llmkit_fake_server.script(SCRIPT)
    with record(path):
        await http_agent(llmkit_fake_server).run("Paris?")
    changed = offline_agent(instructions="Be very brief.")
    with pytest.raises(ReplayDivergence) as caught:
        await Recording.load(path).replay(changed)
    err = caught.value
    assert type(err) is ReplayDivergence
    assert err.line == 3
    assert err.diff == ('messages[0].parts[0].text: recorded "Be brief.", now "Be very brief."')
    assert "line 3" in str(err) and str(path) in str(err)
    assert [m.text for m in err.messages] == ["Paris?"]  # nothing lost


async def test_a_changed_tool_call_raises_replay_divergence(
    llmkit_fake_server: FakeProviderServer, tmp_path: Path
) -> None:
    class Rewrite(Hook):
        def before_tool(self, ctx: HookContext, call: ToolCall) -> dict[str, str]:
            return {"city": "Lyon"}

    path = tmp_path / "run.jsonl"
    llmkit_fake_server.script(SCRIPT)
    with record(path):
        await http_agent(llmkit_fake_server).run("Paris?")
    ran.clear()
    with pytest.raises(ReplayDivergence) as caught:
        await Recording.load(path).replay(offline_agent(hooks=[Rewrite()]))
    assert caught.value.line in (4, 5)
    assert caught.value.diff == 'arguments.city: recorded "Paris", now "Lyon"'
    assert ran == []


async def test_more_model_calls_than_recorded_raise_replay_divergence(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with record(path):
        await Agent(ScriptedModel(["Done."])).run("hi")

    class Again(Hook):
        def after_model(self, ctx: HookContext, request: Any, response: Any) -> Any:
            return llmkit.Response(llmkit.Message.assistant(tool_calls=[ToolCall("c9", "nope")]))

    with pytest.raises(ReplayDivergence, match="more often"):
        await Recording.load(path).replay(Agent(ScriptedModel([]), hooks=[Again()]))


async def test_a_failed_run_replays_to_the_same_error(
    llmkit_fake_server: FakeProviderServer, tmp_path: Path
) -> None:
    path = tmp_path / "run.jsonl"
    llmkit_fake_server.script([Fault.status(500)])
    with record(path), pytest.raises(ServerError):
        await http_agent(llmkit_fake_server).run("Paris?")
    recording = Recording.load(path)
    assert recording.run().result is None
    assert recording.run().error is not None
    with pytest.raises(ServerError):
        await recording.replay(offline_agent())


async def test_a_tool_that_raised_raises_again_on_replay(tmp_path: Path) -> None:
    @tool(errors="raise", run_in_thread=False)
    def explode(city: str) -> str:
        """Always fails."""
        ran.append("explode")
        raise RuntimeError("kaboom")

    path = tmp_path / "run.jsonl"
    model = ScriptedModel([tool_call("explode", city="X"), "never"])
    with record(path), pytest.raises(ToolExecutionError):
        await Agent(model, tools=[explode]).run("go")
    ran.clear()
    with pytest.raises(ToolExecutionError, match="kaboom"):
        await Recording.load(path).replay(Agent(ScriptedModel([]), tools=[explode]))
    assert ran == []


async def test_handoffs_replay_with_each_agents_model(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    billing = Agent(ScriptedModel(["Refunded."]), name="billing")
    triage = Agent(
        ScriptedModel([tool_call("transfer_to_billing")]), name="triage", handoffs=[billing]
    )
    with record(path):
        original = await triage.run("Refund please")
    billing2 = Agent("openai/gpt-4.1-mini", name="billing")
    triage2 = Agent("openai/gpt-4.1-mini", name="triage", handoffs=[billing2])
    assert await Recording.load(path).replay(triage2) == original


async def test_replay_overrides_the_agents_only_while_it_runs(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    billing = Agent(ScriptedModel(["Refunded."]), name="billing")
    triage = Agent(
        ScriptedModel([tool_call("transfer_to_billing")]), name="triage", handoffs=[billing]
    )
    with record(path):
        original = await triage.run("Refund please")
    billing2 = Agent("openai/gpt-4.1-mini", name="billing")
    triage2 = Agent("openai/gpt-4.1-mini", name="triage", handoffs=[billing2])
    with billing2.override(model=ScriptedModel(["Outer."])):
        assert await Recording.load(path).replay(triage2) == original
        after = await billing2.run("Again")  # the outer override is back, with a new run id
    assert after.output == "Outer." and after.run_id != original.run_id

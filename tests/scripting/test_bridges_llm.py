"""The llm, agent, tools, events and promise modules, through real scripts against the fake server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from llmkit.scripting import ScriptError, lua
from llmkit.testing import FakeProviderServer, tool_call
from llmkit.types import Request

pytestmark = pytest.mark.anyio


@pytest.fixture
def server() -> Iterator[FakeProviderServer]:
    with FakeProviderServer() as s:
        yield s


def _engine(server: FakeProviderServer, **options: Any) -> lua.Engine:
    engine = lua.Engine(**options)
    engine.expose("BASE", server.openai_base_url)
    return engine


MODEL = 'model = "openai/gpt-4.1-mini", base_url = BASE, api_key = "test"'


async def test_generate_returns_text_and_usage(server: FakeProviderServer) -> None:
    server.script(["Hello from the model."])
    with _engine(server) as engine:
        result = await engine.run(
            f"local r = llm.generate{{ {MODEL}, prompt = 'hi', system = 'Be brief.' }}\nreturn r"
        )
    assert result.value["text"] == "Hello from the model."
    assert result.value["usage"]["total_tokens"] > 0
    body = server.requests[-1].json
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}


async def test_stream_with_a_callback_and_as_an_iterator(server: FakeProviderServer) -> None:
    server.script(["one two three", "four five"])
    code = f"""
      local pieces = {{}}
      local text = llm.stream({{ {MODEL}, prompt = 'a' }}, function(p) pieces[#pieces + 1] = p end)
      local s = llm.stream{{ {MODEL}, prompt = 'b' }}
      local again = {{}}
      for piece in s.next, s do again[#again + 1] = piece end
      return {{ text, #pieces > 1, table.concat(again) }}"""
    with _engine(server) as engine:
        assert (await engine.run(code)).value == ["one two three", True, "four five"]


async def test_embed_gives_one_vector_per_input(server: FakeProviderServer) -> None:
    code = """local v = llm.embed{ model = "openai/text-embedding-3-small", base_url = BASE,
                api_key = "test", input = { "a", "b" } }
              return { #v, #v[1] }"""
    with _engine(server) as engine:
        assert (await engine.run(code)).value == [2, 8]


async def test_an_agent_runs_a_lua_tool_and_a_builtin(server: FakeProviderServer) -> None:
    server.script(
        [tool_call("square", x=12), tool_call("calculator", expression="2+3"), "144 and 5."]
    )
    code = f"""
      local calc = tools.define{{ name = "square", description = "Square a number",
        parameters = {{ x = "number" }}, run = function(args) return args.x * args.x end }}
      local agent = llm.agent{{ {MODEL}, instructions = "Be brief.", tools = {{ "calculator", calc }} }}
      local r = agent:run("What is 12 squared?")
      return {{ output = r.output, steps = r.steps, tokens = r.usage.total_tokens }}"""
    with _engine(server) as engine:
        result = await engine.run(code)
    assert result.value["output"] == "144 and 5."
    assert result.value["steps"] == 3
    tool_results = [m for m in server.requests[-1].json["messages"] if m["role"] == "tool"]
    assert [m["content"] for m in tool_results] == ["144", "5"]


async def test_a_lua_error_in_a_tool_is_an_error_result_and_the_run_goes_on(
    server: FakeProviderServer,
) -> None:
    server.script([tool_call("boom", x=1), "Recovered."])
    code = f"""
      local boom = tools.define{{ name = "boom", parameters = {{ x = "number" }},
        run = function(args) error("the tool broke") end }}
      local agent = llm.agent{{ {MODEL}, tools = {{ boom }} }}
      return agent:run("go").output"""
    with _engine(server) as engine:
        assert (await engine.run(code)).value == "Recovered."
    tool_message = next(m for m in server.requests[-1].json["messages"] if m["role"] == "tool")
    assert "the tool broke" in tool_message["content"]


async def test_structured_output_from_a_schema_table(server: FakeProviderServer) -> None:
    server.script(['{"title": "Tides", "score": 0.5, "tags": ["sea"]}'])
    code = f"""
      local agent = llm.agent{{ {MODEL}, output = {{ title = "string", score = "number", tags = {{ "string" }} }} }}
      return agent:run("rate it").output"""
    with _engine(server) as engine:
        assert (await engine.run(code)).value == {"title": "Tides", "score": 0.5, "tags": ["sea"]}


async def test_handoffs_between_lua_agents(server: FakeProviderServer) -> None:
    server.script([tool_call("transfer_to_billing"), "Billing here."])
    code = f"""
      local billing = llm.agent{{ {MODEL}, name = "billing", description = "Bills" }}
      local triage = llm.agent{{ {MODEL}, name = "triage", handoffs = {{ billing }} }}
      local r = triage:run("my bill")
      return {{ r.output, r.agent }}"""
    with _engine(server) as engine:
        assert (await engine.run(code)).value == ["Billing here.", "billing"]


async def test_agent_stream_with_a_callback(server: FakeProviderServer) -> None:
    server.script(["streamed answer here"])
    code = f"""
      local agent = llm.agent{{ {MODEL} }}
      local pieces = {{}}
      local r = agent:stream("go", function(p) pieces[#pieces + 1] = p end)
      return {{ table.concat(pieces), r.output }}"""
    with _engine(server) as engine:
        assert (await engine.run(code)).value == ["streamed answer here", "streamed answer here"]


async def test_promise_all_runs_requests_at_once(server: FakeProviderServer) -> None:
    both_in = asyncio.Event()
    inside = 0
    peak = 0

    async def answer(request: Request) -> str:
        nonlocal inside, peak
        inside += 1
        peak = max(peak, inside)
        if inside == 2:
            both_in.set()
        await asyncio.wait_for(both_in.wait(), 10)  # alone, it would wait for ever
        inside -= 1
        return "answer to " + request.messages[-1].text

    server.script(answer)
    code = f"""
      local agent = llm.agent{{ {MODEL} }}
      local answers = promise.all{{ agent:run_async("Define tides"), agent:run_async("Risks of tides") }}
      return {{ answers[1].output, answers[2].output }}"""
    with _engine(server) as engine:
        result = await engine.run(code)
    assert result.value == ["answer to Define tides", "answer to Risks of tides"]
    assert peak == 2


async def test_promise_race_and_sleep(server: FakeProviderServer) -> None:
    code = """
      local slow = promise.spawn(function() promise.sleep(5) return "slow" end)
      local fast = promise.spawn(function() promise.sleep(0) return "fast" end)
      return { promise.race{ slow, fast }, slow:done() }"""
    with _engine(server) as engine:
        assert (await engine.run(code)).value == ["fast", False]


async def test_an_awaited_error_is_raised_in_the_script(server: FakeProviderServer) -> None:
    code = """
      local p = promise.spawn(function() error("inner failure") end)
      local ok, err = pcall(function() return p:await() end)
      return { ok, err }"""
    with _engine(server) as engine:
        value = (await engine.run(code)).value
    assert value[0] is False
    assert "inner failure" in value[1]


async def test_events_on_sees_tool_events_and_script_events(server: FakeProviderServer) -> None:
    server.script([tool_call("calculator", expression="1+1"), "2"])
    code = f"""
      local seen = {{}}
      events.on("tool.*", function(e) seen[#seen + 1] = e.topic end)
      events.on("report.*", function(e) seen[#seen + 1] = e.topic .. ":" .. e.data.n end)
      local agent = llm.agent{{ {MODEL}, tools = {{ "calculator" }} }}
      agent:run("1+1?")
      events.publish("report.ready", {{ n = 3 }})
      promise.sleep(0)
      return seen"""
    with _engine(server) as engine:
        result = await engine.run(code)
        assert sorted(result.value) == ["report.ready:3", "tool.call", "tool.result"]
        assert engine.bus.subscriptions == []


async def test_model_options_are_checked(server: FakeProviderServer) -> None:
    with _engine(server) as engine, pytest.raises(ScriptError, match="unknown option colour"):
        await engine.run(f"llm.agent{{ {MODEL}, colour = 'red' }}")


async def test_an_engine_model_replaces_every_model_the_script_names() -> None:
    from llmkit.testing import ScriptedModel

    with lua.Engine(model=ScriptedModel(["scripted"])) as engine:
        result = await engine.run('return llm.agent{ model = "openai/none" }:run("hi").output')
    assert result.value == "scripted"


async def test_lua_hooks_see_each_call_and_can_stop_a_run(server: FakeProviderServer) -> None:
    server.script([tool_call("calculator", expression="1+1"), "2", "never sent"])
    code = f"""
      local seen = {{}}
      local watch = hooks.define{{
        before_model = function(ctx, request) seen[#seen + 1] = ctx.kind .. ":" .. #request.messages end,
        after_tool = function(ctx, call, result) seen[#seen + 1] = call.name .. ":" .. result.text end,
      }}
      local agent = llm.agent{{ {MODEL}, tools = {{ "calculator" }}, hooks = {{ watch }} }}
      agent:run("1+1?")
      local stop = hooks.define{{ name = "no-more", before_model = function() error("budget spent") end }}
      local ok, err = pcall(function() return llm.agent{{ {MODEL}, hooks = {{ stop }} }}:run("again") end)
      return {{ seen, ok, err }}"""
    with _engine(server) as engine:
        seen, ok, err = (await engine.run(code)).value
    assert seen == ["model:1", "calculator:2", "model:3"]
    assert ok is False
    assert "HookError" in err
    assert "budget spent" in err


async def test_an_agent_is_a_tool_of_another(server: FakeProviderServer) -> None:
    server.script([tool_call("helper", input="sub task"), "helper says hi", "done: helper says hi"])
    code = f"""
      local helper = llm.agent{{ {MODEL}, name = "helper", description = "Helps" }}
      local boss = llm.agent{{ {MODEL}, tools = {{ helper }} }}
      return boss:run("delegate").output"""
    with _engine(server) as engine:
        assert (await engine.run(code)).value == "done: helper says hi"


async def test_prompt_renders_templates_whose_values_stay_data(server: FakeProviderServer) -> None:
    code = """
      local text = prompt.render("Hi {{ name }}", { name = "{{ evil }}" })
      local msgs = prompt.messages({ system = "You are {{ role }}.", user = "{{ q }}" }, { role = "a tutor", q = "2+2?" })
      local ok, err = pcall(prompt.render, "Hi {{ missing }}", {})
      return { text, msgs, ok }"""
    with _engine(server) as engine:
        text, msgs, ok = (await engine.run(code)).value
    assert text == "Hi {{ evil }}"
    assert msgs == [
        {"role": "system", "text": "You are a tutor."},
        {"role": "user", "text": "2+2?"},
    ]
    assert ok is False


async def test_builtin_families_take_their_settings(
    tmp_path: Any, server: FakeProviderServer
) -> None:
    (tmp_path / "note.txt").write_text("tides twice a day")
    server.script([tool_call("read_file", path="note.txt"), "It says tides."])
    code = f"""
      local files = tools.builtin("files", {{ root = ROOT }})
      local ok, err = pcall(tools.builtin, "http")
      local r = llm.agent{{ {MODEL}, tools = {{ files }} }}:run("read it")
      return {{ #files > 0, ok, err, r.output }}"""
    with _engine(server) as engine:
        engine.expose("ROOT", str(tmp_path))
        has_files, ok, err, output = (await engine.run(code)).value
    assert has_files is True
    assert ok is False
    assert "allow_hosts" in err
    assert output == "It says tides."
    tool_message = next(m for m in server.requests[-1].json["messages"] if m["role"] == "tool")
    assert "tides twice a day" in tool_message["content"]

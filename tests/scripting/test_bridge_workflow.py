"""The workflow module: workflows built, loaded and run from real Lua scripts on the fake server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llmkit.scripting import ScriptError, ScriptSandboxError, lua
from llmkit.testing import FakeProviderServer
from llmkit.types import Request

pytestmark = pytest.mark.anyio

MODEL = 'model = "openai/gpt-4.1-mini", base_url = BASE, api_key = "test"'


@pytest.fixture
def server() -> Iterator[FakeProviderServer]:
    with FakeProviderServer() as s:
        yield s


def _engine(server: FakeProviderServer, **options: Any) -> lua.Engine:
    engine = lua.Engine(**options)
    engine.expose("BASE", server.openai_base_url)
    return engine


async def test_every_combinator_over_script_functions(server: FakeProviderServer) -> None:
    code = """
      local flow = workflow.sequence{
        name = "demo",
        workflow.step(function(s) return #s.topic end, { name = "count", output = "n" }),
        workflow.parallel{ function(s) return s.n * 2 end, function(s) return s.n + 1 end,
                           output = "both" },
        workflow.branch{
          workflow.when("n > 3", workflow.step(function(s) return "long" end, { name = "long", output = "size" })),
          otherwise = workflow.step(function(s) return "short" end, { name = "short", output = "size" }) },
        workflow.loop(function(s) return { rounds = s.rounds + 1 } end,
                      { until_ = "rounds >= 3", max_iterations = 5, name = "edit" }),
        workflow.map(function(x) return x * 10 end, { over = "items", output = "tens" }),
      }
      local start = { topic = "tides", rounds = 0, items = { 1, 2, 3 } }
      local r = flow:run(start)
      return { r = r, untouched = start.rounds, name = flow.name, kind = flow.kind }"""
    with _engine(server) as engine:
        value = (await engine.run(code)).value
    r = value["r"]
    assert r["state"] == {
        "topic": "tides",
        "rounds": 3,
        "items": [1, 2, 3],
        "n": 5,
        "both": [10, 6],
        "size": "long",
        "tens": [10, 20, 30],
    }
    assert (r["output"], r["ok"], r["errors"]) == ([10, 20, 30], True, [])
    assert [t["path"] for t in r["trace"]][:4] == [
        "demo",
        "demo/count",
        "demo/both",
        "demo/both[0]/fn1",
    ]
    assert "demo/edit[2]/fn3" in [t["path"] for t in r["trace"]]
    assert (value["untouched"], value["name"], value["kind"]) == (0, "demo", "sequence")


async def test_agents_as_steps_and_a_parallel_that_overlaps_on_the_server(
    server: FakeProviderServer,
) -> None:
    both_in = asyncio.Event()
    inside = 0
    peak = 0

    async def answer(request: Request) -> str:
        nonlocal inside, peak
        text = request.messages[-1].text
        if text.startswith("critic"):
            inside += 1
            peak = max(peak, inside)
            if inside == 2:
                both_in.set()
            await asyncio.wait_for(both_in.wait(), 10)  # alone, it would wait for ever
            inside -= 1
        return "said: " + text

    server.script(answer)
    code = f"""
      local writer = llm.agent{{ {MODEL}, name = "writer" }}
      local critic = llm.agent{{ {MODEL}, name = "critic" }}
      local flow = workflow.sequence{{
        name = "article",
        workflow.step(writer, {{ input = "topic", output = "draft" }}),
        workflow.parallel{{
          workflow.step(critic, {{ name = "a", input = "'critic a: ' + draft" }}),
          workflow.step(critic, {{ name = "b", input = "'critic b: ' + draft" }}),
          output = "reviews" }},
      }}
      local r = flow:run{{ topic = "tides" }}
      return {{ r.state.draft, r.state.reviews, r.usage.requests }}"""
    with _engine(server) as engine:
        value = (await engine.run(code)).value
    assert value == [
        "said: tides",
        ["said: critic a: said: tides", "said: critic b: said: tides"],
        3,
    ]
    assert peak == 2


async def test_a_script_step_calls_a_model_inside_its_own_coroutine(
    server: FakeProviderServer,
) -> None:
    server.script(["one", "two"])
    code = f"""
      local function ask(s) return llm.generate{{ {MODEL}, prompt = s }}.text end
      local flow = workflow.map(ask, {{ over = "prompts", output = "answers", max_concurrency = 1 }})
      return flow:run{{ prompts = {{ "a", "b" }} }}.state.answers"""
    with _engine(server) as engine:
        assert (await engine.run(code)).value == ["one", "two"]


async def test_run_async_and_a_failed_run_is_an_error_the_script_catches(
    server: FakeProviderServer,
) -> None:
    code = """
      local ok_flow = workflow.step(function(s) return s.x + 1 end, { name = "inc", output = "y" })
      local p = ok_flow:run_async{ x = 1 }
      local bad = workflow.sequence{ workflow.step(function(s) error("no data") end, { name = "broken" }),
                                     name = "fails" }
      local ok, err = pcall(function() return bad:run{} end)
      local kept = workflow.sequence{
        workflow.step(function(s) error("skip me") end, { name = "maybe", on_error = "continue" }),
        name = "goes_on" }:run{}
      return { p:await().state.y, ok, err, kept.ok, kept.errors[1].path }"""
    with _engine(server) as engine:
        value = (await engine.run(code)).value
    assert value[0] == 2
    assert value[1] is False
    assert value[2].startswith("WorkflowError: ") and "fails/broken" in value[2]
    assert value[3:] == [False, "goes_on/maybe"]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("workflow.sequence{ 42 }", "a step is an agent, a tool, a workflow or a function"),
        ("workflow.sequence{ function() end, nmae = 'x' }", "unknown option nmae"),
        ("workflow.when(function() return true end, function() end)", "expression"),
        ("workflow.map(function() end, {})", 'over = "field"'),
        ("workflow.parallel{ function() end, merge = 'last' }", 'merge is "all" or "first"'),
        ("workflow.branch{ function() end }", "workflow.when"),
    ],
)
async def test_bad_definitions_fail_where_they_are_written(
    server: FakeProviderServer, code: str, message: str
) -> None:
    with _engine(server) as engine, pytest.raises(ScriptError, match=message) as caught:
        await engine.run(code)
    assert caught.value.line == 1


DEFINITION = """
name: scored
steps:
  - {function: measure, output: n}
  - {agent: writer, input: topic, output: text}
"""


def _script_with_definition(tmp_path: Path, load: str) -> Path:
    (tmp_path / "flow.yaml").write_text(DEFINITION)
    script = tmp_path / "run.lua"
    script.write_text(
        f"""local names = {{ measure = function(s) return #s.topic end,
                          writer = llm.agent{{ {MODEL} }} }}
        local flow = {load}
        local r = flow:run{{ topic = "tides" }}
        return {{ r.state.n, r.state.text, r.name }}"""
    )
    return script


async def test_load_a_definition_beside_the_script_in_standard(
    server: FakeProviderServer, tmp_path: Path
) -> None:
    server.script(["written"])
    script = _script_with_definition(tmp_path, 'workflow.load("flow.yaml", names)')
    with _engine(server, sandbox="standard") as engine:
        assert (await engine.run_file(script)).value == [5, "written", "scored"]


async def test_load_outside_the_script_folder_is_refused_in_standard(
    server: FakeProviderServer, tmp_path: Path
) -> None:
    (tmp_path / "outside.yaml").write_text(DEFINITION)
    inner = tmp_path / "scripts"
    inner.mkdir()
    script = _script_with_definition(inner, 'workflow.load("../outside.yaml", names)')
    with (
        _engine(server, sandbox="standard") as engine,
        pytest.raises(ScriptSandboxError, match="under the script's folder"),
    ):
        await engine.run_file(script)
    server.script(["written"])
    with _engine(server, sandbox="permissive") as engine:
        assert (await engine.run_file(script)).value[0] == 5


async def test_strict_reads_no_file_but_takes_the_text(
    server: FakeProviderServer, tmp_path: Path
) -> None:
    script = _script_with_definition(tmp_path, 'workflow.load("flow.yaml", names)')
    with _engine(server) as engine, pytest.raises(ScriptSandboxError, match="workflow.loads"):
        await engine.run_file(script)
    server.script(["from text"])
    with _engine(server) as engine:
        engine.expose("TEXT", DEFINITION)
        text = script.read_text().replace(
            'workflow.load("flow.yaml", names)', "workflow.loads(TEXT, names)"
        )
        script.write_text(text)
        assert (await engine.run_file(script)).value == [5, "from text", "scored"]


async def test_dump_writes_the_definition(server: FakeProviderServer) -> None:
    code = """
      local flow = workflow.sequence{ workflow.step(function(s) return 1 end, { name = "one", output = "x" }),
                                      name = "tiny" }
      return flow:dump("json")"""
    with _engine(server) as engine:
        text = (await engine.run(code)).value
    assert '"name": "tiny"' in text
    assert '"function": "one"' in text

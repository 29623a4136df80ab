"""The JavaScript engine: values, top-level await, errors with lines, host calls, the model bridges."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from llmkit.errors import UsageError
from llmkit.scripting import ScriptError, ScriptSyntaxError, create_engine, engine_for
from llmkit.scripting import javascript as js
from llmkit.testing import FakeProviderServer, tool_call

pytestmark = pytest.mark.anyio

MODEL = 'model: "openai/gpt-4.1-mini", base_url: BASE, api_key: "test"'


@pytest.fixture
def server() -> Iterator[FakeProviderServer]:
    with FakeProviderServer() as s:
        yield s


def _engine(server: FakeProviderServer, **options: Any) -> js.Engine:
    engine = js.Engine(**options)
    engine.expose("BASE", server.openai_base_url)
    return engine


def test_the_registry_picks_js_by_name_and_extension() -> None:
    assert engine_for("x.js") == engine_for("x.mjs") == "js"
    with create_engine("js") as engine:
        assert isinstance(engine, js.JsEngine)


async def test_values_round_trip_and_top_level_await() -> None:
    code = """const x = await Promise.resolve(2);
print("x is", x);
output({ list: [1, 2.5, "a", null], nested: { ok: true } });
return [x, params.name, await json.decode('{"a": [1]}')];"""
    with js.Engine() as engine:
        result = await engine.run(code, params={"name": "tides"})
    assert result.value == [2, "tides", {"a": [1]}]
    assert result.outputs == [{"list": [1, 2.5, "a", None], "nested": {"ok": True}}]
    assert result.printed == "x is\t2\n"


async def test_each_javascript_value_becomes_the_documented_python_value() -> None:
    code = """return [1, 2.5, 3.0, NaN, 10n, null, undefined, [undefined], { a: undefined },
  new Map([["a", 1]]), new Set([1, 2]), { 1: "x" }, new Date(0), new Uint8Array([104, 105]),
  new Uint8Array([1, 2]).buffer, Symbol("s"), await Promise.resolve(4)]"""
    with js.Engine() as engine:
        assert (await engine.run(code)).value == [
            1, 2.5, 3, None, 10, None, None, [None], {"a": None},
            {"a": 1}, [1, 2], {"1": "x"}, "1970-01-01T00:00:00.000Z", [104, 105],
            [1, 2], None, 4,
        ]  # fmt: skip


async def test_each_python_value_becomes_the_documented_javascript_value() -> None:
    def echo(value: object) -> object:
        return value

    marker = object()
    values = {"n": None, "i": 3, "f": float("nan"), "b": b"hi", "t": (1, 2), "d": {1: "a"}}
    code = """const seen = {};
for (const [k, v] of Object.entries(params)) seen[k] = [typeof v, Array.isArray(v), JSON.stringify(v)];
const p = echo(1);
seen.call = [typeof echo, p instanceof Promise, await p];
return [seen, await echo(params.o)];"""
    with js.Engine(globals={"echo": echo}) as engine:
        seen, back = (await engine.run(code, params={**values, "o": marker})).value
    assert seen == {
        "n": ["object", False, "null"],
        "i": ["number", False, "3"],
        "f": ["object", False, "null"],
        "b": ["string", False, '"hi"'],
        "t": ["object", True, "[1,2]"],
        "d": ["object", False, '{"1":"a"}'],
        "o": ["object", False, "{}"],
        "call": ["function", True, 1],
    }
    assert back is marker


async def test_an_error_points_at_the_scripts_line_and_keeps_the_host_cause() -> None:
    def fail() -> None:
        raise ValueError("no such thing")

    with js.Engine(globals={"fail": fail}) as engine:
        with pytest.raises(ScriptError) as info:
            await engine.run("let a = 1\n\nthrow new Error('boom')", name="e.js")
        assert (info.value.line, info.value.message) == (3, "boom")
        with pytest.raises(ScriptError) as info:
            await engine.run("let a = 1\nawait fail()", name="e.js")
        assert info.value.line == 2
        assert isinstance(info.value.__cause__, ValueError)
        with pytest.raises(ScriptSyntaxError) as syntax:
            await engine.run("let a = 1\nlet b = ;", name="e.js")
        assert syntax.value.line == 2


async def test_a_traceback_names_each_script_frame_at_its_line_and_no_prelude_frame() -> None:
    def fail() -> None:
        raise ValueError("no such thing")

    code = """function inner() {
  throw new Error('boom')
}
function outer() {
  return inner()
}
outer()"""
    with js.Engine(globals={"fail": fail}) as engine:
        with pytest.raises(ScriptError) as info:
            await engine.run(code, name="my tools.js")
        trace = info.value.traceback
        assert "at inner (my tools.js:2:9)" in trace
        assert "at outer (my tools.js:5:10)" in trace
        assert "my tools.js:7:" in trace
        assert "llmkit-prelude.js" not in trace
        assert "<anonymous>" not in trace
        with pytest.raises(ScriptError) as info:
            await engine.run("const go = async () => await fail()\nawait go()", name="my tools.js")
        assert "my tools.js:1:" in info.value.traceback
        assert "my tools.js:2:" in info.value.traceback
        assert "llmkit-prelude.js" not in info.value.traceback
        assert "%20" not in info.value.traceback


async def test_a_script_catches_a_host_error() -> None:
    def fail() -> None:
        raise ValueError("bad")

    code = "try { await fail() } catch (e) { return e.message }"
    with js.Engine(globals={"fail": fail}) as engine:
        assert (await engine.run(code)).value == "ValueError: bad"


async def test_runs_start_afresh_unless_interactive() -> None:
    with js.Engine() as engine:
        await engine.run("globalThis.kept = 1")
        assert (await engine.run("return typeof kept")).value == "undefined"
    with js.Engine(interactive=True) as engine:
        await engine.run("globalThis.kept = 1")
        assert (await engine.run("return kept")).value == 1


async def test_call_runs_a_function_the_script_declared() -> None:
    with js.Engine() as engine:
        await engine.run("async function twice(x) { return 2 * x }")
        assert await engine.call("twice", 21) == 42
        with pytest.raises(UsageError, match="No function"):
            await engine.call("missing")


async def test_python_calls_a_script_function_it_was_handed() -> None:
    seen: list[Any] = []

    async def keep(fn: Any) -> Any:
        seen.append(await fn(3))
        return await fn(4)

    with js.Engine(globals={"keep": keep}) as engine:
        assert (await engine.run("return await keep(async (x) => x * x)")).value == 16
    assert seen == [9]


async def test_generate_and_stream(server: FakeProviderServer) -> None:
    server.script(["Hello from the model.", "one two three"])
    code = f"""const r = await llm.generate({{ {MODEL}, prompt: "hi" }});
const s = await llm.stream({{ {MODEL}, prompt: "b" }});
const pieces = [];
for await (const piece of s) pieces.push(piece);
return [r.text, pieces.join("")];"""
    with _engine(server) as engine:
        assert (await engine.run(code)).value == ["Hello from the model.", "one two three"]


async def test_a_tool_defined_in_the_script_is_called_by_the_model(
    server: FakeProviderServer,
) -> None:
    server.script([tool_call("square", x=7), "49"])
    code = f"""const sq = await tools.define({{ name: "square", description: "Square x.",
  parameters: {{ x: "number" }}, run: ({{ x }}) => x * x }});
const agent = await llm.agent({{ {MODEL}, tools: [sq] }});
const r = await agent.run("square 7");
return r.output;"""
    with _engine(server) as engine:
        assert (await engine.run(code)).value == "49"
    result = [m for m in server.requests[-1].json["messages"] if m["role"] == "tool"]
    assert result[0]["content"] == "49"


async def test_promise_all_overlaps_calls_on_the_server(server: FakeProviderServer) -> None:
    server.script(["a", "b", "c"])
    gate = asyncio.Event()
    waiting = 0

    async def meet() -> None:
        nonlocal waiting
        waiting += 1
        if waiting == 3:
            gate.set()
        await asyncio.wait_for(gate.wait(), 5)

    code = f"""const one = async () => {{ await meet(); return (await llm.generate({{ {MODEL}, prompt: "x" }})).text }};
return (await Promise.all([one(), one(), one()])).sort();"""
    with _engine(server, globals={"meet": meet}) as engine:
        assert (await engine.run(code)).value == ["a", "b", "c"]


async def test_host_calls_made_after_a_timer_fires_are_answered() -> None:
    # The script sends them outside any call of the driver: only the bell says they wait.
    async def echo(x: Any) -> Any:
        return x

    code = "await new Promise((r) => setTimeout(r, 1));\nreturn [await echo(1), await echo(2)]"
    with js.Engine(globals={"echo": echo}, timeout=30) as engine:
        assert (await engine.run(code)).value == [1, 2]
        assert (await engine.run("return await echo(3)")).value == 3

"""JavaScript runs stay apart: timers, built-ins, a script that never yields after an await."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from llmkit.errors import UsageError
from llmkit.scripting import EnginePool, ScriptError, ScriptTimeoutError
from llmkit.scripting import javascript as js

pytestmark = pytest.mark.anyio


async def test_a_loop_after_an_await_ends_at_the_time_limit_and_the_engine_runs_again() -> None:
    code = "await new Promise((r) => setTimeout(r, 1));\nwhile (true) {}"
    with js.Engine(timeout=0.5) as engine:
        with pytest.raises(ScriptTimeoutError):
            await asyncio.wait_for(engine.run(code), 30)
        assert engine.broken
        assert (await asyncio.wait_for(engine.run("return 2"), 30)).value == 2


async def test_a_pool_replaces_an_engine_that_broke() -> None:
    pool = EnginePool("js", size=1, timeout=0.5)
    try:
        with pytest.raises(ScriptTimeoutError):
            await pool.run("await promise.sleep(0);\nwhile (true) {}")
        result = await pool.run("return typeof setTimeout")
        assert result.value == "function"
        assert not any(engine.broken for engine in pool._engines)
    finally:
        pool.close()


async def test_a_timer_takes_a_function_only() -> None:
    with js.Engine() as engine, pytest.raises(ScriptError, match="takes a function"):
        await engine.run("setTimeout('globalThis.x = 1', 1)")


async def test_a_timer_of_a_pooled_run_never_sees_the_next_run() -> None:
    pool = EnginePool("js", size=1, sandbox="strict")
    try:
        await pool.run("setTimeout(() => output('seen: ' + JSON.stringify(params)), 10);\nreturn 1")
        later = await pool.run("await promise.sleep(0.2);\nreturn 2", params={"token": "tok-1"})
        assert later.outputs == []
    finally:
        pool.close()


async def test_the_permissive_sandbox_keeps_the_runtime_from_replaced_built_ins() -> None:
    tamper = "JSON.stringify = () => 'garbage';\nArray.prototype.push = () => 0;\nreturn await json.encode([1])"
    with js.Engine(sandbox="permissive") as engine:
        assert (await engine.run(tamper)).value == "[1]"
        assert (await engine.run("return 'fine'")).value == "fine"


@pytest.mark.parametrize("sandbox", ["standard", "strict"])
async def test_built_ins_are_frozen_yet_scripts_override_inherited_names(sandbox: str) -> None:
    code = """class Tide { toString() { return "tide"; } }
const e = new Error("x");
e.name = "TideError";
const o = {};
o.toString = () => "own";
String.prototype.shout = () => "!";
return [String(new Tide()), e.name, String(o), typeof "".shout, Object.isFrozen(Array.prototype)];"""
    with js.Engine(sandbox=sandbox) as engine:
        assert (await engine.run(code)).value == ["tide", "TideError", "own", "undefined", True]


async def test_the_runtime_gate_gives_a_script_nothing() -> None:
    with js.Engine(sandbox="permissive") as engine:
        assert (await engine.run("return typeof $llmkit$k('guess')")).value == "undefined"


async def test_the_globals_are_registered_once_however_many_runs() -> None:
    def twice(x: int) -> int:
        return 2 * x

    with js.Engine(globals={"twice": twice, "cfg": {"a": 1}}) as engine:
        for _ in range(50):
            assert (await engine.run("return await twice(2)")).value == 4
        assert len(engine._values._python) == 1


async def test_a_function_named_in_a_comment_or_a_template_is_not_hoisted() -> None:
    code = "const a = 1;\n/*\nfunction old(x) { return x }\n*/\nconst t = `\nfunction shown() {}\n`;\nfunction real() { return 2; }\nreturn [a, t.length > 0, typeof real, typeof globalThis.real];"
    with js.Engine() as engine:
        assert (await engine.run(code)).value == [1, True, "function", "function"]


async def test_a_script_path_with_a_space_keeps_its_line_numbers(tmp_path: Path) -> None:
    script = tmp_path / "my dir" / "broken script.js"
    script.parent.mkdir()
    script.write_text("const a = 1;\n\nthrow new Error('boom');\n", encoding="utf-8")
    with js.Engine() as engine, pytest.raises(ScriptError) as info:
        await engine.run_file(script)
    assert info.value.line == 3


def test_a_call_depth_is_refused_with_what_to_do() -> None:
    with pytest.raises(UsageError, match="leave max_depth out"):
        js.Engine(max_depth=50)
    js.Engine(max_depth=None).close()


async def test_a_refused_tool_names_its_kind_not_its_data() -> None:
    code = 'await llm.agent({ model: "openai/gpt-4.1-mini", api_key: "test", tools: [{ api_key: "sk-SECRET-1" }] })'
    with js.Engine() as engine, pytest.raises(ScriptError) as info:
        await engine.run(code)
    assert "sk-SECRET-1" not in str(info.value)
    assert "an object with keys api_key" in str(info.value)


@pytest.mark.parametrize(
    "code",
    [
        'const a = llm.agent({ model: "openai/gpt-4.1-mini", api_key: "test" });\nawait a.run("hi")',
        'const a = llm.agent({ model: "openai/gpt-4.1-mini", api_key: "test" });\nawait llm.agent({ model: "openai/gpt-4.1-mini", api_key: "test", tools: [a] })',
    ],
)
async def test_a_promise_used_as_its_value_asks_about_await(code: str) -> None:
    with js.Engine() as engine, pytest.raises(ScriptError, match="did you forget `await`") as info:
        await engine.run(code)
    assert info.value.line == 2

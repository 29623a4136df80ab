"""The engine protocol through the Lua engine: running, calling, exposing, state, results, registry."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from llmkit.errors import MissingExtraError, UsageError
from llmkit.scripting import (
    ScriptError,
    ScriptSyntaxError,
    create_engine,
    engine_for,
    lua,
    register_engine,
)

pytestmark = pytest.mark.anyio


async def test_a_run_gives_value_outputs_print_and_logs(engine: lua.Engine) -> None:
    result = await engine.run(
        'print("a", 1, nil)\nlog.info("step", 2)\noutput("x")\noutput({1})\nreturn 5'
    )
    assert result.value == 5
    assert result.outputs == ["x", [1]]
    assert result.output == [1]
    assert result.printed == "a\t1\tnil\n"
    assert [(r.level, r.message) for r in result.logs] == [("info", "step 2")]


async def test_syntax_errors_name_file_and_line(tmp_path: Path, engine: lua.Engine) -> None:
    script = tmp_path / "bad.lua"
    script.write_text("local a = 1\nlocal b = = 2\n")
    with pytest.raises(ScriptSyntaxError) as info:
        await engine.run_file(script)
    assert info.value.script == str(script)
    assert info.value.line == 2
    assert "unexpected symbol" in info.value.message


async def test_a_missing_file_is_a_usage_error(tmp_path: Path, engine: lua.Engine) -> None:
    with pytest.raises(UsageError, match="No script"):
        await engine.run_file(tmp_path / "nope.lua")


def test_run_file_sync_runs_a_plain_script(tmp_path: Path) -> None:
    script = tmp_path / "hi.lua"
    script.write_text('return "hi " .. params.name')
    with lua.Engine() as engine:
        assert engine.run_file_sync(script, params={"name": "you"}).value == "hi you"


async def test_call_runs_a_function_a_script_defined(engine: lua.Engine) -> None:
    await engine.run("function greet(name) return 'hi ' .. name end")
    assert await engine.call("greet", "bo") == "hi bo"
    with pytest.raises(UsageError, match="No function"):
        await engine.call("missing")


async def test_state_is_kept_across_runs_and_cleared_on_close() -> None:
    engine = lua.Engine()
    await engine.run('state.set("n", (state.get("n", 0)) + 1)')
    result = await engine.run('return state.get("n")')
    assert result.value == 1
    with pytest.raises(ScriptError, match="JSON data"):
        await engine.run('state.set("f", function() end)')
    engine.close()
    assert engine.state.keys() == []
    with pytest.raises(UsageError, match="closed"):
        await engine.run("return 1")


async def test_globals_of_one_run_do_not_leak_into_the_next(engine: lua.Engine) -> None:
    await engine.run("leak = 1; json.encode = nil; string.upper = nil")
    result = await engine.run("return { leak, type(json.encode), string.upper('a') }")
    assert result.value == {2: "function", 3: "A"}


async def test_the_registry_finds_engines_by_name_and_extension() -> None:
    assert engine_for("x.lua") == "lua"
    with pytest.raises(UsageError, match=r"\.js"):
        engine_for("x.py")
    engine = create_engine("y.lua", sandbox="standard")
    assert isinstance(engine, lua.Engine)
    assert engine.sandbox == "standard"
    engine.close()


def test_an_engine_registered_later_is_found_by_its_extension() -> None:
    register_engine("other", "llmkit.scripting.lua:LuaEngine", extensions=(".oth",))
    assert engine_for("x.oth") == "other"


def test_a_missing_interpreter_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "lupa.lua54", None)
    with pytest.raises(MissingExtraError, match=r"lua"):
        lua.Engine()


def test_bad_options_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="sandbox"):
        lua.Engine(sandbox="loose")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="64MB"):
        lua.Engine(max_memory="lots")
    with pytest.raises(UsageError, match="30s"):
        lua.Engine(timeout="soon")


async def test_host_calls_wait_inside_coroutines_the_script_makes(engine: lua.Engine) -> None:
    async def later(x: int) -> int:
        await asyncio.sleep(0)
        return x * 10

    engine.expose("later", later)
    code = """
      local gen = coroutine.wrap(function()
        for i = 1, 3 do coroutine.yield(later(i)) end
      end)
      local co = coroutine.create(function(a) local b = coroutine.yield(later(a)) return later(b) end)
      local _, first = coroutine.resume(co, 1)
      local _, second = coroutine.resume(co, 2)
      return { gen(), gen(), gen(), first, second, coroutine.status(co) }"""
    assert (await engine.run(code)).value == [10, 20, 30, 10, 20, "dead"]

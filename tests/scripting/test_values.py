"""Values across the Lua boundary: the documented rule, both ways."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from llmkit.errors import UsageError
from llmkit.scripting import ScriptError, lua

pytestmark = pytest.mark.anyio


async def test_plain_values_come_back_as_python_values(engine: lua.Engine) -> None:
    code = 'return { s = "é", i = 3, f = 3.0, b = true, list = {1, 2}, map = { x = 1 } }'
    value = (await engine.run(code)).value
    assert value == {"s": "é", "i": 3, "f": 3.0, "b": True, "list": [1, 2], "map": {"x": 1}}
    assert isinstance(value["i"], int)
    assert isinstance(value["f"], float)


async def test_the_array_map_rule(engine: lua.Engine) -> None:
    code = """return {
      empty = {}, marked = json.array(), sparse = { [1] = "a", [3] = "c" },
      holes = { 1, nil, 3 }, nulls = { 1, json.null, 3 }, mixed = { 1, x = 2 },
    }"""
    value = (await engine.run(code)).value
    assert value["empty"] == {}
    assert value["marked"] == []
    assert value["sparse"] == {1: "a", 3: "c"}
    assert value["holes"] == {1: 1, 3: 3}
    assert value["nulls"] == [1, None, 3]
    assert value["mixed"] == {1: 1, "x": 2}


async def test_python_values_reach_the_script_by_the_same_rule(engine: lua.Engine) -> None:
    params = {
        "list": [1, None, 3],
        "empty": [],
        "obj": {"a": None},
        "raw": b"\xff\x00",
        "big": 2**70,
    }
    code = """
      return { #params.list, params.list[2] == json.null, json.encode(params.empty),
               params.obj.a == json.null, #params.raw, math.type(params.big) }"""
    assert (await engine.run(code, params=params)).value == [3, True, "[]", True, 2, "float"]


async def test_bytes_that_are_not_utf8_stay_bytes(engine: lua.Engine) -> None:
    assert (await engine.run('return "a\\255b"')).value == b"a\xffb"


async def test_a_table_with_a_key_of_another_type_is_refused(engine: lua.Engine) -> None:
    with pytest.raises(UsageError, match="keys are strings or integers"):
        await engine.run("return { [true] = 1 }")


async def test_lua_functions_are_python_callables_and_back(engine: lua.Engine) -> None:
    calls: list[int] = []

    async def twice(f: object, x: int) -> int:
        assert callable(f)
        first = await f(x)  # type: ignore[operator]
        calls.append(first)
        return int(await f(first))  # type: ignore[operator]

    engine.expose("twice", twice)
    result = await engine.run("return twice(function(n) return n * 3 end, 2)")
    assert result.value == 18
    assert calls == [6]


async def test_python_errors_are_lua_errors_catchable_with_pcall(engine: lua.Engine) -> None:
    def fail() -> None:
        raise ValueError("no good")

    engine.expose("fail", fail)
    result = await engine.run("local ok, err = pcall(fail); return { ok, err }")
    assert result.value[0] is False
    assert "ValueError: no good" in result.value[1]


async def test_an_uncaught_python_error_ends_the_script_with_it_as_cause(
    engine: lua.Engine,
) -> None:
    def fail() -> None:
        raise ValueError("no good")

    engine.expose("fail", fail)
    with pytest.raises(ScriptError) as info:
        await engine.run("local x = 1\nfail()", name="two.lua")
    assert info.value.line == 2
    assert info.value.script == "two.lua"
    assert isinstance(info.value.__cause__, ValueError)
    assert "stack traceback" in info.value.traceback


async def test_an_error_value_that_is_a_table_is_reported(engine: lua.Engine) -> None:
    with pytest.raises(ScriptError, match="code"):
        await engine.run("error({ code = 7 })")


async def test_a_function_kept_after_its_coroutine_ended_still_runs(engine: lua.Engine) -> None:
    kept: list[Any] = []
    engine.expose("keep", kept.append)
    await engine.run("keep(function(x) return x + 1 end)")
    await engine.run(
        "local t = {} for i = 1, 1000 do t[i] = {} end"
    )  # the first coroutine is collected
    gc.collect()
    assert await kept[0](1) == 2
    kept.clear()
    gc.collect()


async def test_a_function_of_a_closed_engine_says_so() -> None:
    kept: list[Any] = []
    engine = lua.Engine(globals={"keep": kept.append})
    await engine.run("keep(function() return 1 end)")
    engine.close()
    with pytest.raises(UsageError, match="closed"):
        await kept[0]()

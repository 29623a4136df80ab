"""Limits: instructions, time, memory, recursion, output; each a typed error, the host unaffected."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from llmkit.scripting import (
    EnginePool,
    ScriptLimitError,
    ScriptSandboxError,
    ScriptTimeoutError,
    lua,
)

pytestmark = pytest.mark.anyio


class StepClock:
    """A clock that moves one second each time it is read."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


async def _limit(code: str, **options: object) -> ScriptLimitError:
    with (
        lua.Engine(**options) as engine,  # type: ignore[arg-type]
        pytest.raises(ScriptLimitError) as info,
    ):
        await engine.run(code, name="l.lua")
    return info.value


async def test_an_infinite_loop_stops_at_the_instruction_limit() -> None:
    error = await _limit("local n = 0\nwhile true do n = n + 1 end", max_instructions=100_000)
    assert error.kind == "instructions"
    assert error.line == 2


def test_a_coroutine_that_spins_forever_is_stopped_too(
    no_hang: Callable[[Callable[[], Any]], Any],
) -> None:
    # Lua gives a new coroutine no hook of its own: without the engine's coroutine.create
    # and coroutine.wrap, these loops would never stop.
    for code in (
        "local co = coroutine.create(function() while true do end end)\ncoroutine.resume(co)",
        "coroutine.wrap(function() while true do end end)()",
        "coroutine.wrap(function() coroutine.wrap(function() while true do end end)() end)()",
    ):
        with lua.Engine(max_instructions=100_000) as engine:
            error = no_hang(lambda engine=engine, code=code: _expect_limit(engine, code))
        assert error.kind == "instructions"


def _expect_limit(engine: lua.Engine, code: str) -> ScriptLimitError:
    with pytest.raises(ScriptLimitError) as info:
        engine.run_sync(code)
    return info.value


async def test_pcall_cannot_swallow_a_limit() -> None:
    code = "while true do pcall(function() while true do end end) end"
    assert (await _limit(code, max_instructions=100_000)).kind == "instructions"


async def test_a_busy_loop_stops_at_the_timeout_of_the_injected_clock() -> None:
    error = await _limit("while true do end", timeout=5, clock=StepClock())
    assert isinstance(error, ScriptTimeoutError)
    assert isinstance(error, TimeoutError)
    assert error.kind == "timeout"


async def test_a_wait_past_the_timeout_is_stopped_with_the_line() -> None:
    clock = StepClock()

    async def slow() -> None:
        await asyncio.Event().wait()  # never set: only the timeout ends it

    with (
        lua.Engine(timeout=3, clock=clock, globals={"slow": slow}) as engine,
        pytest.raises(ScriptTimeoutError) as info,
    ):
        await engine.run("local a = 1\nslow()", name="w.lua")
    assert info.value.line == 2


async def test_a_memory_bomb_stops_at_the_memory_limit() -> None:
    error = await _limit("local s = string.rep('x', 2^30)", max_memory="8MB")
    assert error.kind == "memory"
    growth = "local t = {}\nfor i = 1, 1e9 do t[i] = i end"
    assert (await _limit(growth, max_memory="8MB")).kind == "memory"


async def test_deep_recursion_stops_at_the_depth_limit() -> None:
    code = "local function f(n) return 1 + f(n + 1) end\nreturn f(1)"
    error = await _limit(code, max_depth=50)
    assert error.kind == "recursion"
    assert error.line == 1


async def test_output_past_its_limit_stops_the_script() -> None:
    error = await _limit("for i = 1, 1000 do print(('y'):rep(100)) end", max_output=1000)
    assert error.kind == "output"
    assert (await _limit("output(('y'):rep(2000))", max_output=1000)).kind == "output"


BAD = {
    "loop": ("while true do end", "instructions"),
    "coroutine": ("coroutine.wrap(function() while true do end end)()", "instructions"),
    "memory": ("local s = string.rep('x', 2^30)", "memory"),
    "growth": ("local t = {} for i = 1, 1e9 do t[i] = i end", "memory"),
    "recursion": ("local function f() return 1 + f() end f()", "recursion"),
    "os": ("os.execute('true')", "sandbox"),
    "io": ("io.open('/etc/passwd')", "sandbox"),
}


@pytest.mark.parametrize("name", sorted(BAD))
async def test_the_next_script_in_the_pool_runs_normally(name: str) -> None:
    code, kind = BAD[name]
    pool = EnginePool("lua", size=1, max_instructions=20_000_000, max_memory="16MB")
    try:
        with pytest.raises(ScriptSandboxError if kind == "sandbox" else ScriptLimitError) as info:
            await pool.run(code)
        assert getattr(info.value, "kind", "sandbox") == kind
        result = await pool.run("local t = {} for i = 1, 1000 do t[i] = i end return #t")
        assert result.value == 1000
    finally:
        pool.close()


async def test_the_same_engine_runs_normally_after_a_limit() -> None:
    with lua.Engine(max_instructions=100_000, max_memory="16MB") as engine:
        for code, _ in BAD.values():
            with pytest.raises((ScriptLimitError, ScriptSandboxError)):
                await engine.run(code)
        assert (await engine.run("return ('ok'):rep(2)")).value == "okok"


async def test_a_pool_runs_scripts_at_once() -> None:
    gate = asyncio.Event()
    inside = 0

    async def meet() -> None:
        nonlocal inside
        inside += 1
        if inside == 3:
            gate.set()
        await asyncio.wait_for(gate.wait(), 10)

    pool = EnginePool("lua", size=3, globals={"meet": meet})
    try:
        results = await asyncio.gather(*(pool.run("meet() return 1") for _ in range(3)))
    finally:
        pool.close()
    assert [r.value for r in results] == [1, 1, 1]

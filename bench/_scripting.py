"""Scripting: the agent case driven from a Lua script, and the engine's own costs.

- ``agent-lua``: the ``agent`` case's run (one tool call, two model calls) made by a
  Lua script through ``llm.agent`` with the tool written in Lua, against the same
  run from Python (``llmkit-python``) and the floors. Goal: within 1.2x of Python.
- ``python -m bench._scripting``: a Lua-to-Python call round trip and a
  Python-to-Lua one (µs), an engine's start (ms) and its memory (KiB), in this
  process; print the load average with the figures.
"""

from __future__ import annotations

import asyncio
import os
import resource
import time
from typing import Any

from bench._llmkit_side import Unavailable
from bench._workload import AGENT_PROMPT, API_KEY, INSTRUCTIONS, MODEL

__all__ = ["LuaAgent", "main"]

_SCRIPT = """
local weather = tools.define{
  name = "get_weather", description = "Current weather in a city.",
  parameters = { city = "string" },
  run = function(args) return { city = args.city, temperature_c = 18, sky = "sunny" } end,
}
local agent = llm.agent{ model = MODEL, base_url = BASE, api_key = KEY,
  instructions = INSTRUCTIONS, tools = { weather } }
function run_once(prompt) return agent:run(prompt).output end
"""


class LuaAgent:
    """The agent run from Lua: the script defines the agent once, each run calls ``run_once``."""

    LOOP_BOUND = False
    """One runner serves any event loop: the engine keeps no loop-bound state between runs."""

    def __init__(self, base_url: str) -> None:
        try:
            from llmkit.scripting import lua
        except ImportError as exc:
            raise Unavailable(f"llmkit has no Lua engine yet ({exc})") from None
        globals_ = {
            "MODEL": f"openai/{MODEL}",
            "BASE": base_url + "/v1",
            "KEY": API_KEY,
            "INSTRUCTIONS": INSTRUCTIONS,
        }
        self.engine = lua.Engine(globals=globals_, interactive=True)
        self._ready = False

    async def run(self) -> None:
        if not self._ready:
            await self.engine.run(_SCRIPT, name="agent.lua")
            self._ready = True
        if not await self.engine.call("run_once", AGENT_PROMPT):
            raise RuntimeError("no output")

    async def aclose(self) -> None:
        from llmkit.http import aclose_clients

        self.engine.close()
        await aclose_clients()


def _per_call(seconds: float, n: int) -> str:
    return f"{seconds / n * 1e6:.2f}"


async def _round_trips(n: int) -> tuple[float, float]:
    from llmkit.scripting import lua

    def echo(x: Any) -> Any:
        return x

    with lua.Engine(globals={"echo": echo}, interactive=True) as engine:
        code = f"local echo = echo for i = 1, {n} do echo(i) end"
        await engine.run(code)  # warm
        start = time.perf_counter()
        await engine.run(code)
        lua_to_py = time.perf_counter() - start
        await engine.run("function id(x) return x end")
        start = time.perf_counter()
        for i in range(n // 10):
            await engine.call("id", i)
        py_to_lua = (time.perf_counter() - start) * 10
    return lua_to_py, py_to_lua


def _engines(n: int) -> tuple[float, float]:
    from llmkit.scripting import lua

    lua.Engine().close()  # imports and the first bridges load out of the timing
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    engines = [lua.Engine() for _ in range(n)]
    elapsed = time.perf_counter() - start
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    for engine in engines:
        engine.close()
    return elapsed / n, grown / n


def main() -> None:
    """Print the engine's own figures with the load average."""
    n = 100_000
    lua_to_py, py_to_lua = asyncio.run(_round_trips(n))
    start_s, kib = _engines(50)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"Lua -> Python call round trip: {_per_call(lua_to_py, n)} µs")
    print(f"Python -> Lua call (engine.call, a coroutine each): {_per_call(py_to_lua, n)} µs")
    print(f"engine start (every module bridged): {start_s * 1e3:.2f} ms")
    print(f"memory per engine (peak RSS growth over 50 engines): {kib:.0f} KiB")


if __name__ == "__main__":
    main()

"""Scripting: the agent case driven from a Lua and from a JavaScript script, and the engines' own costs.

- ``agent-lua`` and ``agent-js``: the ``agent`` case's run (one tool call, two model
  calls) made by a script through ``llm.agent`` with the tool written in the script's
  language, against the same run from Python (``llmkit-python``) and the floors.
  Goal: within 1.2x of Python.
- ``python -m bench._scripting``: for each engine, side by side, a script-to-Python
  call round trip and a Python-to-script one (µs), an engine's start (ms) and its
  memory (KiB), in this process; print the load average with the figures.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import time
from typing import Any

from bench._llmkit_side import Unavailable
from bench._memory import peak_rss
from bench._workload import AGENT_PROMPT, API_KEY, INSTRUCTIONS, MODEL

__all__ = ["JsAgent", "LuaAgent", "main"]

_LUA_AGENT = """
local weather = tools.define{
  name = "get_weather", description = "Current weather in a city.",
  parameters = { city = "string" },
  run = function(args) return { city = args.city, temperature_c = 18, sky = "sunny" } end,
}
local agent = llm.agent{ model = MODEL, base_url = BASE, api_key = KEY,
  instructions = INSTRUCTIONS, tools = { weather } }
function run_once(prompt) return agent:run(prompt).output end
"""

_JS_AGENT = """
const weather = await tools.define({
  name: "get_weather", description: "Current weather in a city.",
  parameters: { city: "string" },
  run: ({ city }) => ({ city, temperature_c: 18, sky: "sunny" }),
});
const agent = await llm.agent({ model: MODEL, base_url: BASE, api_key: KEY,
  instructions: INSTRUCTIONS, tools: [weather] });
globalThis.run_once = async (prompt) => (await agent.run(prompt)).output;
"""

# Per language: the engine's module, its agent script, a loop of N calls of the Python
# function `echo`, and a function Python calls (`id`).
_LANGUAGES: dict[str, tuple[str, str, str, str]] = {
    "lua": (
        "lua",
        _LUA_AGENT,
        "local echo = echo for i = 1, {n} do echo(i) end",
        "function id(x) return x end",
    ),
    "js": (
        "javascript",
        _JS_AGENT,
        "for (let i = 0; i < {n}; i++) {{ await echo(i); }}",
        "function id(x) {{ return x; }}",
    ),
}


class ScriptAgent:
    """The agent run from a script: it defines the agent once, each run calls ``run_once``."""

    LOOP_BOUND = False
    """One runner serves any event loop: the engine keeps no loop-bound state between runs."""

    language = ""

    def __init__(self, base_url: str) -> None:
        module, self._script, _, _ = _LANGUAGES[self.language]
        try:
            engines = importlib.import_module(f"llmkit.scripting.{module}")
        except ImportError as exc:
            raise Unavailable(f"llmkit has no {self.language} engine ({exc})") from None
        globals_ = {
            "MODEL": f"openai/{MODEL}",
            "BASE": base_url + "/v1",
            "KEY": API_KEY,
            "INSTRUCTIONS": INSTRUCTIONS,
        }
        self.engine = engines.Engine(globals=globals_, interactive=True)
        self._ready = False

    async def run(self) -> None:
        if not self._ready:
            await self.engine.run(self._script, name=f"agent.{self.language}")
            self._ready = True
        if not await self.engine.call("run_once", AGENT_PROMPT):
            raise RuntimeError("no output")

    async def aclose(self) -> None:
        from llmkit.http import aclose_clients

        self.engine.close()
        await aclose_clients()


class LuaAgent(ScriptAgent):
    """The agent run from Lua, the tool written in Lua."""

    language = "lua"


class JsAgent(ScriptAgent):
    """The agent run from JavaScript, the tool written in JavaScript."""

    language = "js"


def _per_call(seconds: float, n: int) -> str:
    return f"{seconds / n * 1e6:.2f}"


def _engine_class(language: str) -> Any:
    return importlib.import_module(f"llmkit.scripting.{_LANGUAGES[language][0]}").Engine


async def _round_trips(language: str, n: int) -> tuple[float, float]:
    """Seconds for ``n`` script-to-Python calls, and for ``n`` Python-to-script calls."""
    _, _, loop, function = _LANGUAGES[language]

    def echo(x: Any) -> Any:
        return x

    with _engine_class(language)(globals={"echo": echo}, interactive=True) as engine:
        code = loop.format(n=n)
        await engine.run(code)  # warm
        start = time.perf_counter()
        await engine.run(code)
        to_python = time.perf_counter() - start
        await engine.run(function.format())
        start = time.perf_counter()
        for i in range(n // 10):
            await engine.call("id", i)
        to_script = (time.perf_counter() - start) * 10
    return to_python, to_script


def _engines(language: str, n: int) -> tuple[float, float]:
    """Seconds to start one engine, and KiB of peak RSS each adds (over ``n`` engines alive)."""
    cls = _engine_class(language)
    cls().close()  # imports and the first bridges load out of the timing
    before = peak_rss()
    start = time.perf_counter()
    engines = [cls() for _ in range(n)]
    elapsed = time.perf_counter() - start
    grown = (peak_rss() - before) / 1024
    for engine in engines:
        engine.close()
    return elapsed / n, grown / n


# Calls per round-trip loop and engines kept alive at once, per language: a V8 isolate is a
# heap and a thread of its own, so fewer of them tell its cost as well.
_SIZES = {"lua": (100_000, 50), "js": (10_000, 10)}


def main() -> None:
    """Print each engine's own figures side by side, with the load average."""
    rows: dict[str, list[str]] = {}
    for language, (n, engines) in _SIZES.items():
        to_python, to_script = asyncio.run(_round_trips(language, n))
        start_s, kib = _engines(language, engines)
        rows[language] = [
            _per_call(to_python, n),
            _per_call(to_script, n),
            f"{start_s * 1e3:.2f}",
            f"{kib:.0f}",
        ]
    labels = [
        "script -> Python call round trip (µs)",
        "Python -> script call, engine.call (µs)",
        "engine start, every module bridged (ms)",
        "memory per engine, peak RSS growth (KiB)",
    ]
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'':42} {'lua':>10} {'js':>10}")
    for k, label in enumerate(labels):
        print(f"{label:42} {rows['lua'][k]:>10} {rows['js'][k]:>10}")


if __name__ == "__main__":
    main()

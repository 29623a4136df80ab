"""Lua 5.4 scripting (the ``llmkit[lua]`` extra): ``from llmkit.scripting import lua``.

::

    from llmkit.scripting import lua

    engine = lua.Engine(sandbox="strict", timeout=30, max_memory="64MB")
    result = await engine.run_file("research.lua", params={"topic": "tides"})

``lupa`` is imported when the first engine is made, not with this module.
"""

from __future__ import annotations

from llmkit.scripting.lua._engine import LuaEngine, LuaFunction

Engine = LuaEngine
"""The Lua engine class (``lua.Engine(...)``)."""

__all__ = ["Engine", "LuaEngine", "LuaFunction"]

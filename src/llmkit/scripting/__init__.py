"""Scripting: run Lua (and, later, other languages) scripts that drive llmkit.

::

    from llmkit.scripting import lua

    engine = lua.Engine(sandbox="strict", timeout=30, max_memory="64MB")
    result = await engine.run_file("research.lua", params={"topic": "tides"})
    result.output                        # what the script passed to output(...)

    engine = create_engine("x.lua")      # an engine by name or by a file's extension
    pool = EnginePool("lua", size=4)     # many scripts at once

An engine implements :class:`Engine`; engines register by name and file
extension (:func:`register_engine`) and load lazily. Scripts see the bridge
modules (``llm``, ``agent``, ``tools``, ``events``, ``json``, ``log``,
``params``/``output``, ``state``, ``promise`` …): each is one file in
:mod:`llmkit.scripting.bridges`, described once for every engine. See
``docs/scripting.md``. Names resolve lazily; no interpreter is imported here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmkit._lazy import lazy_exports

if TYPE_CHECKING:
    from llmkit.scripting import lua
    from llmkit.scripting._bridge import (
        JSON_NULL,
        Bridge,
        BridgeFunction,
        HostObject,
        Promise,
        ScriptCallable,
        method,
    )
    from llmkit.scripting._engine import Engine, ScriptResult
    from llmkit.scripting._errors import (
        ScriptError,
        ScriptLimitError,
        ScriptSandboxError,
        ScriptSyntaxError,
        ScriptTimeoutError,
    )
    from llmkit.scripting._host import Host, LogRecord, ScriptState
    from llmkit.scripting._limits import Limits, Sandbox
    from llmkit.scripting._pool import EnginePool
    from llmkit.scripting._registry import (
        create_engine,
        engine_class,
        engine_for,
        known_engines,
        register_engine,
    )
    from llmkit.scripting.bridges import register_bridge

_LAZY: dict[str, str] = {
    "Bridge": "llmkit.scripting._bridge",
    "BridgeFunction": "llmkit.scripting._bridge",
    "Engine": "llmkit.scripting._engine",
    "EnginePool": "llmkit.scripting._pool",
    "Host": "llmkit.scripting._host",
    "HostObject": "llmkit.scripting._bridge",
    "JSON_NULL": "llmkit.scripting._bridge",
    "Limits": "llmkit.scripting._limits",
    "LogRecord": "llmkit.scripting._host",
    "Promise": "llmkit.scripting._bridge",
    "Sandbox": "llmkit.scripting._limits",
    "ScriptCallable": "llmkit.scripting._bridge",
    "ScriptError": "llmkit.scripting._errors",
    "ScriptLimitError": "llmkit.scripting._errors",
    "ScriptResult": "llmkit.scripting._engine",
    "ScriptSandboxError": "llmkit.scripting._errors",
    "ScriptState": "llmkit.scripting._host",
    "ScriptSyntaxError": "llmkit.scripting._errors",
    "ScriptTimeoutError": "llmkit.scripting._errors",
    "create_engine": "llmkit.scripting._registry",
    "engine_class": "llmkit.scripting._registry",
    "engine_for": "llmkit.scripting._registry",
    "known_engines": "llmkit.scripting._registry",
    "lua": "llmkit.scripting.lua",
    "method": "llmkit.scripting._bridge",
    "register_bridge": "llmkit.scripting.bridges",
    "register_engine": "llmkit.scripting._registry",
}

__all__ = [
    "JSON_NULL",
    "Bridge",
    "BridgeFunction",
    "Engine",
    "EnginePool",
    "Host",
    "HostObject",
    "Limits",
    "LogRecord",
    "Promise",
    "Sandbox",
    "ScriptCallable",
    "ScriptError",
    "ScriptLimitError",
    "ScriptResult",
    "ScriptSandboxError",
    "ScriptState",
    "ScriptSyntaxError",
    "ScriptTimeoutError",
    "create_engine",
    "engine_class",
    "engine_for",
    "known_engines",
    "lua",
    "method",
    "register_bridge",
    "register_engine",
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)

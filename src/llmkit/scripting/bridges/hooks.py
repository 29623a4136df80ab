"""The ``hooks`` module: Lua functions as hooks around an agent's runs, model calls and tool calls."""

from __future__ import annotations

from typing import Any

from llmkit.errors import UsageError
from llmkit.scripting._bridge import Bridge, HostObject, ScriptCallable
from llmkit.scripting._host import Host
from llmkit.scripting.bridges._common import result_data, usage_data

__all__ = ["POINTS", "HookHandle", "bridge", "script_hook"]

bridge = Bridge(
    "hooks",
    "Hooks written in Lua: `hooks.define{ before_model = function(ctx, request) ... end, ... }` "
    'gives a hook for an agent\'s `hooks`. Each function gets `ctx` (`{kind = "run"|"model"|'
    '"tool", agent = ...}`) and the point\'s arguments as in Python (`before_model(ctx, request)`, '
    "`after_model(ctx, request, response)`, `before_tool(ctx, call)`, `after_tool(ctx, call, "
    "result)`, `after_run(ctx, result)`, `on_error(ctx, error)`), each as a table: a request "
    "`{messages = {{role, text}...}, tools = {names}}`, a response `{text, usage}`, a tool call "
    "`{name, arguments}`, a tool result `{text, is_error}`, a run's result, an error "
    "`{type, message}`. The hooks observe (return nothing); an error raised in one stops the "
    "run with a HookError naming it.",
)

POINTS = (
    "before_run",
    "after_run",
    "before_model",
    "after_model",
    "before_tool",
    "after_tool",
    "on_error",
)
"""The points a script's hook may have."""


def _data(value: Any) -> Any:
    from llmkit.run import RunResult
    from llmkit.types import Request, Response, ToolCall, ToolResult

    if isinstance(value, Request):
        return {
            "messages": [{"role": m.role, "text": m.text} for m in value.messages],
            "tools": [t.name for t in value.tools],
        }
    if isinstance(value, Response):
        return {"text": value.text, "usage": usage_data(value.usage)}
    if isinstance(value, ToolCall):
        return {"name": value.name, "arguments": value.arguments}
    if isinstance(value, ToolResult):
        text = value.content if isinstance(value.content, str) else str(value.content)
        return {"text": text, "is_error": value.is_error}
    if isinstance(value, RunResult):
        return result_data(value)
    if isinstance(value, BaseException):
        return {"type": type(value).__name__, "message": str(value)}
    return str(value)


def _context(ctx: Any) -> dict[str, Any]:
    run = getattr(ctx, "run", None)
    return {"kind": getattr(ctx, "kind", None), "agent": getattr(run, "agent", None)}


class HookHandle(HostObject):
    """A hook made in the script; give it in an agent's `hooks`."""

    script_type = "Hook"

    def __init__(self, hook: Any) -> None:
        self.hook = hook

    def fields(self) -> dict[str, Any]:
        """`name`: the hook's name (in errors)."""
        return {"name": self.hook.name}


class _ScriptHook:
    """A hook whose points call script functions (set per instance: only those given exist)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<script hook {self.name}>"


def script_hook(name: str, functions: dict[str, ScriptCallable]) -> Any:
    """A hook object with one async method per point in ``functions``."""
    hook = _ScriptHook(name)
    for point, fn in functions.items():

        async def call(ctx: Any, *args: Any, _fn: ScriptCallable = fn) -> None:
            await _fn(_context(ctx), *[_data(a) for a in args])

        setattr(hook, point, call)
    return hook


@bridge.function
def define(host: Host, spec: Any) -> HookHandle:
    """A hook from a table of functions by point (`before_run`, `after_run`, `before_model`, `after_model`, `before_tool`, `after_tool`, `on_error`) and an optional `name`."""
    if not isinstance(spec, dict):
        raise UsageError(
            "hooks.define takes a table: { before_model = function(ctx, request) ... end }."
        )
    name = spec.get("name", "script hook")
    unknown = sorted(str(k) for k in spec if k not in (*POINTS, "name"))
    if unknown:
        raise UsageError(
            f"hooks.define: unknown point {', '.join(unknown)}; known: {', '.join(POINTS)}."
        )
    functions = {k: v for k, v in spec.items() if k in POINTS}
    if not functions or not all(callable(f) for f in functions.values()):
        raise UsageError("hooks.define needs at least one point given a function.")
    return HookHandle(script_hook(str(name), functions))


bridge.type(HookHandle)

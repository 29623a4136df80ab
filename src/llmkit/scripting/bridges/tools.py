"""The ``tools`` module: built-in tool families by name, and tools defined in the script."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llmkit.errors import UsageError
from llmkit.scripting._bridge import Bridge, HostObject, ScriptCallable, method
from llmkit.scripting._host import Host
from llmkit.scripting.bridges._common import kind_of

__all__ = ["FAMILIES", "ToolHandle", "bridge", "resolve_tools"]

bridge = Bridge(
    "tools",
    "Tools for agents. In an agent's `tools`, a string names a built-in family with its "
    'default, safe settings (`"calculator"`, `"data"`, `"system"` …); `tools.builtin` '
    'configures one (`tools.builtin("files", { root = "./work" })`). The network and files are '
    "reachable only through these families and their own allow-lists.",
)

FAMILIES = ("calculator", "data", "feeds", "files", "http", "process", "system")
"""The built-in families a script may name (those of ``llmkit.tools.builtin``)."""

_JSON_TYPES = ("string", "number", "integer", "boolean", "array", "object")


class ToolHandle(HostObject):
    """A tool a script holds: give it to an agent's `tools`, or call it directly."""

    script_type = "Tool"

    def __init__(self, tool: Any) -> None:
        self.tool = tool

    def fields(self) -> dict[str, Any]:
        """`name` and `description`."""
        return {"name": self.tool.name, "description": self.tool.description}

    @method
    async def call(self, host: Host, arguments: Any = None) -> Any:
        """Run the tool with an arguments table; its result."""
        args = arguments or {}
        if not isinstance(args, dict):
            raise UsageError("tool:call takes a table of arguments.")
        result = self.tool(**args)
        if hasattr(result, "__await__"):
            result = await result
        return result


def _parameter(name: str, spec: Any) -> tuple[dict[str, Any], bool]:
    """The JSON schema of one parameter and whether it is required."""
    if isinstance(spec, str):
        if spec not in _JSON_TYPES:
            raise UsageError(
                f"Parameter {name!r}: a type is one of {', '.join(_JSON_TYPES)}, not {spec!r}."
            )
        return {"type": spec}, True
    if isinstance(spec, dict):
        schema = {k: v for k, v in spec.items() if k != "optional"}
        return schema, not spec.get("optional", False)
    raise UsageError(
        f'Parameter {name!r}: give a type name ("number") or a table '
        f'({{ type = "string", description = "...", optional = true }}), not {kind_of(spec)}.'
    )


def schema_of(parameters: Any) -> dict[str, Any]:
    """A JSON schema of an object from a parameter table (or a JSON schema given as is)."""
    if parameters is None:
        return {"type": "object", "properties": {}}
    if not isinstance(parameters, dict):
        raise UsageError('parameters= takes a table such as { x = "number" }.')
    if parameters.get("type") == "object":
        return parameters
    properties, required = {}, []
    for name, spec in parameters.items():
        properties[str(name)], needed = _parameter(str(name), spec)
        if needed:
            required.append(str(name))
    return {"type": "object", "properties": properties, "required": sorted(required)}


@bridge.function
def define(host: Host, spec: Any) -> ToolHandle:
    """A tool run by a script function: `{ name, description, parameters = { x = "number" }, run = function(args) ... end }`.

    `run` gets the arguments table; what it returns goes to the model. An error it
    raises becomes an error result the model reads (the agent's tool-retry rules apply).
    """
    from llmkit.tools import SchemaTool

    if not isinstance(spec, dict):
        raise UsageError(
            "tools.define takes a table: { name = ..., description = ..., run = function(args) ... end }."
        )
    unknown = sorted(set(spec) - {"name", "description", "parameters", "run"})
    if unknown:
        raise UsageError(
            f"tools.define: unknown key {', '.join(unknown)}; known: name, description, parameters, run."
        )
    run = spec.get("run")
    if not isinstance(run, ScriptCallable) or not callable(run):
        raise UsageError("tools.define needs run = function(args) ... end.")
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        raise UsageError('tools.define needs name = "...".')

    async def call(**arguments: Any) -> Any:
        return await run(arguments)

    call.__name__ = name
    tool = SchemaTool(
        call,
        name=name,
        description=str(spec.get("description") or ""),
        parameters=schema_of(spec.get("parameters")),
    )
    return ToolHandle(tool)


@bridge.function
def builtin(host: Host, family: str, settings: Any = None) -> list[ToolHandle]:
    """The tools of a built-in family, with its settings (those of Python's `llmkit.tools.builtin.<family>`)."""
    return [ToolHandle(t) for t in _family(family, settings)]


def _family(name: Any, settings: Any) -> list[Any]:
    from llmkit.tools import Tool
    from llmkit.tools import builtin as families

    if name not in FAMILIES:
        raise UsageError(f"No built-in tool family {name!r}; known: {', '.join(FAMILIES)}.")
    found = getattr(families, name)
    if isinstance(found, Tool):
        if settings:
            raise UsageError(f"The {name} tool takes no settings.")
        return [found]
    if settings is not None and not isinstance(settings, dict):
        raise UsageError(f"tools.builtin({name!r}, settings): settings is a table.")
    try:
        made = found(**(settings or {}))
    except TypeError as exc:
        raise UsageError(
            f"The {name} family needs its settings ({exc}): "
            f'tools.builtin("{name}", {{ ... }}) with the allow-lists it asks for.'
        ) from exc
    return list(made) if isinstance(made, list | tuple) else [made]


def resolve_tools(items: Any, *, as_tool: Callable[[Any], Any]) -> list[Any]:
    """An agent's ``tools`` table as llmkit tools: family names, tool handles, and whatever
    ``as_tool`` makes a tool of (agents; it answers None for anything else)."""
    if not isinstance(items, list):
        raise UsageError('tools= takes an array: { "calculator", my_tool, other_agent }.')
    tools: list[Any] = []
    for item in items:
        if isinstance(item, str):
            tools.extend(_family(item, None))
        elif isinstance(item, ToolHandle):
            tools.append(item.tool)
        elif isinstance(item, list) and all(isinstance(t, ToolHandle) for t in item):
            tools.extend(t.tool for t in item)
        elif (made := as_tool(item)) is not None:
            tools.append(made)
        else:
            raise UsageError(
                'Each tool is a family name ("calculator"), a tool from tools.define or '
                f"tools.builtin, or an agent; not {kind_of(item)}."
            )
    return tools


bridge.type(ToolHandle)

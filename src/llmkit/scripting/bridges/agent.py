"""The ``agent`` module: agents with tools, handoffs and structured output, run from scripts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import GenericAlias
from typing import TYPE_CHECKING, Any

from llmkit.errors import UsageError
from llmkit.scripting._bridge import Bridge, HostObject, Promise, ScriptCallable, method
from llmkit.scripting._host import Host
from llmkit.scripting.bridges._common import (
    MODEL_OPTIONS,
    TextStream,
    feed,
    kind_of,
    options,
    result_data,
)
from llmkit.scripting.bridges.tools import ToolHandle, resolve_tools

if TYPE_CHECKING:
    from llmkit.agent import Agent

__all__ = ["AgentHandle", "bridge", "create", "output_type"]

bridge = Bridge(
    "agent",
    "Agents. `agent.create{...}` (also `llm.agent{...}`) takes `model` and the model options "
    "(`base_url`, `api_key`, `timeout`, `max_retries`, `headers`), `instructions`, `name`, "
    '`description`, `tools` (built-in family names such as `"calculator"`, tools from '
    "`tools.define`, agents), `handoffs` (agents), `output` (a schema table), `max_steps`, "
    "`tool_retries`, `output_retries`, `run_timeout` (seconds per run), `hooks` (from "
    "`hooks.define`), `knowledge` (a store from `memory.vectors`) with `retrieve_k`, `memory` "
    "(`{ max_tokens, keep_last }`) and `settings` "
    "(`temperature`, `max_tokens` …). A run's result is "
    "`{output, usage = {total_tokens, input_tokens, ...}, steps, status, run_id, agent, messages}`.",
)

_AGENT = (
    "model",
    *MODEL_OPTIONS,
    "instructions",
    "name",
    "description",
    "tools",
    "handoffs",
    "output",
    "max_steps",
    "tool_retries",
    "output_retries",
    "run_timeout",
    "settings",
    "hooks",
    "knowledge",
    "retrieve_k",
    "memory",
)
_TYPES: dict[str, Any] = {"string": str, "integer": int, "number": float, "boolean": bool}


def _field_type(name: str, spec: Any) -> Any:
    if isinstance(spec, str):
        if spec in _TYPES:
            return _TYPES[spec]
        if spec in ("array", "object"):
            return list[Any] if spec == "array" else dict[str, Any]
    if isinstance(spec, list) and len(spec) == 1:
        return GenericAlias(list, (_field_type(name, spec[0]),))
    if isinstance(spec, dict):
        return output_type(spec, name=name.title().replace("_", ""))
    raise UsageError(
        f'output field {name!r}: give a type name ("string", "integer", "number", "boolean"), '
        f'an array of one type ({{"string"}}) or a table of fields, not {kind_of(spec)}.'
    )


def output_type(schema: Any, *, name: str = "Output") -> Any:
    """A pydantic model from a schema table: ``{title = "string", score = "number", tags = {"string"}}``."""
    from pydantic import create_model

    if not isinstance(schema, dict) or not schema:
        raise UsageError(
            'output= takes a table of fields, such as { title = "string", score = "number" }.'
        )
    fields: dict[str, Any] = {str(k): (_field_type(str(k), v), ...) for k, v in schema.items()}
    return create_model(name, **fields)


class AgentHandle(HostObject):
    """An agent a script holds; pass it in `tools` (as a tool) or `handoffs` of another agent."""

    script_type = "Agent"

    def __init__(self, agent: Agent[Any]) -> None:
        self.agent = agent

    def fields(self) -> dict[str, Any]:
        """`name`: the agent's name."""
        return {"name": self.agent.name}

    @method
    async def run(self, host: Host, prompt: Any) -> dict[str, Any]:
        """Run on `prompt` until the final answer; the result table."""
        return result_data(await self.agent.run(_prompt(prompt)))

    @method
    def run_async(self, host: Host, prompt: Any) -> Promise:
        """Start a run now; a promise of its result table (`promise.all` runs several at once)."""
        return host.spawn(self.run(host, prompt))

    @method
    async def stream(self, host: Host, prompt: Any, callback: ScriptCallable | None = None) -> Any:
        """With `callback(piece)`: call it per piece of answer text, return the result. Without: a TextStream."""
        if callback is None:
            return TextStream(self._text(prompt))
        await feed(self._text(prompt), callback)
        return self._last

    _last: dict[str, Any] | None = None

    async def _text(self, prompt: Any) -> AsyncIterator[str]:
        from llmkit.events import RunEnd, TextDelta

        async for event in self.agent.stream(_prompt(prompt)):
            if isinstance(event, TextDelta):
                yield event.text
            elif isinstance(event, RunEnd):
                self._last = result_data(event.result)


def _hooks(items: Any) -> list[Any]:
    from llmkit.scripting.bridges.hooks import HookHandle

    if not isinstance(items, list) or not all(isinstance(h, HookHandle) for h in items):
        raise UsageError("hooks= takes an array of hooks made with hooks.define.")
    return [h.hook for h in items]


def _knowledge(store: Any) -> Any:
    from llmkit.scripting.bridges.memory import VectorsHandle

    if not isinstance(store, VectorsHandle):
        raise UsageError("knowledge= takes a store made with memory.vectors{...}.")
    return store.store


def _agent_tool(item: Any) -> Any:
    return item.agent.as_tool() if isinstance(item, AgentHandle) else None


def _prompt(prompt: Any) -> str:
    if not isinstance(prompt, str):
        raise UsageError(f"An agent runs on a prompt string, not {type(prompt).__name__}.")
    return prompt


@bridge.function
def create(host: Host, spec: Any) -> AgentHandle:
    """A new agent from an options table (see the module's text for the options)."""
    from llmkit.agent import Agent

    opts = options(spec, "agent.create", _AGENT)
    model_options = {k: opts.pop(k) for k in MODEL_OPTIONS if k in opts}
    model = host.model(opts.pop("model", None), model_options)
    handoffs = []
    for item in opts.pop("handoffs", None) or []:
        if not isinstance(item, AgentHandle):
            raise UsageError("handoffs= takes agents made with agent.create / llm.agent.")
        handoffs.append(item.agent)
    kwargs: dict[str, Any] = {
        "tools": resolve_tools(opts.pop("tools", None) or [], as_tool=_agent_tool),
        "handoffs": handoffs,
        "bus": host.bus,
    }
    if "output" in opts:
        kwargs["output_type"] = output_type(opts.pop("output"))
    if "hooks" in opts:
        kwargs["hooks"] = _hooks(opts.pop("hooks"))
    if "knowledge" in opts:
        kwargs["knowledge"] = _knowledge(opts.pop("knowledge"))
    if "memory" in opts:
        from llmkit.scripting.bridges.memory import conversation

        kwargs["memory"] = conversation(opts.pop("memory"))
    if "settings" in opts:
        kwargs["model_settings"] = opts.pop("settings")
    if "run_timeout" in opts:
        kwargs["timeout"] = opts.pop("run_timeout")
    kwargs.update(opts)
    return AgentHandle(Agent(model, **kwargs))


bridge.type(AgentHandle)
bridge.type(ToolHandle)

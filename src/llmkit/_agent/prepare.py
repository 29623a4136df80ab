"""What an agent sends with every request, built once per agent and model.

Tool specs, the output strategy for the model's capabilities, the
instructions as a system message: none of it changes between runs, so the
agent builds it on first use with a model and reuses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llmkit.output import OutputMode, OutputSpec
from llmkit.types import Message, ModelSettings, OutputSchema, ToolSpec

if TYPE_CHECKING:
    from llmkit.agent import Agent, AgentHandoff
    from llmkit.providers.base import Model
    from llmkit.tools import Tool

__all__ = ["Prepared", "prepare"]


@dataclass(slots=True)
class Prepared:
    """An agent's per-model request parts."""

    tools: list[ToolSpec]
    tool_map: dict[str, Tool[..., Any]]
    tool_names: str
    """The names the model may call, for error messages."""
    handoffs: dict[str, AgentHandoff]
    output: OutputSpec
    mode: OutputMode | None
    """The structured-output strategy (None for text output)."""
    output_schema: OutputSchema | None
    final_tool: bool
    system: Message | None
    """The instructions as a system message (None when there are none, or they are dynamic)."""
    dynamic: bool
    """Instructions come from a function, called before each model request."""
    prompt_suffix: str | None
    settings: ModelSettings


def prepare(agent: Agent[Any], model: Model) -> Prepared:
    """Build the request parts of ``agent`` for ``model``."""
    output = agent._output
    mode = None if output.is_text else output.mode_for(model.capabilities)
    tools = [t.spec for t in agent._tools.values()]
    tools.extend(h.spec for h in agent._handoffs.values())
    final_tool = mode == "tool"
    if final_tool:
        assert output.tool_spec is not None
        tools.append(output.tool_spec)
    suffix = output.prompt() if mode == "prompted" else None
    instructions = agent.instructions
    dynamic = callable(instructions)
    system = None
    if not dynamic:
        static = instructions if isinstance(instructions, str) else None
        text = "\n\n".join(t for t in (static, suffix) if t)
        system = Message.system(text) if text else None
    return Prepared(
        tools=tools,
        tool_map=agent._tools,
        tool_names=", ".join(t.name for t in tools) or "none",
        handoffs=agent._handoffs,
        output=output,
        mode=mode,
        output_schema=output.output_schema if mode == "native" else None,
        final_tool=final_tool,
        system=system,
        dynamic=dynamic,
        prompt_suffix=suffix,
        settings=agent._settings,
    )

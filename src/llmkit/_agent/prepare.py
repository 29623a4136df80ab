"""What an agent sends with every request, built once per agent spec and model.

Tool specs, the output strategy for the model's capabilities, the
instructions as a system message: none of it changes between runs, so
:meth:`~llmkit._agent.spec.AgentSpec.prepared` builds it on first use with a
model and keeps it in the spec's :class:`PreparedCache`. :func:`prepare` is a
plain function of the values it reads.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llmkit.output import OutputMode, OutputSpec
from llmkit.types import Message, ModelSettings, OutputSchema, Request, ToolSpec

if TYPE_CHECKING:
    from llmkit.context import RunContext
    from llmkit.providers.base import Model
    from llmkit.tools import Tool

__all__ = ["Prepared", "PreparedCache", "build_request", "dynamic_system", "prepare"]


@dataclass(slots=True)
class Prepared:
    """An agent's per-model request parts."""

    tools: list[ToolSpec]
    tool_map: Mapping[str, Tool[..., Any]]
    tool_names: str
    """The names the model may call, for error messages."""
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


@dataclass(slots=True)
class PreparedCache:
    """The request parts last built from one spec, with the model they were built for."""

    last: tuple[Model, Prepared] | None = None
    """Replaced as a whole, so a concurrent run sees the old pair or the new one."""


def prepare(
    model: Model,
    *,
    output: OutputSpec,
    tools: Mapping[str, Tool[..., Any]],
    handoffs: Iterable[ToolSpec],
    instructions: str | Callable[..., Any] | None,
    settings: ModelSettings,
) -> Prepared:
    """Build the request parts for ``model`` of an agent with these tools, handoffs and output.

    ``handoffs`` are the tool specs of the agent's handoffs; a function as
    ``instructions`` is called per request by the loop, so only its presence counts here.
    """
    mode = None if output.is_text else output.mode_for(model.capabilities)
    specs = [t.spec for t in tools.values()]
    specs.extend(handoffs)
    final_tool = mode == "tool"
    if final_tool:
        assert output.tool_spec is not None
        specs.append(output.tool_spec)
    suffix = output.prompt() if mode == "prompted" else None
    dynamic = callable(instructions)
    system = None
    if not dynamic:
        static = instructions if isinstance(instructions, str) else None
        text = "\n\n".join(t for t in (static, suffix) if t)
        system = Message.system(text) if text else None
    return Prepared(
        tools=specs,
        tool_map=tools,
        tool_names=", ".join(t.name for t in specs) or "none",
        output=output,
        mode=mode,
        output_schema=output.output_schema if mode == "native" else None,
        final_tool=final_tool,
        system=system,
        dynamic=dynamic,
        prompt_suffix=suffix,
        settings=settings,
    )


def build_request(prep: Prepared, system: Message | None, messages: list[Message]) -> Request:
    """The request of one model call: ``system`` (the instructions), ``messages``, ``prep``'s parts.

    A plain function, not a coroutine: it runs on every model call, and only
    dynamic instructions need awaiting (:func:`dynamic_system`).
    """
    sent = [system, *messages] if system is not None else list(messages)
    # Settings may name any Request field but these three (Agent checks the keys).
    return Request(sent, tools=prep.tools, output_schema=prep.output_schema, **prep.settings)


async def dynamic_system(prep: Prepared, instructions: Any, ctx: RunContext[Any]) -> Message | None:
    """The system message of dynamic ``instructions``, called now with the run context."""
    value = instructions(ctx)
    if inspect.isawaitable(value):
        value = await value
    text = "\n\n".join(t for t in (value, prep.prompt_suffix) if t)
    return Message.system(text) if text else None

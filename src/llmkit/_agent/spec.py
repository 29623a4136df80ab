"""What a run reads of its agent: one frozen :class:`AgentSpec`, built by ``Agent`` and cached.

The machinery under ``_agent/`` works on a spec, never on an ``Agent``: the
spec holds the agent's configuration as plain values, its handoffs as
:class:`HandoffRoute` entries (each finds the target's current spec through a
function ``Agent`` gives it), and the model as a function that resolves it
when a run starts (an override, else the agent's model). ``Agent`` builds a
spec on first use and builds a new one after any attribute the spec copies
is set, so such a change takes effect from the next run on; a run keeps the
spec it started with (until a handoff moves it to the target's).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeAlias

from llmkit._agent.prepare import Prepared, PreparedCache, prepare
from llmkit.types import Message, ModelSettings, ToolSpec

if TYPE_CHECKING:
    from llmkit.context import RunContext
    from llmkit.output import OutputSpec
    from llmkit.providers.base import Model
    from llmkit.tools import ErrorMode, Tool

__all__ = ["AgentSpec", "HandoffRoute", "HistoryFilter", "Instructions"]

Instructions: TypeAlias = "str | Callable[[RunContext[Any]], str | Awaitable[str]]"
"""Instructions: a string, or a function of the run context (sync or async) returning one."""

HistoryFilter: TypeAlias = Callable[[list[Message]], Sequence[Message]]
"""A function choosing which messages an agent receiving a handoff sees."""


@dataclass(frozen=True, slots=True)
class HandoffRoute:
    """One handoff of a spec: the tool the model calls, and the agent the run moves to."""

    tool_name: str
    tool: ToolSpec
    target: str
    """The name of the agent the conversation moves to."""
    input_filter: HistoryFilter | None
    """Chooses the messages the target sees (all of them when None)."""
    spec: Callable[[], AgentSpec]
    """The target's spec as it is now."""


@dataclass(frozen=True, slots=True)
class AgentSpec:
    """An agent's configuration as a run reads it."""

    name: str
    description: str
    instructions: Instructions | None
    output: OutputSpec
    tools: Mapping[str, Tool[..., Any]]
    """The agent's own tools by name (read-only)."""
    handoffs: Mapping[str, HandoffRoute]
    """The handoffs by tool name (read-only)."""
    settings: ModelSettings
    output_retries: int
    tool_retries: int
    tool_errors: ErrorMode
    direct: Tool[..., Any] | None
    """The tool a model-free agent (``Agent.from_tool``) runs, else None."""
    model: Callable[[], Model]
    """The model a run starting now calls; raises ``UsageError`` when the agent has none."""
    cache: PreparedCache = field(default_factory=PreparedCache, compare=False, repr=False)
    """The request parts built for the last model (a new spec starts empty)."""

    def with_output(self, output: OutputSpec) -> AgentSpec:
        """This spec with another output type (for ``Agent.stream_output(output_type=...)``)."""
        return replace(self, output=output, cache=PreparedCache())

    def prepared(self, model: Model) -> Prepared:
        """The request parts of this spec for ``model``, built on first use with it."""
        last = self.cache.last
        if last is not None and last[0] is model:
            return last[1]
        built = prepare(
            model,
            output=self.output,
            tools=self.tools,
            handoffs=[route.tool for route in self.handoffs.values()],
            instructions=self.instructions,
            settings=self.settings,
        )
        self.cache.last = (model, built)
        return built

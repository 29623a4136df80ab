"""The run context: what a tool, an instruction function or a hook knows about the run.

An agent builds one :class:`RunContext` per run and hands it to every tool
that asks for it (a first parameter annotated ``RunContext[...]``), to
instruction functions and to hooks. ``deps`` is whatever the caller passed to
``Agent.run(..., deps=...)``: a database handle, an HTTP client, settings; it
is typed by the ``RunContext[Deps]`` parameter, so tools stay testable.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from llmkit.types import Message, ToolCall, Usage

if TYPE_CHECKING:
    from llmkit.providers.base import Model

__all__ = ["Deps", "RunContext"]

Deps = TypeVar("Deps")


@dataclass(slots=True)
class RunContext(Generic[Deps]):
    """State of one agent run, as seen by tools, instructions and hooks.

    Treat it as read-only, except ``metadata``, which is yours to share
    values between tools and hooks within the run.
    """

    deps: Deps
    """The dependencies passed to ``Agent.run(..., deps=...)``."""
    run_id: str = ""
    """Unique id of this run (also on every run-level event)."""
    agent: str = ""
    """Name of the agent running."""
    model: Model | None = None
    """The model the agent calls."""
    messages: list[Message] = field(default_factory=list)
    """The conversation so far (the agent's own list; do not mutate it)."""
    usage: Usage = field(default_factory=Usage)
    """Usage of the run so far."""
    step: int = 0
    """Number of the current model call, from 1."""
    tool_call: ToolCall | None = None
    """The tool call being executed, inside a tool."""
    retry: int = 0
    """How many times the current tool call (or output) has been retried."""
    metadata: dict[str, Any] = field(default_factory=dict)
    """Free-form values shared within the run."""

    def for_tool_call(self, call: ToolCall, retry: int = 0) -> RunContext[Deps]:
        """A copy of this context for running ``call`` (same deps, usage and metadata objects)."""
        return dataclasses.replace(self, tool_call=call, retry=retry)

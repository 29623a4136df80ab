"""Handoffs: the model transfers the conversation to another agent by calling a tool.

Each handoff target becomes a ``transfer_to_<name>`` tool with no
parameters. When the model calls it, the run carries on with the target
agent: its instructions, tools and output type apply from the next request
on, and it sees the conversation (all of it, or what ``input_filter`` keeps).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from llmkit.types import Message, ToolSpec

if TYPE_CHECKING:
    from llmkit.agent import Agent

__all__ = ["AgentHandoff", "HistoryFilter", "collect_handoffs", "find_agent", "handoff"]

HistoryFilter: TypeAlias = Callable[[list[Message]], Sequence[Message]]
"""A function choosing which messages an agent receiving a handoff sees."""

_EMPTY_OBJECT = {"type": "object", "properties": {}, "additionalProperties": False}


@dataclass(slots=True)
class AgentHandoff:
    """A handoff target: the agent, the tool the model calls to transfer, and what it sees."""

    agent: Agent[Any]
    tool_name: str = ""
    description: str = ""
    input_filter: HistoryFilter | None = None
    """Chooses the messages the receiving agent sees (all of them by default)."""
    spec: ToolSpec = field(init=False)

    def __post_init__(self) -> None:
        name = self.tool_name or "transfer_to_" + re.sub(r"[^a-zA-Z0-9_-]", "_", self.agent.name)
        self.tool_name = name[:64]
        if not self.description:
            about = f": {self.agent.description}" if self.agent.description else "."
            self.description = f"Hand the conversation over to the {self.agent.name} agent{about}"
        self.spec = ToolSpec(self.tool_name, self.description, dict(_EMPTY_OBJECT))


def handoff(
    agent: Agent[Any],
    *,
    tool_name: str | None = None,
    description: str | None = None,
    input_filter: HistoryFilter | None = None,
) -> AgentHandoff:
    """A handoff to ``agent`` with a custom tool name, description or history filter."""
    from llmkit.agent import Agent
    from llmkit.errors import UsageError
    from llmkit.tools._tool import check_tool_name

    if not isinstance(agent, Agent):
        raise UsageError(f"handoff() takes the Agent to hand over to, not {type(agent).__name__}.")
    if tool_name is not None:
        check_tool_name(tool_name)
    if description is not None and not isinstance(description, str):
        raise UsageError(
            f"handoff(description=...) takes a string, not {type(description).__name__}."
        )
    if input_filter is not None and not callable(input_filter):
        raise UsageError(
            "handoff(input_filter=...) takes a function from the list of messages to the "
            f"messages the agent sees, not {type(input_filter).__name__}."
        )
    return AgentHandoff(agent, tool_name or "", description or "", input_filter)


def find_agent(root: Agent[Any], name: str) -> Agent[Any]:
    """``root`` or an agent reachable from it through handoffs, by name."""
    seen: set[int] = set()
    todo: list[Agent[Any]] = [root]
    while todo:
        agent = todo.pop()
        if agent.name == name:
            return agent
        seen.add(id(agent))
        todo.extend(h.agent for h in agent._handoffs.values() if id(h.agent) not in seen)
    from llmkit.errors import UsageError

    raise UsageError(
        f"Unknown handoff target {name!r}: it is not {root.name!r} or an agent reachable "
        "through its handoffs. Resume with the agent the run was started on."
    )


def collect_handoffs(items: Iterable[Agent[Any] | AgentHandoff]) -> dict[str, AgentHandoff]:
    """Handoffs by tool name; anything but an agent or a handoff raises UsageError."""
    from llmkit.agent import Agent
    from llmkit.errors import UsageError

    handoffs: dict[str, AgentHandoff] = {}
    for item in items:
        if isinstance(item, Agent):
            item = AgentHandoff(item)
        elif not isinstance(item, AgentHandoff):
            raise UsageError(
                f"Unknown handoff target {item!r}: handoffs= takes Agent objects or "
                "handoff(agent, ...) entries."
            )
        if item.agent._direct is not None:
            raise UsageError(
                f"Agent {item.agent.name!r} is a model-free agent (Agent.from_tool) and cannot "
                "take over a conversation; give it to the model with as_tool() instead."
            )
        if item.tool_name in handoffs:
            raise UsageError(
                f"Two handoffs use the tool name {item.tool_name!r}; give the agents distinct "
                "names or pass handoff(agent, tool_name=...)."
            )
        handoffs[item.tool_name] = item
    return handoffs

"""Handoffs: the model transfers the conversation to another agent by calling a tool.

Each handoff target becomes a ``transfer_to_<name>`` tool with no
parameters. When the model calls it, the run carries on with the target
agent: its instructions, tools and output type apply from the next request
on, and it sees the conversation (all of it, or what ``input_filter`` keeps).

The public :func:`~llmkit.handoff` checks that its target is an ``Agent``
and leaves the other checks to :func:`check_handoff_options`; ``Agent``
checks its ``handoffs=`` with :func:`check_handoffs` and turns the entries
into the :class:`~llmkit._agent.spec.HandoffRoute` entries of its spec
(:func:`handoff_routes`), which is all a run reads. Neither needs the
``Agent`` class: the caller passes it, and says which agents are model-free.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Generic, Protocol, TypeVar

from llmkit._agent.spec import AgentSpec, HandoffRoute, HistoryFilter
from llmkit.errors import UsageError
from llmkit.tools._tool import check_tool_name
from llmkit.types import ToolSpec

__all__ = [
    "AgentHandoff",
    "HandoffTarget",
    "HistoryFilter",
    "check_handoff_options",
    "check_handoffs",
    "find_spec",
    "handoff_routes",
    "reachable",
]

_EMPTY_OBJECT = {"type": "object", "properties": {}, "additionalProperties": False}


class HandoffTarget(Protocol):
    """What a handoff needs of the agent it hands over to: its name and description."""

    name: str
    description: str


A = TypeVar("A", bound=HandoffTarget)
T = TypeVar("T")


@dataclass(slots=True)
class AgentHandoff(Generic[A]):
    """A handoff target: the agent, the tool the model calls to transfer, and what it sees."""

    agent: A
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


def check_handoff_options(
    *, tool_name: str | None, description: str | None, input_filter: HistoryFilter | None
) -> None:
    """Raise ``UsageError`` for a ``handoff()`` option of the wrong kind."""
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


def check_handoffs(
    items: Iterable[object], agent_type: type[A], model_free: Callable[[A], bool]
) -> dict[str, AgentHandoff[A]]:
    """``Agent(handoffs=...)`` by tool name: each ``agent_type`` item becomes a default entry.

    Anything but an agent or an :class:`AgentHandoff` of one, a ``model_free``
    agent (it cannot take over a conversation), or a tool name used twice
    raises ``UsageError``.
    """
    handoffs: dict[str, AgentHandoff[A]] = {}
    for item in items:
        entry = AgentHandoff(item) if isinstance(item, agent_type) else item
        if not isinstance(entry, AgentHandoff):
            raise UsageError(
                f"Unknown handoff target {item!r}: handoffs= takes Agent objects or "
                "handoff(agent, ...) entries."
            )
        if entry.tool_name in handoffs:
            raise UsageError(
                f"Two handoffs use the tool name {entry.tool_name!r}; give the agents distinct "
                "names or pass handoff(agent, tool_name=...)."
            )
        handoffs[entry.tool_name] = entry
    for entry in handoffs.values():
        target = entry.agent
        if not isinstance(target, agent_type):
            raise UsageError(
                f"handoff entries hand the conversation to an Agent, not {type(target).__name__}."
            )
        if model_free(target):
            raise UsageError(
                f"Agent {target.name!r} is a model-free agent (Agent.from_tool) and cannot "
                "take over a conversation; give it to the model with as_tool() instead."
            )
    return handoffs


def handoff_routes(
    entries: Mapping[str, AgentHandoff[A]], spec_of: Callable[[A], Callable[[], AgentSpec]]
) -> Mapping[str, HandoffRoute]:
    """The routes a run reads, by tool name; ``spec_of(agent)`` gives the target's current spec."""
    return MappingProxyType(
        {
            tool_name: HandoffRoute(
                tool_name=tool_name,
                tool=entry.spec,
                target=entry.agent.name,
                input_filter=entry.input_filter,
                spec=spec_of(entry.agent),
            )
            for tool_name, entry in entries.items()
        }
    )


def reachable(root: T, targets: Callable[[T], Iterable[T]]) -> list[T]:
    """``root``, then everything reachable from it through ``targets``, each once.

    Breadth first, in the order ``targets`` gives, so what is one handoff away
    comes before what is two away; a cycle ends the walk rather than repeating it.
    """
    found = [root]
    seen = {id(root)}
    for item in found:  # the list grows while it is walked: breadth first
        for target in targets(item):
            if id(target) not in seen:
                seen.add(id(target))
                found.append(target)
    return found


def find_spec(root: AgentSpec, name: str) -> AgentSpec:
    """``root`` or the spec of an agent reachable from it through handoffs, by name."""
    for spec in reachable(root, lambda spec: [route.spec() for route in spec.handoffs.values()]):
        if spec.name == name:
            return spec
    raise UsageError(
        f"Unknown handoff target {name!r}: it is not {root.name!r} or an agent reachable "
        "through its handoffs. Resume with the agent the run was started on."
    )

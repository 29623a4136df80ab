"""Handoffs: the model transfers the conversation to another agent by calling a tool.

Each handoff target becomes a ``transfer_to_<name>`` tool with no
parameters. When the model calls it, the run carries on with the target
agent: its instructions, tools and output type apply from the next request
on, and it sees the conversation (all of it, or what ``input_filter`` keeps).

The public :func:`~llmkit.handoff` checks that its target is an ``Agent``
and leaves the other checks to :func:`check_handoff_options`; ``Agent`` turns
the entries into the :class:`~llmkit._agent.spec.HandoffRoute` entries of its
spec, which is all a run reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from llmkit._agent.spec import AgentSpec, HistoryFilter
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
]

_EMPTY_OBJECT = {"type": "object", "properties": {}, "additionalProperties": False}


class HandoffTarget(Protocol):
    """What a handoff needs of the agent it hands over to: its name and description."""

    name: str
    description: str


A = TypeVar("A", bound=HandoffTarget)


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


def check_handoffs(entries: Iterable[object]) -> dict[str, AgentHandoff[Any]]:
    """The entries by tool name; anything but an :class:`AgentHandoff`, or a tool name
    used twice, raises ``UsageError``."""
    handoffs: dict[str, AgentHandoff[Any]] = {}
    for item in entries:
        if not isinstance(item, AgentHandoff):
            raise UsageError(
                f"Unknown handoff target {item!r}: handoffs= takes Agent objects or "
                "handoff(agent, ...) entries."
            )
        if item.tool_name in handoffs:
            raise UsageError(
                f"Two handoffs use the tool name {item.tool_name!r}; give the agents distinct "
                "names or pass handoff(agent, tool_name=...)."
            )
        handoffs[item.tool_name] = item
    return handoffs


def find_spec(root: AgentSpec, name: str) -> AgentSpec:
    """``root`` or the spec of an agent reachable from it through handoffs, by name."""
    seen: set[int] = set()
    todo = [root]
    while todo:
        spec = todo.pop()
        if spec.name == name:
            return spec
        seen.add(id(spec))
        for route in spec.handoffs.values():
            target = route.spec()
            if id(target) not in seen:
                todo.append(target)
    raise UsageError(
        f"Unknown handoff target {name!r}: it is not {root.name!r} or an agent reachable "
        "through its handoffs. Resume with the agent the run was started on."
    )

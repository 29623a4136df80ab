"""``Workflow``: the public handle of a workflow or one of its steps.

A ``Workflow`` wraps one frozen node spec (``llmkit.workflow._spec``); every builder
(``step``, ``sequence``, ``parallel`` …) returns one, and combinators take them as items.
The handle adds no state of its own, so two handles of one spec behave the same.
"""

from __future__ import annotations

from typing import Any

from llmkit.errors import UsageError
from llmkit.workflow._spec import (
    BranchNode,
    LeafNode,
    LoopNode,
    MapNode,
    Node,
    ParallelNode,
    SequenceNode,
)

__all__ = ["Workflow", "kind_of"]

_KINDS: dict[type[Node], str] = {
    SequenceNode: "sequence",
    ParallelNode: "parallel",
    BranchNode: "branch",
    LoopNode: "loop",
    MapNode: "map",
}


def kind_of(node: Node) -> str:
    """The kind of ``node``: a leaf's kind, else ``"sequence"``, ``"parallel"``, ``"branch"`` …"""
    if isinstance(node, LeafNode):
        return node.kind
    return _KINDS.get(type(node), type(node).__name__)


class Workflow:
    """A workflow or one of its steps: run it, stream it, draw it, write it down."""

    __slots__ = ("_node",)

    def __init__(self, node: Node) -> None:
        if not isinstance(node, Node):
            raise UsageError(
                "Workflow wraps a node spec; build workflows with step(), sequence(), "
                f"parallel(), branch(), loop() or map_each(), not from {type(node).__name__}."
            )
        self._node = node

    @property
    def node(self) -> Node:
        """The frozen spec of this workflow (what drawing, dumping and running read)."""
        return self._node

    @property
    def name(self) -> str:
        """The node's name (the last segment of its paths)."""
        return self._node.name

    @property
    def kind(self) -> str:
        """``"function"``, ``"agent"``, ``"tool"``, ``"step"``, ``"workflow"``, ``"sequence"`` …"""
        return kind_of(self._node)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """For a function step: call the function itself (so it stays testable); UsageError otherwise."""
        node = self._node
        if isinstance(node, LeafNode) and node.kind == "function" and callable(node.target):
            return node.target(*args, **kwargs)
        raise UsageError(
            f"Only a function step can be called directly; {self.name!r} is a {self.kind} "
            "step: run it with .run(state) or .run_sync(state)."
        )

    def __repr__(self) -> str:
        return f"<Workflow {self.kind} {self.name!r}>"

"""Drawing a workflow: ``tree()`` text and ``to_mermaid()`` (not written yet: they raise)."""

from __future__ import annotations

from llmkit.workflow._spec import Node

__all__ = ["mermaid", "tree_text"]


def tree_text(node: Node) -> str:
    """``node`` as an indented tree of steps (not available yet)."""
    raise NotImplementedError("Workflow.tree() is not available yet.")


def mermaid(node: Node) -> str:
    """A Mermaid flowchart of ``node`` (not available yet)."""
    raise NotImplementedError("Workflow.to_mermaid() is not available yet.")

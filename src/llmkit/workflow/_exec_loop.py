"""The executor of loops (not written yet: it raises).

``run_loop`` keeps its place in the runner's executor table; running a workflow with a loop
raises ``NotImplementedError`` naming the node.
"""

from __future__ import annotations

from typing import Any

from llmkit.workflow._runtime import Attempt, Runtime
from llmkit.workflow._spec import Node
from llmkit.workflow._state import Scope

__all__ = ["run_loop"]


async def run_loop(rt: Runtime, node: Node, scope: Scope, at: Attempt) -> Any:
    """One attempt of a loop (not available yet)."""
    raise NotImplementedError(f"Running a loop ({at.path}) is not available yet.")

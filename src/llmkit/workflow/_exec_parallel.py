"""The executors of parallel branches and map items (not written yet: they raise).

``run_parallel`` and ``run_map`` keep their place in the runner's executor table; running a
workflow with a parallel or a map raises ``NotImplementedError`` naming the node.
"""

from __future__ import annotations

from typing import Any

from llmkit.workflow._runtime import Attempt, Runtime
from llmkit.workflow._spec import Node
from llmkit.workflow._state import Scope

__all__ = ["run_map", "run_parallel"]


async def run_parallel(rt: Runtime, node: Node, scope: Scope, at: Attempt) -> Any:
    """One attempt of a parallel (not available yet)."""
    raise NotImplementedError(f"Running a parallel ({at.path}) is not available yet.")


async def run_map(rt: Runtime, node: Node, scope: Scope, at: Attempt) -> Any:
    """One attempt of a map (not available yet)."""
    raise NotImplementedError(f"Running a map ({at.path}) is not available yet.")

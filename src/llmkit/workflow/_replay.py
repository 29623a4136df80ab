"""Replaying a recorded workflow run (not written yet: it raises)."""

from __future__ import annotations

from typing import Any, Literal

from llmkit.workflow._result import WorkflowResult
from llmkit.workflow._spec import Node

__all__ = ["replay_workflow"]


async def replay_workflow(
    root: Node,
    recording: Any,
    *,
    run: int | str = 0,
    deps: Any = None,
    state: Any = None,
    functions: Literal["recorded", "rerun"] = "recorded",
) -> WorkflowResult[Any]:
    """Run ``root`` again as ``recording`` holds it (not available yet)."""
    raise NotImplementedError("Workflow.replay_from() is not available yet.")

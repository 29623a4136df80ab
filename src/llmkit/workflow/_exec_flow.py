"""The executors of sequences and branches.

- A sequence runs its steps in order on the same state; its output is the last step's (None
  when it is empty). A step that fails with ``on_error="raise"`` ends it; the writes of the
  steps before stay.
- A branch evaluates its cases' predicates in priority order, each on the state as it is
  then, and runs the first that holds (with ``all_matches``, every one that holds, in order,
  its output the list of theirs); else ``otherwise``; else ``NoBranchMatched``, whose message
  gives each case's value and the fields it read.
"""

from __future__ import annotations

from typing import Any

from llmkit.errors import NoBranchMatched
from llmkit.workflow._policy import run_node
from llmkit.workflow._runtime import Attempt, Runtime
from llmkit.workflow._spec import BranchNode, Case, Node, SequenceNode
from llmkit.workflow._state import Scope

__all__ = ["run_branch", "run_sequence"]


async def run_sequence(rt: Runtime, node: Node, scope: Scope, at: Attempt) -> Any:
    """One attempt of a sequence: each step in order; the last one's output."""
    assert isinstance(node, SequenceNode)
    output: Any = None
    children = at.entry.children
    for child in node.steps:
        output = await run_node(rt, child, scope, f"{at.path}/{child.name}", at.defaults, children)
    return output


def _shown(case: Case, value: Any, scope: Scope) -> str:
    predicate = case.predicate
    text = f"{predicate.describe()} was {value!r}"
    names = sorted(predicate.names)
    if names:
        fields = ", ".join(f"{name}={scope.adapter.get(scope.state, name)!r}" for name in names)
        text += f" ({fields})"
    return text


async def run_branch(rt: Runtime, node: Node, scope: Scope, at: Attempt) -> Any:
    """One attempt of a branch: the first case that holds (every one with all_matches)."""
    assert isinstance(node, BranchNode)
    path = at.path
    children = at.entry.children
    outputs: list[Any] = []
    missed: list[str] = []
    for case in node.cases:
        value = case.predicate.evaluate(scope.state, scope.adapter, path=path)
        if not value:
            missed.append(_shown(case, value, scope))
            continue
        output = await run_node(
            rt, case.step, scope, f"{path}/{case.step.name}", at.defaults, children
        )
        if not node.all_matches:
            return output
        outputs.append(output)
    if outputs:
        return outputs
    if node.otherwise is not None:
        other = node.otherwise
        return await run_node(rt, other, scope, f"{path}/{other.name}", at.defaults, children)
    why = "; ".join(missed) or "it has no cases"
    raise NoBranchMatched(
        f"Branch {path!r} matched no case and has no otherwise: {why}; add otherwise=...",
        path=path,
    )

"""The executor of loops.

A loop runs its body again and again on the state it shares with the steps around it, each
iteration at ``<path>[i]/<body>`` (``i`` from 0):

- ``while_`` is checked before each iteration (so there may be none), ``until`` after each
  one (so there is at least one), ``count`` runs the body that many times;
- ``max_iterations`` and ``max_duration`` end the loop normally, the loop's trace record then
  saying why (``reason="max_iterations"`` or ``"max_duration"``). ``max_duration`` is read on
  the run's clock before each iteration: it never interrupts one (``timeout=`` does);
- ``delay`` seconds pass between two iterations (never before the first or after the last;
  the run's sleep, a no-op in a replay);
- an iteration that fails ends the loop with its failure (the loop's own policy then
  applies), unless ``break_on_error=True``: then the loop ends normally after it
  (``reason="break_on_error"``), the failure is kept in ``result.errors``, and the state is
  as the previous iteration left it (each iteration then works on a copy that is merged
  when it succeeds). Stops (cancellation, the run's limits) always end the run;
- the output is the last iteration's (None when there was none), or with ``collect=True``
  the list of every iteration's output.
"""

from __future__ import annotations

from typing import Any

from llmkit.workflow._policy import Failed, run_node
from llmkit.workflow._result import StepFailure
from llmkit.workflow._runtime import Attempt, Runtime
from llmkit.workflow._spec import LoopNode, Node
from llmkit.workflow._state import Scope

__all__ = ["run_loop"]


def _ended_by(
    rt: Runtime, node: LoopNode, scope: Scope, at: Attempt, done: int, since: float
) -> str | None:
    """Why the loop ends before iteration ``done`` (``""``: its condition), or None to go on."""
    if node.count is not None and done >= node.count:
        return ""
    if node.max_iterations is not None and done >= node.max_iterations:
        return "max_iterations"
    if node.max_duration is not None and rt.clock() - since >= node.max_duration:
        return "max_duration"
    if node.while_ is not None and not node.while_.evaluate(
        scope.state, scope.adapter, path=at.path
    ):
        return ""
    return None


async def run_loop(rt: Runtime, node: Node, scope: Scope, at: Attempt) -> Any:
    """One attempt of a loop: the body until the loop ends; the last output (or every one)."""
    assert isinstance(node, LoopNode)
    body = node.body
    children = at.entry.children
    since = rt.clock()
    outputs: list[Any] = []
    output: Any = None
    done = 0
    while True:
        why = _ended_by(rt, node, scope, at, done, since)
        if why is not None:
            at.entry.reason = why
            break
        if done and node.delay:
            await rt.sleep(node.delay)
        path = f"{at.path}[{done}]/{body.name}"
        done += 1
        if not node.break_on_error:
            output = await run_node(rt, body, scope, path, at.defaults, children)
        else:
            work = scope.branch(writes=True)
            try:
                output = await run_node(rt, body, work, path, at.defaults, children)
            except Failed as failed:
                if failed.stop:
                    raise
                rt.errors.append(StepFailure.of(failed.path, failed.error, failed.attempt))
                at.entry.reason = "break_on_error"
                break
            scope.replay(work.log or [])
        if node.collect:
            outputs.append(output)
        if node.until is not None and node.until.evaluate(scope.state, scope.adapter, path=at.path):
            at.entry.reason = ""
            break
    return outputs if node.collect else output

"""The hook side of an agent run: the contexts hooks see, and tool calls with hooks around them.

Kept apart from the loop, which calls in here only when the run has hooks.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from llmkit._agent.calls import PlannedCall, execute, plan_tool_call
from llmkit._hooks.base import HookContext
from llmkit.types import ToolCall, ToolResult

if TYPE_CHECKING:
    from llmkit._agent.loop import AgentRun
    from llmkit._hooks.chain import HookChain
    from llmkit.context import RunContext
    from llmkit.tools._tool import ErrorMode

__all__ = ["call_context", "execute_hooked", "run_context"]


def run_context(run: AgentRun) -> HookContext:
    """The hook context of ``run`` as a whole (kept on the run for its model and tool calls)."""
    ctx = run.hook_ctx = HookContext(
        "run",
        run.context(),
        run.model,
        input=list(run.messages[run.history_length :]),
        stream=run.stream,
        started=time.perf_counter(),
    )
    return ctx


def call_context(run: AgentRun) -> HookContext:
    """The hook context of the model call ``run`` is about to make."""
    return HookContext(
        "model",
        run.context(),
        run.model,
        parent=run.hook_ctx,
        stream=run.stream,
        started=time.perf_counter(),
    )


async def execute_hooked(
    planned: PlannedCall,
    ctx: RunContext[Any],
    hooks: HookChain,
    parent: HookContext | None,
    tool_errors: ErrorMode = "return",
) -> None:
    """Run one planned call through the tool hooks and store its result.

    Arguments a hook changed are checked against the tool's schema again; if
    they do not fit, the model gets the error, as for its own bad arguments.
    ``after_tool`` hooks see what the tool raised as ``ctx.tool_error``.
    """
    call = planned.call
    hctx = HookContext(
        "tool",
        ctx.for_tool_call(call),
        ctx.model,
        tool_call=call,
        parent=parent,
        started=time.perf_counter(),
    )

    async def run(call: ToolCall) -> ToolResult:
        if call is not planned.call:
            checked = plan_tool_call(call, planned.tool, planned.call.name)
            if checked.result is not None:
                planned.bad_call = True
                return checked.result
            planned.call = call
            planned.kwargs = checked.kwargs
        await execute(planned, ctx, run_id=ctx.run_id, tool_errors=tool_errors)
        hctx.tool_error = planned.error
        assert planned.result is not None
        return planned.result

    planned.result = await hooks.call_tool(hctx, call, run)
    planned.duration = hctx.elapsed

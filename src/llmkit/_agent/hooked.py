"""The hook side of an agent run: the contexts hooks see, and tool calls with hooks around them.

Kept apart from the loop, which calls in here only when the run has hooks.
The context builders are plain functions of the values they put in the
context; they know nothing of the run that calls them.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from llmkit._agent.calls import PlannedCall, execute, plan_tool_call
from llmkit.types import ToolCall, ToolResult

if TYPE_CHECKING:
    from llmkit._hooks.base import HookContext
    from llmkit._hooks.chain import HookChain
    from llmkit.context import RunContext
    from llmkit.providers.base import Model
    from llmkit.tools._tool import ErrorMode
    from llmkit.types import Message

__all__ = ["call_context", "execute_hooked", "run_context"]


def run_context(
    ctx: RunContext[Any], model: Model | None, input: list[Message], *, stream: bool
) -> HookContext:
    """The hook context of a whole run that starts from the new messages ``input``.

    ``model`` is None for a model-free agent's run.

    The run keeps it: it is the parent of the contexts of its model and tool calls.
    """
    # The hook side loads with the first run that has hooks, not with every agent.
    from llmkit._hooks.base import HookContext

    return HookContext("run", ctx, model, input=input, stream=stream, started=time.perf_counter())


def call_context(
    ctx: RunContext[Any], model: Model, parent: HookContext | None, *, stream: bool
) -> HookContext:
    """The hook context of a model call about to be made, within the run's ``parent``."""
    from llmkit._hooks.base import HookContext

    return HookContext(
        "model", ctx, model, parent=parent, stream=stream, started=time.perf_counter()
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
    from llmkit._hooks.base import HookContext

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

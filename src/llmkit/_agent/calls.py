"""Tool calls inside an agent run: checking them, running them, answering them.

Every tool call the model makes gets exactly one :class:`~llmkit.types.ToolResult`,
whatever happens: an unknown name, arguments that are not JSON or do not fit
the schema, an exception, a timeout, a return value that cannot be sent, a
denial. The model reads the error and may try again; the conversation never
holds an unanswered call.

Nothing a tool raises goes unseen: every exception (``SystemExit`` included,
which argparse raises on bad arguments, and ``GeneratorExit`` or any other
``BaseException`` of the tool's own code) is logged at WARNING on the
``llmkit`` logger with its traceback, and kept on the call
(``PlannedCall.error``, then the ``tool.result`` event). Three things pass
through instead, since they stop the run rather than fail the call:
``KeyboardInterrupt``; a cancellation of the task running the call (the run
was cancelled or timed out; a ``CancelledError`` the tool's own code raised
while nobody cancelled it is the tool's failure); and a
:class:`~llmkit.tools._deadline.CallTimeoutError` from ``checkpoint()`` when
the limit around the call (the run's) ran out, which the loop turns into
``RunTimeoutError``. A tool's own ``timeout`` stays the tool's failure.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from llmkit.context import RunContext
from llmkit.errors import AgentError, RunTimeoutError, ToolError, ToolExecutionError
from llmkit.events import ToolFailure
from llmkit.tools._deadline import CallTimeoutError, current_limit
from llmkit.tools._schema import describe_validation_error
from llmkit.tools._serialize import to_content
from llmkit.tools._tool import ErrorMode, Tool, ToolReturn
from llmkit.types import JSONDict, Message, ToolCall, ToolResult, Usage

__all__ = [
    "CallKind",
    "PlannedCall",
    "answer_open_calls",
    "error_result",
    "execute",
    "plan_tool_call",
    "stop_reason",
]

CallKind: TypeAlias = Literal["tool", "final", "handoff", "error"]

_log = logging.getLogger("llmkit")

DENIED = "The user denied this tool call; it was not run."
NOT_RUN_FINAL = "Not run: the final answer was given in the same turn."


@dataclass(slots=True)
class PlannedCall:
    """One tool call of a model response, classified and (for tools) with checked arguments."""

    call: ToolCall
    kind: CallKind
    tool: Tool[..., Any] | None = None
    kwargs: JSONDict | None = None
    result: ToolResult | None = None
    """Set once the call is answered (an error found while planning, or after running)."""
    usage: Usage | None = None
    """Usage a tool reported (an agent used as a tool)."""
    duration: float = 0.0
    bad_call: bool = False
    """The model called wrongly: unknown name, bad arguments, or the tool raised ToolError."""
    held: bool = False
    """Waiting for a human's approval."""
    error: ToolFailure | None = None
    """What the tool raised, when its result is an error because it raised."""
    returned: tuple[ToolResult, Any] | None = None
    """The result the tool's return value made, and that value (a model-free run's output)."""
    interrupted: bool = False
    """Held because it started before a crash and left no result (a durable run's resume)."""

    @property
    def needs_run(self) -> bool:
        """A tool call with good arguments that has not run yet (and is not held)."""
        return self.kind == "tool" and self.result is None and not self.held


def error_result(call: ToolCall, text: str) -> ToolResult:
    """An error result for ``call`` that the model can act on."""
    return ToolResult(call.id, text, is_error=True, name=call.name)


def plan_tool_call(call: ToolCall, tool: Tool[..., Any] | None, known: str) -> PlannedCall:
    """Check one call of an ordinary tool: a known name and arguments that fit its schema."""
    if tool is None:
        return PlannedCall(
            call,
            "error",
            bad_call=True,
            result=error_result(
                call, f"Unknown tool {call.name!r}. Call one of the available tools: {known}."
            ),
        )
    if call.arguments_error is not None:
        return PlannedCall(
            call,
            "error",
            tool,
            bad_call=True,
            result=error_result(
                call,
                f"The arguments of {call.name} could not be read: {call.arguments_error}. "
                "Send a JSON object that matches the tool's parameters.",
            ),
        )
    try:
        kwargs = tool.validate(call.arguments)
    except Exception as exc:
        if not hasattr(exc, "errors"):
            raise
        return PlannedCall(
            call,
            "error",
            tool,
            bad_call=True,
            result=error_result(
                call,
                f"Invalid arguments for {call.name}:\n{describe_validation_error(exc)}\n"
                "Fix them and call the tool again.",
            ),
        )
    return PlannedCall(call, "tool", tool, kwargs)


async def execute(
    planned: PlannedCall,
    ctx: RunContext[Any] | None,
    *,
    run_id: str = "",
    tool_errors: ErrorMode = "return",
) -> None:
    """Run one planned call and store its result.

    Raises only for a failure the tool's ``errors`` (or, when the tool leaves it
    unset, ``tool_errors``) says to raise, as :class:`ToolExecutionError`, and
    for what stops the run (see the module's docstring).
    """
    tool = planned.tool
    call = planned.call
    assert tool is not None
    assert planned.kwargs is not None
    if tool.takes_ctx and ctx is not None:
        ctx = ctx.for_tool_call(call)
    mode = tool.errors or tool_errors
    start = time.perf_counter()
    try:
        value = await tool.call(ctx, planned.kwargs)
    except ToolError as exc:
        # Raised on purpose for the model: expected, so no traceback is formatted.
        message = str(exc)
        planned.bad_call = True
        planned.error = ToolFailure(type(exc).__name__, message)
        planned.result = error_result(call, message or type(exc).__name__)
        _log.debug(
            "Tool %r raised ToolError (run %s, call %s): %s", call.name, run_id, call.id, exc
        )
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        # SystemExit too: a tool must not end the process (argparse raises it on bad input);
        # and GeneratorExit, or any BaseException of the tool's own code.
        if _stops_the_run(exc):
            raise
        usage = getattr(exc, "usage", None)
        if isinstance(usage, Usage):
            planned.usage = usage  # a sub-agent that failed still spent tokens
        timed_out = isinstance(exc, TimeoutError) and tool.timeout is not None
        what = f"timed out after {tool.timeout} s" if timed_out else f"raised {_describe(exc)}"
        _failed(planned, exc, what, mode, run_id)
    else:
        if isinstance(value, ToolReturn):
            planned.usage = value.usage
            value = value.value
        try:
            content = to_content(value)
        except Exception as exc:
            what = f"returned a value that cannot be sent to the model: {exc}"
            _failed(planned, exc, what, mode, run_id)
        else:
            planned.result = answer = ToolResult(call.id, content, name=call.name)
            planned.returned = (answer, value)
    planned.duration = time.perf_counter() - start


def _failed(
    planned: PlannedCall, exc: BaseException, what: str, mode: ErrorMode, run_id: str
) -> None:
    """Log a tool's failure and keep it; the model gets an error result, or the run stops."""
    call = planned.call
    planned.error = ToolFailure.from_exception(exc)
    # The arguments stay out of the log: they may hold what the user typed or secrets.
    _log.warning(
        "Tool %r %s (run %s, call %s)",
        call.name,
        what,
        run_id,
        call.id,
        exc_info=exc,
        extra={"run_id": run_id, "tool_name": call.name, "tool_call_id": call.id},
    )
    if mode == "raise":
        raise ToolExecutionError(f"Tool {call.name!r} {what}.", tool_name=call.name) from exc
    planned.result = error_result(call, f"Tool {call.name} {what}.")


def answer_open_calls(
    messages: list[Message], planned: list[PlannedCall] | None, reason: str
) -> None:
    """Answer the calls of a trailing assistant message that have no result yet.

    Results already computed are kept; the others say they were not run and why.
    Keeps a conversation valid for every provider after a failure or a cancellation.
    """
    if not messages or messages[-1].role != "assistant":
        return
    calls = messages[-1].tool_calls
    if not calls:
        return
    done = {p.call.id: p.result for p in planned or () if p.result is not None}
    results = [done.get(call.id) or error_result(call, f"Not run: {reason}.") for call in calls]
    messages.append(Message.tool(*results))


def stop_reason(exc: BaseException) -> str:
    """Why the calls left open by ``exc``, which stopped the run, were not run."""
    if isinstance(exc, asyncio.CancelledError | GeneratorExit | KeyboardInterrupt):
        return "the run was cancelled"
    if isinstance(exc, RunTimeoutError | CallTimeoutError):
        return "the run timed out"
    if isinstance(exc, AgentError):
        return f"the run stopped ({type(exc).__name__})"
    return f"the run stopped with {type(exc).__name__}"


def _stops_the_run(exc: BaseException) -> bool:
    """Whether ``exc``, raised out of a tool call, stops the run instead of failing the call."""
    if isinstance(exc, asyncio.CancelledError):
        # A real cancellation (the run's, or a timeout's around the call) was requested
        # on this task; otherwise the tool's own code raised it (e.g. it awaited
        # something that another party cancelled), and that is the tool's failure.
        task = asyncio.current_task()
        return task is None or task.cancelling() > 0
    if isinstance(exc, CallTimeoutError):
        # checkpoint() saw a limit around the call run out (the run's timeout): that ends
        # the run. The call's own limit running out is the tool's failure (its timeout).
        # The limits around the call are the current one (the call's own was left) and
        # those enclosing it.
        limit = current_limit()
        while limit is not None:
            if limit is exc.limit:
                return True
            limit = limit.parent
    return False


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

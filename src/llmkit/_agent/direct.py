"""Adapters between agents and tools, both ways.

``Agent.from_tool(tool)`` is a model-free agent: it fits anywhere an agent
does (a step of a workflow, ``as_tool``) but calls no model; its run (a
:class:`DirectRun`) validates the input as the tool's arguments, calls the
tool, and returns what it returned. It is published and streamed like any
run. ``agent.as_tool()`` is the reverse: a tool whose call runs the agent and
reports its usage to the calling run.

What a model-free run honours, and why (:func:`check_direct_options` refuses
the rest with a :class:`~llmkit.errors.UsageError`):

- ``deps`` reach the tool's run context; ``hooks`` (and an active
  ``llmkit.record()``, which is one) run around the run (``before_run``,
  ``after_run``, ``on_error``) and the tool call (``before_tool``,
  ``after_tool``), as in a run with a model; there is no model call, so
  model hooks are never called;
- ``timeout`` (the run's, or the agent's) bounds the tool call: past it the
  run raises :class:`~llmkit.errors.RunTimeoutError`;
- what an exception in the tool does is the tool's ``errors=``, else the
  agent's ``tool_errors`` (``"raise"`` unless ``from_tool`` was given
  another): ``"raise"`` stops the run with
  :class:`~llmkit.errors.ToolExecutionError`, a ``ToolError`` included, since
  no model is there to read it; ``"return"`` ends the run with the error text
  as its output;
- a tool that ``requires_approval`` is refused: a model-free run cannot pause
  for the decision, and calling it unasked would skip the approval;
- ``message_history``, ``usage_limits`` and ``max_steps`` concern model calls
  and a conversation the model reads: a run with no model has neither, so
  they are refused rather than ignored.

The run builds its events (run start, tool call, tool result, run end, an
error) only when the caller streams or the bus has a subscriber.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any, Protocol

from llmkit._agent.batch import run_calls
from llmkit._agent.calls import PlannedCall
from llmkit._agent.deadline import calls_within
from llmkit._agent.hooked import run_context
from llmkit.context import RunContext
from llmkit.errors import AgentError, RunTimeoutError, ToolExecutionError, UsageError
from llmkit.events import ErrorEvent, Event, RunEnd, RunStart, ToolCallEvent, ToolResultEvent
from llmkit.run import RunOptions, RunResult
from llmkit.tools import Tool, ToolReturn
from llmkit.tools._schema import describe_validation_error
from llmkit.types import JSONDict, Message, ToolCall, Usage

if TYPE_CHECKING:
    from llmkit._agent.spec import AgentSpec
    from llmkit._hooks.chain import HookChain
    from llmkit.bus import Bus

__all__ = ["DirectRun", "RunsAsTool", "agent_as_tool", "check_direct_options"]


class RunsAsTool(Protocol):
    """What ``as_tool()`` needs of an agent: its name, description and deps, and a run."""

    name: str
    description: str
    deps: Any

    async def run(self, user_input: str, *, deps: Any) -> RunResult[Any]:
        """Run on ``user_input`` with ``deps``."""
        ...


def _arguments(spec: AgentSpec, user_input: Any) -> tuple[JSONDict, str]:
    tool = spec.direct
    assert tool is not None
    if isinstance(user_input, dict):
        return dict(user_input), json.dumps(user_input, default=str)
    if isinstance(user_input, Message):
        text = user_input.text
    elif isinstance(user_input, str):
        text = user_input
    else:
        raise UsageError(
            f"Agent {spec.name!r} runs the tool {tool.name!r}: give it a dict of arguments "
            "or text (JSON arguments, or the value of its single parameter)."
        )
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if isinstance(value, dict):
        return value, text
    names = list(tool.spec.parameters.get("properties", {}))
    if len(names) == 1:
        return {names[0]: text if value is None else value}, text
    raise UsageError(
        f"Agent {spec.name!r} runs the tool {tool.name!r}, which takes "
        f"{', '.join(names) or 'no'} parameters: pass a dict or a JSON object of them."
    )


def check_direct_options(name: str, options: RunOptions) -> None:
    """Refuse the run options a model-free agent has no use for, saying why."""
    if not options:
        return
    if options.get("store") is not None or options.get("session") is not None:
        raise UsageError(
            f"Agent {name!r} is model-free (Agent.from_tool): one call with no model answers "
            "to keep, so it takes no store= or session=; run it inside a workflow to checkpoint it."
        )
    given = {
        "message_history": options.get("message_history"),
        "usage_limits": options.get("usage_limits"),
        "max_steps": options.get("max_steps"),
    }
    refused = [option for option, value in given.items() if value]
    if refused:
        raise UsageError(
            f"Agent {name!r} is model-free (Agent.from_tool): it calls no model, so it has no "
            f"conversation to continue and no model calls to limit; drop "
            f"{', '.join(f'{option}=' for option in refused)}. It takes deps=, timeout= and hooks=."
        )


class DirectRun:
    """The run of a model-free agent: validate the input, call the tool, give back its value.

    Driven like an :class:`~llmkit._agent.loop.AgentRun`, through
    :mod:`~llmkit._agent.publish`; what it honours is in the module's docstring.
    """

    def __init__(
        self,
        spec: AgentSpec,
        user_input: Any,
        deps: Any,
        run_id: str,
        timeout: float | None,
        stream: bool,
        hooks: HookChain | None,
        bus: Bus | None,
    ) -> None:
        self.spec = spec
        self.user_input = user_input
        self.deps = deps
        self.run_id = run_id
        self.timeout = timeout
        self.hooks = hooks
        self.bus = bus
        """The bus to publish events on (None: nobody listens)."""
        self.emit = stream or bus is not None
        """Build events: for the caller (streaming) or for the event bus."""
        self.stream = stream
        self.result: RunResult[Any] | None = None

    async def events(self) -> AsyncGenerator[Event, None]:
        """Run the tool as the run ``run_id``; yields events only when streaming or publishing."""
        spec, run_id, emit, hooks = self.spec, self.run_id, self.emit, self.hooks
        tool = spec.direct
        assert tool is not None
        if tool.requires_approval:
            raise UsageError(
                f"Tool {tool.name!r} requires approval before each call, and agent {spec.name!r} "
                "is model-free (Agent.from_tool): its run cannot pause for a decision. Run the "
                "tool from an agent with a model (the run pauses until you approve), or make it "
                "with requires_approval=False if a person already decided."
            )
        deadline = None
        if self.timeout is not None:
            deadline = asyncio.get_running_loop().time() + self.timeout
        arguments, text = _arguments(spec, self.user_input)
        kwargs = _validated(spec, tool, arguments)
        messages = [Message.user(text)]
        usage = Usage()
        call = ToolCall(f"call_{run_id[:12]}", tool.name, arguments)
        ctx = RunContext(self.deps, run_id, spec.name, None, messages, usage, 1, call)
        hook_ctx = None
        try:
            if emit:
                yield RunStart(run_id, spec.name, list(messages))
            if hooks is not None:
                hook_ctx = run_context(ctx, None, list(messages), stream=self.stream)
                await hooks.start_run(hook_ctx)
            if emit:
                yield ToolCallEvent(run_id, 1, call)
            planned = PlannedCall(call, "tool", tool, kwargs)
            await self._call(planned, ctx, hook_ctx, deadline)
            answer = planned.result
            assert answer is not None
            if planned.error is not None and (tool.errors or spec.tool_errors) == "raise":
                # What execute() gives back rather than raising (a ToolError, meant for a
                # model) has no model to read it here.
                raise ToolExecutionError(
                    f"Tool {tool.name!r} of agent {spec.name!r} failed: {answer.text}",
                    tool_name=tool.name,
                )
            if emit:
                yield ToolResultEvent(run_id, 1, answer, planned.duration, planned.error)
            usage = planned.usage or usage
            returned = planned.returned
            if answer.is_error:
                value: Any = answer.text
            elif returned is not None and returned[0] is answer:
                value = returned[1]
            else:  # a hook gave the result: its content is all there is
                value = answer.content
            messages.append(Message.assistant(answer.text))
            result: RunResult[Any] = RunResult(
                output=value, messages=messages, usage=usage, agent=spec.name, run_id=run_id
            )
            if hooks is not None:
                assert hook_ctx is not None
                result = await hooks.end_run(hook_ctx, result)
            self.result = result
        except BaseException as exc:
            if isinstance(exc, AgentError) and exc.usage is None:
                exc.messages = messages
                exc.usage = usage
            if hooks is not None and hook_ctx is not None:
                await hooks.error(hook_ctx, exc)
            if emit and isinstance(exc, Exception):
                yield ErrorEvent(type(exc).__name__, str(exc), run_id)
            raise
        if emit:
            yield RunEnd(run_id, result)

    async def _call(
        self,
        planned: PlannedCall,
        ctx: RunContext[Any],
        hook_ctx: Any,
        deadline: float | None,
    ) -> None:
        """Run the call (through the tool hooks, if any) within the run's deadline."""
        calls = run_calls(
            [planned],
            ctx,
            self.hooks,
            hook_ctx,
            run_id=self.run_id,
            tool_errors=self.spec.tool_errors,
        )
        if deadline is None:
            await calls
        else:
            await calls_within(deadline, calls, self._timed_out)

    def _timed_out(self) -> AgentError:
        return RunTimeoutError(
            f"Agent {self.spec.name!r} stopped: the run took longer than {self.timeout} s."
        )


def _validated(spec: AgentSpec, tool: Tool[..., Any], arguments: JSONDict) -> JSONDict:
    try:
        return tool.validate(arguments)
    except Exception as exc:
        if not hasattr(exc, "errors"):
            raise
        raise UsageError(
            f"The input of agent {spec.name!r} does not fit the tool {tool.name!r}:\n"
            f"{describe_validation_error(exc)}"
        ) from None


def agent_as_tool(
    agent: RunsAsTool, *, name: str | None = None, description: str | None = None
) -> Tool[..., Any]:
    """A tool that runs ``agent`` on its ``input`` and returns the output (with the usage)."""
    for option, value in (("name", name), ("description", description)):
        if value is not None and not isinstance(value, str):
            raise UsageError(f"as_tool({option}=...) takes a string, not {type(value).__name__}.")

    async def run_agent(ctx: RunContext[Any], input: str) -> ToolReturn:
        """Ask the agent.

        Args:
            input: The request, with everything the agent needs to know.
        """
        deps = agent.deps if agent.deps is not None else ctx.deps
        result = await agent.run(input, deps=deps)
        if result.paused:
            raise UsageError(
                f"Agent {agent.name!r} paused for approvals while running as a tool; "
                "tools that need approval cannot run inside agent.as_tool()."
            )
        return ToolReturn(result.output, usage=result.usage)

    return Tool(
        run_agent,
        name=name or agent.name,
        description=description or agent.description or f"Ask the {agent.name} agent.",
    )

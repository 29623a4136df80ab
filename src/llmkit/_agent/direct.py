"""Adapters between agents and tools, both ways.

``Agent.from_tool(tool)`` is a model-free agent: it fits anywhere an agent
does (a step of a workflow, ``as_tool``) but calls no model; its run (a
:class:`DirectRun`) validates the input as the tool's arguments, calls the
tool, and returns what it returned. It is published and streamed like any
run. ``agent.as_tool()`` is the reverse: a tool whose call runs the agent and
reports its usage to the calling run.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any, Protocol

from llmkit.context import RunContext
from llmkit.errors import ToolExecutionError, UsageError
from llmkit.events import Event, RunEnd, RunStart, ToolCallEvent, ToolResultEvent
from llmkit.run import RunResult
from llmkit.tools import Tool, ToolReturn, to_content
from llmkit.tools._schema import describe_validation_error
from llmkit.types import JSONDict, Message, ToolCall, ToolResult, Usage

if TYPE_CHECKING:
    from llmkit._agent.spec import AgentSpec
    from llmkit.bus import Bus

__all__ = ["DirectRun", "RunsAsTool", "agent_as_tool"]


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


class DirectRun:
    """The run of a model-free agent: validate the input, call the tool, give back its value.

    Driven like an :class:`~llmkit._agent.loop.AgentRun`, through
    :mod:`~llmkit._agent.publish`. It always builds its four events (run
    start, tool call, tool result, run end): they are few, and cost nothing
    next to the tool.
    """

    def __init__(
        self, spec: AgentSpec, user_input: Any, deps: Any, run_id: str, bus: Bus | None
    ) -> None:
        self.spec = spec
        self.user_input = user_input
        self.deps = deps
        self.run_id = run_id
        self.bus = bus
        """The bus to publish events on (None: nobody listens)."""
        self.result: RunResult[Any] | None = None

    async def events(self) -> AsyncGenerator[Event, None]:
        """Run the tool as the run ``run_id``, yielding the run's events."""
        spec, run_id = self.spec, self.run_id
        tool = spec.direct
        assert tool is not None
        arguments, text = _arguments(spec, self.user_input)
        try:
            kwargs = tool.validate(arguments)
        except Exception as exc:
            if not hasattr(exc, "errors"):
                raise
            raise UsageError(
                f"The input of agent {spec.name!r} does not fit the tool {tool.name!r}:\n"
                f"{describe_validation_error(exc)}"
            ) from None
        messages = [Message.user(text)]
        call = ToolCall(f"call_{run_id[:12]}", tool.name, arguments)
        yield RunStart(run_id, spec.name, list(messages))
        yield ToolCallEvent(run_id, 1, call)
        ctx = RunContext(self.deps, run_id, spec.name, None, messages, Usage(), 1, call)
        start = time.perf_counter()
        try:
            value = await tool.call(ctx, kwargs)
            usage = Usage()
            if isinstance(value, ToolReturn):
                usage = value.usage or usage
                value = value.value
            content = to_content(value)
        except (Exception, SystemExit) as exc:  # SystemExit too: a tool must not end the process
            raise ToolExecutionError(
                f"Tool {tool.name!r} of agent {spec.name!r} raised {type(exc).__name__}: {exc}",
                tool_name=tool.name,
                messages=messages,
                usage=Usage(),
            ) from exc
        answer = ToolResult(call.id, content, name=tool.name)
        yield ToolResultEvent(run_id, 1, answer, time.perf_counter() - start)
        messages.append(Message.assistant(answer.text if isinstance(content, list) else content))
        self.result = result = RunResult(
            output=value, messages=messages, usage=usage, agent=spec.name, run_id=run_id
        )
        yield RunEnd(run_id, result)


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

"""The executor of leaf attempts: a function, an agent, a tool, a ``Step`` object, a nested workflow.

- A function gets the input (and, when it takes one, the ``StepContext``); a sync function
  runs inline (no thread hop: a timeout cannot interrupt it), or in a worker thread with
  ``step(fn, thread=True)`` (the context, step scope included, goes with it); a coroutine's
  result is awaited.
- An agent gets the input rendered as text (:func:`render_input`) and runs with the
  workflow's deps and hooks, inside ``agent.override(run_id=...)``: the workflow chooses
  each run's id, so the trace names failed attempts' runs too. In a streamed workflow its
  events are forwarded to the stream (the agent publishes them on the bus itself). Its usage
  counts for the step, a failed run's too.
- A tool runs as its model-free agent (``Agent.from_tool``): one validation path, one set of
  events; its input is a dict of arguments, JSON text of one, or the single parameter's value.
- A ``Step`` object's ``run(input, context)`` is awaited.
- A nested workflow runs its inner root at the leaf's own path.

In a replay (``rt.replayer`` set) agents, functions, tools and steps are answered by it.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Mapping
from typing import Any, cast

from pydantic import BaseModel

from llmkit._ids import new_id
from llmkit.agent import Agent
from llmkit.events import RunEnd
from llmkit.tools import Tool
from llmkit.types import Message, Usage
from llmkit.workflow._policy import add_usage, run_node, step_context
from llmkit.workflow._runtime import NO_DEFAULTS, Attempt, Runtime
from llmkit.workflow._spec import LeafNode, Node
from llmkit.workflow._state import Scope
from llmkit.workflow._steps import Step

__all__ = ["render_input", "run_leaf"]

_PART_TYPES: tuple[type, ...] = ()


def _is_part(value: object) -> bool:
    global _PART_TYPES
    if not _PART_TYPES:
        from llmkit import types

        _PART_TYPES = (
            types.TextPart,
            types.ImagePart,
            types.DocumentPart,
            types.AudioPart,
            Message,
        )
    return isinstance(value, _PART_TYPES)


def render_input(value: Any) -> Any:
    """What an agent step is given: text, a message or parts as they are; data as JSON text.

    A pydantic model becomes its indented JSON, a mapping or a list indented JSON (non-ASCII
    kept, unknown values by ``str``), anything else ``str(value)``.
    """
    if isinstance(value, str | Message):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump_json(indent=2)
    if isinstance(value, list | tuple) and value and all(_is_part(item) for item in value):
        return list(value)
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return str(value)


async def run_leaf(rt: Runtime, node: Node, scope: Scope, at: Attempt) -> Any:
    """One attempt of a leaf node; its output."""
    assert isinstance(node, LeafNode)
    kind = node.kind
    if kind == "workflow":
        inner = node.target
        assert isinstance(inner, Node)
        return await run_node(rt, inner, scope, at.path, NO_DEFAULTS, at.entry.children)
    replayer = rt.replayer
    if kind == "agent":
        agent = node.target
        assert isinstance(agent, Agent)
        return await _call_agent(rt, agent, render_input(at.input), at)
    if kind == "tool":
        agent = rt.tool_agents.get(id(node))
        if agent is None:
            agent = rt.tool_agents[id(node)] = Agent.from_tool(cast("Tool[..., Any]", node.target))
        return await _call_agent(rt, agent, at.input, at)
    if replayer is not None and replayer.answers_steps:
        return await replayer.step_outcome(at.path, at.number, at.input)
    if kind == "step":
        target = node.target
        assert isinstance(target, Step)
        context = at.context or step_context(rt, at.entry, at.number, scope.state)
        at.context = context
        return await target.run(at.input, context)
    return await _call_function(rt, node, scope, at)


async def _call_function(rt: Runtime, node: LeafNode, scope: Scope, at: Attempt) -> Any:
    function: Any = node.target
    args: tuple[Any, ...] = (at.input,)
    if node.takes_context:
        context = at.context or step_context(rt, at.entry, at.number, scope.state)
        at.context = context
        args = (at.input, context)
    if node.thread:
        return await asyncio.to_thread(function, *args)
    output = function(*args)
    if inspect.isawaitable(output):
        output = await output
    return output


async def _call_agent(rt: Runtime, agent: Agent[Any], text: Any, at: Attempt) -> Any:
    run_id = new_id()
    entry = at.entry
    entry.run_ids.append(run_id)
    options: dict[str, Any] = {}
    if rt.deps is not None:
        options["deps"] = rt.deps
    if rt.agent_hooks:
        options["hooks"] = rt.agent_hooks
    usage: Usage | None = None  # what the run spent: its result's, or its error's
    try:
        with agent.override(run_id=run_id):
            if rt.replayer is not None:
                result = await rt.replayer.agent_run(
                    agent, text, path=at.path, attempt=at.number, deps=rt.deps
                )
            elif rt.channel is None:
                result = await agent.run(text, **options)
            else:
                result = None
                async for event in agent.stream(text, **options):
                    await rt.forward(event)
                    if type(event) is RunEnd:
                        result = event.result
        usage = result.usage
        return result.output
    except Exception as exc:
        spent = getattr(exc, "usage", None)
        if isinstance(spent, Usage):
            usage = spent
        raise
    finally:
        if usage is not None:
            entry.usage = add_usage(entry.usage, usage)
        if rt.ledger is not None:
            rt.ledger.finish([run_id], Usage() if usage is None else usage)

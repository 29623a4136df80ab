"""Agents: a model, instructions and tools, run in a loop until there is a final answer.

::

    from llmkit import Agent, tool

    @tool
    def add(a: int, b: int) -> int:
        \"\"\"Add two integers.\"\"\"
        return a + b

    agent = Agent("openai/gpt-4.1-mini", instructions="Be brief.", tools=[add])
    result = agent.run_sync("What is 2+3?")
    result.output, result.messages, result.usage, result.steps

An agent holds configuration only; every run has its own state, so one agent
serves many concurrent runs. Setting an attribute (``agent.instructions = ...``,
``agent.max_steps = ...``) takes effect from the next run; a run in progress
keeps what it started with. Structured output (``output_type=...``),
handoffs to other agents, agents as tools, and human approval of tool calls
are covered in ``docs/agents.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from typing_extensions import TypeVar, Unpack

from llmkit._agent import options as checks
from llmkit._agent.handoff import (
    AgentHandoff,
    HistoryFilter,
    check_handoff_options,
    check_handoffs,
    handoff_routes,
    reachable,
)
from llmkit._agent.inputs import RunSetup
from llmkit._agent.overrides import UNSET, Overrides, OverrideScope
from llmkit._agent.publish import Publishing, finish
from llmkit._agent.resuming import Resuming
from llmkit._agent.spec import AgentSpec, Instructions
from llmkit._agent.streaming import OutputT, Streaming, UserInput
from llmkit._sync import run_sync
from llmkit.bus import Bus, active_bus
from llmkit.errors import UsageError
from llmkit.output import OutputMode, OutputSpec
from llmkit.providers.base import Model
from llmkit.run import ResumeOptions, RunOptions, RunResult, UsageLimits
from llmkit.tools import ErrorMode, Tool, Toolbox
from llmkit.tools._collect import collect_tools
from llmkit.types import ModelSettings

if TYPE_CHECKING:
    from llmkit._hooks.base import Hook
    from llmkit.memory import ConversationMemory, Knowledge
    from llmkit.memory._knowledge import Searchable

__all__ = ["Agent", "AgentHandoff", "HistoryFilter", "Instructions", "UserInput", "handoff"]

AgentT = TypeVar("AgentT", bound="Agent[Any]")

_SPEC_FIELDS = frozenset(
    {"name", "description", "instructions", "output_retries", "tool_retries", "tool_errors"}
    | {"_output", "_tools", "_handoffs", "_settings", "_direct"}
)
"""The attributes an :class:`~llmkit._agent.spec.AgentSpec` copies: setting one drops it."""


class Agent(Streaming[OutputT], Resuming[OutputT]):
    """A model with instructions and tools, run in a loop until it gives a final answer.

    Args:
        model: A :class:`~llmkit.Model`, or a ``"provider/model"`` string resolved on first run.
        name: Names the agent in events, handoffs (``transfer_to_<name>``) and as a tool.
        description: What the agent does (for handoffs and ``as_tool``).
        instructions: A string, or a function of the :class:`~llmkit.context.RunContext`;
            sent as a leading system message on every request, never stored in
            ``result.messages`` (so histories move between agents).
        tools: :class:`~llmkit.tools.Tool` objects, plain functions, or a
            :class:`~llmkit.tools.Toolbox`.
        output_type: ``str`` (default) or a type the answer must fit: a pydantic model,
            dataclass, TypedDict, list, union …
        output_mode: How structured output is obtained: ``"auto"`` (from the model's
            capabilities), ``"native"``, ``"tool"`` or ``"prompted"``.
        output_retries: How often an invalid answer is sent back to be fixed.
        tool_retries: How many wrong calls in a row (unknown name, bad arguments,
            ``ToolError``) one tool name may get; also how many failed replies in a row
            (``finish_reason="error"``, e.g. a malformed tool call) the model may send.
        tool_errors: What an exception in a tool does, for tools that did not set
            ``@tool(errors=...)``: ``"return"`` (default) sends it to the model as an
            error result; ``"raise"`` stops the run with ``ToolExecutionError``.
            Either way it is logged at WARNING (logger ``llmkit``) and put on the
            ``tool.result`` event. ``ToolError`` always goes to the model.
        handoffs: Agents (or :func:`handoff` entries) the model may transfer the conversation to.
        deps: Default dependencies for ``RunContext.deps`` (``run(deps=...)`` wins).
        max_steps: Most model calls per run (default 25).
        usage_limits: Token, request and cost limits per run.
        timeout: Seconds one run may take.
        model_settings: Request fields sent with every call (``temperature``,
            ``max_tokens``, ``seed``, ``reasoning``, ``tool_choice``, ``extra`` …); the
            keys are those of :class:`~llmkit.types.ModelSettings`.
        hooks: Hooks around every run, model call and tool call (see :mod:`llmkit.hooks`);
            ``run(..., hooks=[...])`` adds more for one run.
        memory: A :class:`~llmkit.memory.ConversationMemory` (or a hook with ``before_model``):
            each request fits its token budget; ``result.messages`` stay whole.
        knowledge, retrieve_k: A vector store (any object with ``search``): the ``retrieve_k``
            (4) passages best matching the latest user message go to the model; or a
            :class:`~llmkit.memory.Knowledge`. Both are hooks, added after ``hooks``.
        bus: The event bus this agent's runs publish to (default: :func:`llmkit.bus`).
    """

    def __init__(
        self,
        model: Model | str | None = None,
        *,
        name: str = "agent",
        description: str | None = None,
        instructions: Instructions | None = None,
        tools: Iterable[Tool[..., Any] | Callable[..., Any] | Toolbox] = (),
        output_type: type[OutputT] = str,  # type: ignore[assignment]  # OutputT defaults to str
        output_mode: OutputMode = "auto",
        output_retries: int = 2,
        tool_retries: int = 2,
        tool_errors: ErrorMode = "return",
        handoffs: Iterable[Agent[Any] | AgentHandoff[Agent[Any]]] = (),
        deps: Any = None,
        max_steps: int = 25,
        usage_limits: UsageLimits | None = None,
        timeout: float | None = None,
        model_settings: ModelSettings | None = None,
        hooks: Iterable[object] = (),
        memory: ConversationMemory | Hook | None = None,
        knowledge: Searchable | Knowledge | None = None,
        retrieve_k: int | None = None,
        bus: Bus | None = None,
    ) -> None:
        checks.check_identity(model, name, description, instructions)
        self._spec_cache: AgentSpec | None = None
        self.name = name
        self.description = description or ""
        self.instructions = instructions
        self.output_retries = checks.check_count(output_retries, "output_retries", 0)
        self.tool_retries = checks.check_count(tool_retries, "tool_retries", 0)
        self.tool_errors: ErrorMode = checks.check_tool_errors(tool_errors)
        """What an exception in a tool that did not set ``errors=`` does."""
        self.deps = deps
        self.max_steps = checks.check_count(max_steps, "max_steps", 1)
        self.usage_limits = checks.check_limits(usage_limits)
        self.timeout = checks.check_timeout(timeout)
        self._model_spec: Model | str | None = model
        self._model: Model | None = model if isinstance(model, Model) else None
        self._output = OutputSpec(output_type, mode=output_mode)
        self._tools = collect_tools(checks.items_of(tools, "tools", "tools or functions"))
        self._handoffs = check_handoffs(
            checks.items_of(handoffs, "handoffs", "agents"), Agent, _model_free
        )
        self._settings = checks.check_settings(model_settings)
        final_tool = not self._output.is_text
        checks.check_tool_names(name, self._tools, self._handoffs, final_tool=final_tool)
        self._overrides = Overrides(f"llmkit_agent_override_{id(self)}")
        self._direct: Tool[..., Any] | None = None
        self._typed_spec: tuple[AgentSpec, Any, AgentSpec] | None = None
        self._memory = checks.check_memory(memory)
        self._knowledge = checks.check_knowledge(knowledge, retrieve_k)
        self._hooks, self._chain = checks.hook_chain(hooks, self._memory, self._knowledge)
        self._bus = checks.check_bus(bus)

    # ----------------------------------------------------------------- settings

    @property
    def model(self) -> Model | str | None:
        """The model as given (a string until the first run resolves it)."""
        return self._model if self._model is not None else self._model_spec

    @property
    def output_type(self) -> Any:
        """The type of ``result.output``."""
        return self._output.output_type

    @property
    def tools(self) -> list[Tool[..., Any]]:
        """The agent's tools (handoffs and the final-result tool are not listed)."""
        return list(self._tools.values())

    @property
    def hooks(self) -> list[object]:
        """The agent's hooks, in the order given, then its memory and knowledge hooks."""
        return list(self._hooks)

    @property
    def memory(self) -> Any:
        """The ``memory=`` hook (a :class:`~llmkit.memory.ConversationMemory`), or None."""
        return self._memory

    @property
    def knowledge(self) -> Knowledge | None:
        """The :class:`~llmkit.memory.Knowledge` hook ``knowledge=`` made, or None."""
        return self._knowledge

    @property
    def bus(self) -> Bus:
        """The event bus this agent's runs publish to."""
        if self._bus is not None:
            return self._bus
        from llmkit.bus import bus

        return bus()

    @property
    def handoffs(self) -> list[AgentHandoff[Agent[Any]]]:
        """The agents this one may hand the conversation to."""
        return list(self._handoffs.values())

    def reachable_agents(self) -> list[Agent[Any]]:
        """This agent, then every agent a run of it may reach through handoffs, each once.

        Breadth first, in the order the handoffs were given, so the agents one
        handoff away come before those two away; a handoff cycle (billing hands
        back to triage) ends the walk rather than repeating it. For setting up
        every agent a run may reach, such as ``override(model=...)`` on each in
        a test or a replay.
        """
        return reachable(self, lambda agent: [e.agent for e in agent._handoffs.values()])

    def _model_now(self) -> Model:
        model = self._overrides.model()
        if model is not None:
            return model
        if self._model is None:
            if self._model_spec is None:
                raise UsageError(
                    f"Agent {self.name!r} has no model: pass one, e.g. "
                    "Agent('openai/gpt-4.1-mini'), or use Agent.from_tool(...) for a model-free agent."
                )
            from llmkit.providers import model as make_model

            self._model = make_model(self._model_spec)
        return self._model

    def _spec(self) -> AgentSpec:
        """What a run reads of this agent, built on first use and after a change."""
        spec = self._spec_cache
        if spec is None:
            spec = self._spec_cache = AgentSpec(
                name=self.name,
                description=self.description,
                instructions=self.instructions,
                output=self._output,
                tools=MappingProxyType(dict(self._tools)),
                handoffs=handoff_routes(self._handoffs, _spec_of),
                settings=self._settings,
                output_retries=self.output_retries,
                tool_retries=self.tool_retries,
                tool_errors=self.tool_errors,
                direct=self._direct,
                model=self._model_now,
            )
        return spec

    if not TYPE_CHECKING:  # hidden from mypy, which would then allow any attribute name

        def __setattr__(self, name: str, value: Any) -> None:
            object.__setattr__(self, name, value)
            if name in _SPEC_FIELDS:
                # The next run builds a new spec (and its request parts) from the new value.
                object.__setattr__(self, "_spec_cache", None)

    def override(
        self, *, model: Model | str = UNSET, deps: Any = UNSET, run_id: str = UNSET
    ) -> OverrideScope:
        """Swap the model, deps and/or run id within a ``with`` block (for tests and replays).

        Args:
            model: The model the runs in the block call (a :class:`~llmkit.Model` or a
                ``"provider/model"`` string); after a handoff, the target agent's own
                model (or its override) answers.
            deps: The ``RunContext.deps`` of the runs in the block; wins over ``run(deps=...)``.
            run_id: The id every run started in the block gets instead of a new one, as a
                replay gives a run the id it was recorded with. A resumed run keeps the id
                of the run it continues.

        Scoped with a context variable: it applies to runs started in this
        thread or task and in tasks it starts, including ``run_sync`` calls.
        Blocks nest: an inner block changes what it names, keeps the rest of
        the outer one, and leaving it restores the outer one.
        """
        return self._overrides.scope(model=model, deps=deps, run_id=run_id)

    # --------------------------------------------------------------------- runs

    def _start(
        self,
        user_input: UserInput | None,
        options: RunOptions,
        *,
        stream: bool,
        partials: bool = False,
        output_type: Any = None,
    ) -> Publishing:
        """The run of ``user_input`` with ``options`` (a model-free agent's, for one)."""
        spec = self._spec() if output_type is None else self._spec_for(output_type)
        if spec.direct is not None:
            from llmkit._agent.direct import DirectRun, check_direct_options

            check_direct_options(spec.name, options)
            got = self._resolved(options)
            direct_id = self._overrides.run_id()
            deps, timeout, hooks, bus = got["deps"], got["timeout"], got["hooks"], got["bus"]
            return DirectRun(spec, user_input, deps, direct_id, timeout, stream, hooks, bus)
        from llmkit._agent.loop import AgentRun

        store, session = options.get("store"), options.get("session")
        messages, history_length = checks.run_input(user_input, options)
        setup = RunSetup(
            model=spec.model(),
            messages=messages,
            history_length=history_length,
            run_id=options.get("run_id") or self._overrides.run_id(),
            stream=stream,
            partials=partials,
            **self._resolved(options),
        )
        if store is not None or session is not None:
            from llmkit._agent.durable import new_run

            return new_run(spec, setup, user_input, store, session)
        return AgentRun(spec, setup)

    def _structured(self) -> bool:
        return not self._output.is_text

    def _spec_for(self, output_type: Any) -> AgentSpec:
        """The spec with ``output_type`` as the output type (kept for the next call with it)."""
        spec = self._spec()
        if output_type is spec.output.output_type or spec.direct is not None:
            return spec
        last = self._typed_spec
        if last is None or last[0] is not spec or last[1] is not output_type:
            output = OutputSpec(output_type, mode=self._output.mode)
            checks.check_tool_names(self.name, self._tools, self._handoffs, final_tool=True)
            last = self._typed_spec = (spec, output_type, spec.with_output(output))
        return last[2]

    def _resolved(self, options: ResumeOptions) -> dict[str, Any]:
        """A run's deps, limits, max_steps, timeout, hooks and bus: its options', else the agent's."""
        max_steps, timeout, limits = checks.run_limits(
            options, self.max_steps, self.timeout, self.usage_limits
        )
        deps = self._overrides.deps(options.get("deps", self.deps))
        hooks = checks.run_hooks(self._hooks, self._chain, options.get("hooks"))
        return {
            "deps": deps,
            "limits": limits,
            "max_steps": max_steps,
            "timeout": timeout,
            "hooks": hooks,
            "bus": active_bus(self._bus),
        }

    async def run(
        self, user_input: UserInput | None = None, **options: Unpack[RunOptions]
    ) -> RunResult[OutputT]:
        """Run until the model gives a final answer (or the run pauses for approvals).

        Options (see :class:`~llmkit.run.RunOptions`), each for this run only:
            message_history: The conversation to continue (for example
                ``previous.messages``); it is not changed.
            deps: ``RunContext.deps`` (default: the agent's).
            usage_limits, max_steps, timeout: Replace the agent's.
            hooks: Added to the agent's hooks.
            store, run_id: Checkpoint the run in a :class:`~llmkit.durable.Store`
                under ``run_id`` (default: a new id, ``result.run_id``); see ``docs/durable.md``.
            session: A :class:`~llmkit.durable.Session` to continue and append to.
        """
        if options:
            checks.check_option_names(options, checks.RUN_OPTIONS, "run")
        return await finish(self._start(user_input, options, stream=False))

    def run_sync(
        self, user_input: UserInput | None = None, **options: Unpack[RunOptions]
    ) -> RunResult[OutputT]:
        """Blocking twin of :meth:`run`; also works inside a running event loop (Jupyter).

        Options: as for :meth:`run` (message_history, deps, usage_limits, max_steps,
        timeout, hooks, store, session, run_id).
        """
        if options:
            checks.check_option_names(options, checks.RUN_OPTIONS, "run_sync")
        return run_sync(self.run(user_input, **options))

    def load_result(self, data: Mapping[str, Any]) -> RunResult[OutputT]:
        """A :class:`~llmkit.run.RunResult` from ``to_dict()`` output, its output validated
        again as this agent's ``output_type``."""
        return checks.load_result(data, self._output)

    # ---------------------------------------------------------------- adapters

    def as_tool(self, *, name: str | None = None, description: str | None = None) -> Tool[..., Any]:
        """This agent as a tool of another agent; its usage counts in the caller's run.

        The tool takes one text argument, ``input``; the caller's deps are passed
        on unless this agent has its own.
        """
        from llmkit._agent.direct import agent_as_tool

        return agent_as_tool(self, name=name, description=description)

    @classmethod
    def from_tool(
        cls,
        tool: Tool[..., Any] | Callable[..., Any],
        *,
        name: str | None = None,
        tool_errors: ErrorMode = "raise",
    ) -> Agent[Any]:
        """A model-free agent whose run calls ``tool`` with validated input.

        The input is a dict of arguments, JSON text of one, or (for a tool with
        a single parameter) the value itself. The output is the tool's return value
        (with ``tool_errors="return"``, the error text if it raised). A run honours
        ``deps``, ``timeout`` and ``hooks``; see ``docs/agents.md``.
        """
        wrapped = tool if isinstance(tool, Tool) else Tool(tool)
        agent: Agent[Any] = cls(None, name=name or wrapped.name, tool_errors=tool_errors)
        agent.description = wrapped.description
        agent._direct = wrapped
        return agent

    def __repr__(self) -> str:
        model = self.model
        shown = model if isinstance(model, str) or model is None else model.name
        return f"<Agent {self.name!r} model={shown!r}>"


def handoff(
    agent: AgentT,
    *,
    tool_name: str | None = None,
    description: str | None = None,
    input_filter: HistoryFilter | None = None,
) -> AgentHandoff[AgentT]:
    """A handoff to ``agent`` with a custom tool name, description or history filter."""
    if not isinstance(agent, Agent):
        raise UsageError(f"handoff() takes the Agent to hand over to, not {type(agent).__name__}.")
    check_handoff_options(tool_name=tool_name, description=description, input_filter=input_filter)
    return AgentHandoff(agent, tool_name or "", description or "", input_filter)


def _model_free(agent: Agent[Any]) -> bool:
    return agent._direct is not None


def _spec_of(agent: Agent[Any]) -> Callable[[], AgentSpec]:
    """The target's spec, as the run needs it at the handoff (after any change to the target)."""
    return agent._spec

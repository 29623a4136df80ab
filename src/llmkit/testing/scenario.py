"""Scenarios: a conversation with an agent, its model's turns scripted, and what must come of it.

::

    from llmkit.testing import Scenario, calls_tool, says

    s = Scenario(support_agent)
    s.user("I want a refund for order 42")
    s.model_calls_tool("lookup_order", order_id=42)   # what the model does at that step
    s.model_says("Your refund is on its way.")
    s.expect(calls_tool("lookup_order", order_id=42), says(contains="refund"))
    s.run()

The agent runs for real (its tools, output validation, limits, handoffs)
with its model overridden by one that plays the scripted turns: in-process
(a :class:`~llmkit.testing.ScriptedModel`) or, with ``over_http=``, through
the fake provider server in a given wire protocol. Each :meth:`Scenario.user`
starts a run that continues the conversation so far; the turns and
expectations declared after it belong to that run. A failing scenario raises
:class:`ScenarioFailed`, an ``AssertionError`` whose message lists the
expectations beside the actual trajectory. Scenarios can be written as YAML
or dicts too (:meth:`Scenario.from_yaml`).

The readers that data form uses are public here for other data files (the
evaluation sets of ``llmkit.eval`` use them): :func:`load_data` (a ``.json``,
``.yaml`` or ``.yml`` file), :func:`load_object` (a ``module:attribute``
reference) and :func:`value_from_data` (``{$approx: 12.5}``-style matchers in data).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmkit._sync import run_sync
from llmkit.errors import AgentError, ProviderError, UsageError
from llmkit.events import RunEnd
from llmkit.testing._fault import Fault
from llmkit.testing._loading import load_data, load_object, value_from_data
from llmkit.testing._match import Matcher, as_matcher
from llmkit.testing._observed import observe
from llmkit.testing._scenario.data import load_yaml, scenario_from_dict
from llmkit.testing._scenario.result import (
    Exchange,
    ScenarioFailed,
    ScenarioResult,
    judge,
    render,
)
from llmkit.testing._scenario.script import (
    OutputTurn,
    ScenarioScript,
    ScenarioTurn,
    describe_turn,
    output_turn,
)
from llmkit.testing._script import ScriptExhaustedError, check_turn
from llmkit.testing.matchers import raises
from llmkit.types import Message, ToolCall

if TYPE_CHECKING:
    from llmkit.agent import Agent
    from llmkit.providers.base import Model
    from llmkit.testing.server import FakeProviderServer

__all__ = [
    "Exchange",
    "Scenario",
    "ScenarioFailed",
    "ScenarioResult",
    "load_data",
    "load_object",
    "value_from_data",
]

_RUN_OPTIONS = frozenset(("deps", "usage_limits", "max_steps", "timeout"))


@dataclass(slots=True)
class _UserTurn:
    input: Any
    options: dict[str, Any]
    turns: list[ScenarioTurn] = field(default_factory=list)
    expectations: list[Matcher] = field(default_factory=list)


class Scenario:
    """A scripted conversation with ``agent`` and the expectations on each of its runs.

    Args:
        agent: The agent under test; it and the agents it hands off to get the scripted model.
        name: Names the scenario in failure messages.
        over_http: ``False`` plays the turns in-process; ``True`` (OpenAI) or a protocol
            name (``"anthropic"``, ``"gemini"``, ``"ollama"``) plays them through the fake
            provider server, so the provider codec and the transport run too.
        server: A running fake server to use (e.g. the ``llmkit_fake_server`` fixture);
            without one, a server is started for the run.
        stream: Run with ``agent.stream`` (default), recording every event for
            :func:`~llmkit.testing.event` expectations; ``False`` uses ``agent.run``.
        model_options: Options for the model built for ``over_http`` (``retry=`` …).
        run_options: ``deps``, ``usage_limits``, ``max_steps``, ``timeout`` for every run.
    """

    def __init__(
        self,
        agent: Agent[Any],
        *,
        name: str = "scenario",
        over_http: bool | str = False,
        server: FakeProviderServer | None = None,
        stream: bool = True,
        model_options: dict[str, Any] | None = None,
        **run_options: Any,
    ) -> None:
        from llmkit.agent import Agent

        if not isinstance(agent, Agent):
            raise UsageError(f"Scenario(agent) takes an Agent, not {type(agent).__name__}.")
        if over_http is True:
            over_http = "openai"
        if over_http and over_http not in ("openai", "anthropic", "gemini", "ollama"):
            raise UsageError(
                f"over_http={over_http!r}: use True (openai) or one of anthropic, gemini, ollama."
            )
        _check_options(run_options)
        self.agent = agent
        self.name = name
        self.protocol: str | None = over_http or None
        self.server = server
        self.stream = stream
        self.model_options = dict(model_options or {})
        self.run_options = run_options
        self._turns: list[_UserTurn] = []

    # ------------------------------------------------------------ declaring

    def user(self, message: str | Message | Sequence[Any], /, **run_options: Any) -> Scenario:
        """The user says ``message``: starts a run that continues the conversation so far.

        ``run_options`` (``deps``, ``usage_limits``, ``max_steps``, ``timeout``)
        apply to this run only.
        """
        _check_options(run_options)
        self._turns.append(_UserTurn(message, run_options))
        return self

    def _current(self, what: str) -> _UserTurn:
        if not self._turns:
            raise UsageError(f"{what} comes after a user turn: call s.user('...') first.")
        return self._turns[-1]

    def model_turn(self, turn: Any) -> Scenario:
        """The model's next answer is ``turn``, in the script format (text, tool calls, Response …)."""
        checked = turn if isinstance(turn, OutputTurn) else check_turn(turn, "A model turn")
        self._current("A model turn").turns.append(checked)
        return self

    def model_says(self, text: str) -> Scenario:
        """The model answers with ``text``."""
        if not isinstance(text, str):
            raise UsageError(f"model_says() takes text, not {type(text).__name__}.")
        return self.model_turn(text)

    def model_calls_tool(self, name: str, /, **arguments: Any) -> Scenario:
        """The model calls tool ``name`` with ``arguments``."""
        return self.model_turn(ToolCall("", name, arguments))

    def model_calls_tools(self, *calls: ToolCall) -> Scenario:
        """The model calls several tools in one answer (build each with ``tool_call(...)``)."""
        if not calls or not all(isinstance(c, ToolCall) for c in calls):
            raise UsageError("model_calls_tools() takes one or more tool_call(...) values.")
        return self.model_turn(list(calls))

    def model_outputs(self, value: Any) -> Scenario:
        """The model gives ``value`` as its structured answer (however the agent asks for it)."""
        self._current("A model turn").turns.append(output_turn(value))
        return self

    def model_fails(self, failure: Fault | BaseException | type[BaseException]) -> Scenario:
        """The model call fails: a :class:`~llmkit.testing.Fault` or an exception."""
        if not isinstance(failure, Fault | BaseException) and not (
            isinstance(failure, type) and issubclass(failure, BaseException)
        ):
            raise UsageError("model_fails() takes a Fault or an exception (instance or class).")
        return self.model_turn(failure)

    def expect(self, *matchers: Any) -> Scenario:
        """What must hold for the run of the latest user turn (matchers, or values for its output)."""
        if not matchers:
            raise UsageError("expect() needs at least one matcher, e.g. says(contains='...').")
        turn = self._current("expect()")
        for m in matchers:
            turn.expectations.append(m if isinstance(m, Matcher) else _output_is(m))
        return self

    def expect_error(
        self, error_type: type[BaseException], /, match: str | None = None
    ) -> Scenario:
        """The run of the latest user turn must fail with ``error_type``."""
        return self.expect(raises(error_type, match=match))

    # -------------------------------------------------------------- running

    def run(self) -> ScenarioResult:
        """Play the scenario; raises :class:`ScenarioFailed` when an expectation is not met."""
        return run_sync(self.run_async())

    async def run_async(self) -> ScenarioResult:
        """Async twin of :meth:`run`."""
        if not self._turns:
            raise UsageError("The scenario has no user turn: add one with s.user('...').")
        script = ScenarioScript(over_http=self.protocol is not None)
        exchanges: list[Exchange] = []
        with contextlib.ExitStack() as stack:
            model = self._model(script, stack)
            for agent in _reachable(self.agent):
                stack.enter_context(agent.override(model=model))
            history: list[Message] = []
            for number, turn in enumerate(self._turns, 1):
                script.begin(turn.turns, number)
                exchange = await self._exchange(number, turn, history, script)
                exchanges.append(exchange)
                if exchange.error is not None and not exchange.error_expected:
                    break
                history = _conversation(exchange, history)
        result = ScenarioResult(self.name, exchanges, len(self._turns))
        if not result.passed:
            raise ScenarioFailed(render(result), result)
        return result

    def _model(self, script: ScenarioScript, stack: contextlib.ExitStack) -> Model:
        if self.protocol is None:
            from llmkit.testing.models import ScriptedModel

            return ScriptedModel(script)
        from llmkit.testing._connect import fake_model
        from llmkit.testing.server import FakeProviderServer

        server = self.server
        if server is None:
            server = stack.enter_context(FakeProviderServer())
        server.script(script)
        return fake_model(server, self.protocol, **self.model_options)

    async def _exchange(
        self, number: int, turn: _UserTurn, history: list[Message], script: ScenarioScript
    ) -> Exchange:
        options = {**self.run_options, **turn.options}
        agent = self.agent
        events: list[Any] | None = [] if self.stream else None
        result = None
        error: BaseException | None = None
        try:
            if events is not None:
                async for item in agent.stream(turn.input, message_history=history, **options):
                    events.append(item)
                end = events[-1] if events else None
                result = end.result if isinstance(end, RunEnd) else None
            else:
                result = await agent.run(turn.input, message_history=history, **options)
        except Exception as exc:
            error = exc
        if script.exhausted is not None:
            error = script.exhausted
        if result is None and error is not None and not getattr(error, "messages", None):
            # Errors from below the agent loop carry no conversation: rebuild it.
            error = _with_conversation(error, history, events, script)
        seen = observe(
            result if result is not None else error,
            events=events,
            error=error,
            history_length=len(history),
        )
        exchange = Exchange(
            messages=seen.messages,
            output=seen.output,
            error=seen.error,
            events=seen.events,
            usage=seen.usage,
            result=seen.result,
            lines=seen.lines,
            calls=seen.calls,
            results=seen.results,
            text_at=seen.text_at,
            text=seen.text,
            number=number,
            input=turn.input,
            unused_turns=[] if error is not None else [describe_turn(t) for t in script.unused],
            model_calls=script.used,
        )
        exchange.matches = [judge(m, exchange) for m in turn.expectations]
        return exchange

    # --------------------------------------------------------------- loading

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], *, agent: Agent[Any] | None = None, **options: Any
    ) -> Scenario:
        """A scenario from its data form (see ``docs/testing.md``); ``agent`` wins over ``data["agent"]``."""
        return scenario_from_dict(cls, data, agent=agent, options=options)

    @classmethod
    def from_yaml(
        cls, source: str | Path, *, agent: Agent[Any] | None = None, **options: Any
    ) -> Scenario:
        """A scenario from a YAML file (a path) or YAML text; needs ``pyyaml`` (``llmkit[eval]``).

        An ``agent: module:attribute`` reference is looked up beside the file first.
        """
        data = load_yaml(source)
        if not isinstance(data, dict):
            raise UsageError("A YAML scenario is a mapping with 'turns' (and 'name', 'agent' …).")
        is_file = isinstance(source, Path) or (
            "\n" not in source and source.endswith((".yaml", ".yml"))
        )
        base_dir = Path(source).resolve().parent if is_file else None
        return scenario_from_dict(cls, data, agent=agent, options=options, base_dir=base_dir)

    def __repr__(self) -> str:
        how = f" over {self.protocol}" if self.protocol else ""
        return f"<Scenario {self.name!r}{how}: {len(self._turns)} user turns>"


def _check_options(options: dict[str, Any]) -> None:
    unknown = set(options) - _RUN_OPTIONS
    if unknown:
        raise UsageError(
            f"Unknown run options: {', '.join(sorted(unknown))}. "
            f"Accepted: {', '.join(sorted(_RUN_OPTIONS))}."
        )


def _output_is(value: Any) -> Matcher:
    from llmkit.testing.matchers import output_matches

    return output_matches(as_matcher(value))


def _reachable(agent: Agent[Any]) -> list[Agent[Any]]:
    """``agent`` and every agent it can hand off to, each once."""
    found: list[Agent[Any]] = []
    todo = [agent]
    while todo:
        current = todo.pop()
        if any(current is a for a in found):
            continue
        found.append(current)
        todo.extend(h.agent for h in current.handoffs)
    return found


def _with_conversation(
    error: BaseException,
    history: list[Message],
    events: list[Any] | None,
    script: ScenarioScript,
) -> BaseException:
    """``error`` with ``messages`` as far as the run got, from its events or its last request."""
    messages: list[Message] = []
    if events:
        messages = history + observe(events, error=error).messages
    elif script.last_request is not None:
        messages = [m for m in script.last_request.messages if m.role != "system"]
    if messages:
        if isinstance(error, AgentError | ProviderError | ScriptExhaustedError):
            error.messages = messages
        else:
            # Any other exception (a scripted RuntimeError …) declares no conversation; it
            # gets one as it always did, since observe() reads the exchange's messages from it.
            setattr(error, "messages", messages)  # noqa: B010
    return error


def _conversation(exchange: Exchange, history: list[Message]) -> list[Message]:
    if exchange.result is not None:
        return list(exchange.result.messages)
    kept = getattr(exchange.error, "messages", None)
    return list(kept) if kept else history

"""Replaying a recorded run: a model that answers from the recording, a tool runner that does too.

Nothing reaches the network and no tool runs: each model request the code
sends is checked against the recorded one and answered with the recorded
response, and each tool call is answered with the recorded result. The
first request (or tool call) that differs raises
:class:`~llmkit.errors.ReplayDivergence` naming the recording's line.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

from llmkit._hooks.base import HookContext
from llmkit._recording.diff import first_difference
from llmkit._recording.reader import ModelExchange, RecordedLine, RecordedRun
from llmkit._recording.writer import INNERMOST
from llmkit._redact import redact
from llmkit.errors import ProviderError, ReplayDivergence, ToolExecutionError
from llmkit.events import ToolResultEvent
from llmkit.providers.base import Capabilities, Model, check_request
from llmkit.types import Embeddings, Message, Request, Response, ToolCall, ToolResult

if TYPE_CHECKING:
    from pathlib import Path

    from llmkit.run import RunResult

__all__ = ["ReplayModel", "ReplayTools", "Replayable"]


class Replayable(Protocol):
    """What a replay needs of an agent (:class:`~llmkit.Agent` is one).

    Replay gives each agent a run may reach a model answering from the
    recording, gives the run the recorded run id, and runs the agent again
    on the recorded input. Named here, below the agent layer, so recording
    needs no import of :mod:`llmkit.agent`.
    """

    name: str
    """The agent's name, as the recording's ``model.request`` lines name it."""

    def reachable_agents(self) -> Sequence[Replayable]:
        """This agent first, then every agent a run of it may hand off to, each once."""
        ...

    def override(self, *, model: Model = ..., run_id: str = ...) -> AbstractContextManager[None]:
        """Within the block, runs call ``model`` and (for the run that starts) take ``run_id``."""
        ...

    async def run(
        self,
        user_input: Any = None,
        *,
        message_history: Sequence[Message] | None = ...,
        deps: Any = ...,
    ) -> RunResult[Any]:
        """Run on ``user_input`` after ``message_history``, with ``deps`` in the run context."""
        ...


def _normal(value: Any) -> Any:
    """``value`` as the recorder stored it: through JSON, secrets redacted."""
    return json.loads(redact(json.dumps(value, ensure_ascii=False, default=str)))


def _capabilities(data: Any) -> Capabilities:
    if not isinstance(data, dict):
        return Capabilities()
    known = {k: v for k, v in data.items() if k in Capabilities.__dataclass_fields__}
    return Capabilities(**known)


class _Cursor:
    """The model calls of one run, served in order (shared by the models of a handoff chain)."""

    def __init__(self, path: Path, run: RecordedRun) -> None:
        self.path = path
        self.run = run
        self.calls: deque[ModelExchange] = deque(run.model_calls())
        self.served = 0

    def next_call(self, request: Request) -> ModelExchange:
        if not self.calls:
            last = self.run.lines[-1].line
            raise ReplayDivergence(
                f"Replay of {self.path} diverged after line {last}: the run made model call "
                f"{self.served + 1}, but the recording holds {self.served}. The code now calls "
                "the model more often; record the run again.",
                line=last,
                diff=f"model call {self.served + 1} was not recorded",
            )
        exchange = self.calls.popleft()
        self.served += 1
        recorded = exchange.request.data.get("request")
        diff = first_difference(recorded, _normal(request.to_dict()))
        if diff is not None:
            line = exchange.request.line
            raise ReplayDivergence(
                f"Replay of {self.path} diverged at line {line}: model call {self.served} sends a "
                f"request that differs from the recorded one: {diff}. Record the run again if "
                "the change is intended.",
                line=line,
                diff=diff,
            )
        return exchange


class ReplayModel(Model):
    """A model that answers each request with the recorded response, after checking the request.

    Its ``name`` and ``capabilities`` are those of the model that was
    recorded, so an agent prepares the same requests (output mode, tools).
    """

    def __init__(self, cursor: _Cursor, *, name: str | None, capabilities: Capabilities) -> None:
        provider, _, model_id = (name or "replay").partition("/")
        self.provider = provider
        self.model_id = model_id
        self.capabilities = capabilities
        self._cursor = cursor

    @classmethod
    def for_run(cls, path: Path, run: RecordedRun) -> ReplayModel:
        """A replay model for ``run``, with the model and capabilities it started with."""
        return cls(
            _Cursor(path, run),
            name=run.model,
            capabilities=_capabilities(run.start.data.get("capabilities")),
        )

    def for_agent(self, agent: str) -> ReplayModel:
        """The same recorded answers, seen as the model ``agent`` used (for handoffs)."""
        for exchange in self._cursor.calls:
            data = exchange.request.data
            if data.get("agent") == agent:
                return ReplayModel(
                    self._cursor,
                    name=data.get("model"),
                    capabilities=_capabilities(data.get("capabilities")),
                )
        return self

    @property
    def remaining(self) -> int:
        """Recorded model calls not served yet."""
        return len(self._cursor.calls)

    async def generate(self, request: Request) -> Response:
        """The recorded response to ``request`` (or the recorded provider error)."""
        check_request(request, "generate")
        exchange = self._cursor.next_call(request)
        outcome = exchange.outcome
        if outcome is None:
            raise ReplayDivergence(
                f"Replay of {self._cursor.path}: the request at line {exchange.request.line} has "
                "no recorded answer (the recording ends there).",
                line=exchange.request.line,
                diff="no recorded answer",
            )
        if outcome.topic == "error":
            raise _provider_error(outcome)
        return Response.from_dict(outcome.data["response"])

    async def embed(self, inputs: Sequence[str], *, dimensions: int | None = None) -> Embeddings:
        """Recordings hold no embeddings: raises ``ReplayDivergence``."""
        raise ReplayDivergence(
            f"Replay of {self._cursor.path}: embeddings are not recorded, so they cannot be replayed.",
            diff="embed() called",
        )


def _provider_error(line: RecordedLine) -> ProviderError:
    from llmkit import errors

    cls = getattr(errors, str(line.data.get("error_type")), None)
    if not (isinstance(cls, type) and issubclass(cls, ProviderError)):
        cls = ProviderError
    return cls(str(line.data.get("message", "")))


class ReplayTools:
    """A hook that answers every tool call with the recorded result: no tool runs.

    It sits innermost, where the recorder sat, and checks each call's tool
    name and arguments against the recording.
    """

    priority = INNERMOST
    name = "replay"

    def __init__(self, path: Path, run: RecordedRun) -> None:
        self.path = path
        self.run = run
        self._calls = run.tool_calls()

    def before_tool(self, ctx: HookContext, call: ToolCall) -> ToolResult:
        """The recorded result of ``call``."""
        entries = self._calls.get(call.id)
        if not entries:
            last = self.run.lines[-1].line
            raise ReplayDivergence(
                f"Replay of {self.path} diverged: the run calls {call.name} (id {call.id}), "
                f"which the recording does not hold (it ends at line {last}).",
                line=last,
                diff=f"tool call {call.name}({json.dumps(call.arguments)}) was not recorded",
            )
        recorded, outcome = entries.popleft()
        data = recorded.data["call"]
        diff = None
        if data.get("name") != call.name:
            diff = f"tool: recorded {data.get('name')!r}, now {call.name!r}"
        else:
            diff = first_difference(data.get("arguments", {}), _normal(call.arguments), "arguments")
        if diff is not None:
            raise ReplayDivergence(
                f"Replay of {self.path} diverged at line {recorded.line}: the tool call differs "
                f"from the recorded one: {diff}.",
                line=recorded.line,
                diff=diff,
            )
        if outcome is None:
            raise ReplayDivergence(
                f"Replay of {self.path}: the tool call at line {recorded.line} has no recorded "
                "result (the recording ends there).",
                line=recorded.line,
                diff="no recorded result",
            )
        event = outcome.event
        if isinstance(event, ToolResultEvent):
            return event.result
        # The other outcome tool_calls() pairs with a call: the error line of a tool that raised.
        raise ToolExecutionError(str(outcome.data.get("message", "")), tool_name=call.name)

"""Cassettes: a test's agent runs recorded once against a real model, replayed offline after.

::

    @pytest.mark.llmkit_cassette("refund")
    def test_refund(llmkit_cassette):
        with llmkit_cassette.use(support_agent):
            result = support_agent.run_sync("I want a refund for order 42")
        assert says(contains="refund")(result)

A cassette is an :mod:`llmkit.recording` file, ``cassettes/<name>.jsonl``
beside the test file. By default it is replayed: the agents given to
:meth:`Cassette.use` (and the agents they hand off to) get a model that
answers every request from the recording, after checking that the request is
the recorded one (a change raises :class:`~llmkit.errors.ReplayDivergence`
naming the line), and the network guard is on. Tools run for real: they are
the code under test. ``pytest --llmkit-record`` records instead, against the
agents' real models (their API keys must be set; the recording redacts them).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncGenerator, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmkit.errors import UsageError
from llmkit.providers.base import Model
from llmkit.types import Embeddings, Request, Response

if TYPE_CHECKING:
    from llmkit._recording.reader import ResultReader
    from llmkit._recording.replay import Replayable
    from llmkit.agent import Agent
    from llmkit.events import StreamEvent
    from llmkit.recording import Recording, ReplayModel

    # Never called: mypy checks here that an Agent is what replay takes (this layer sees both).
    def _agent_replays(agent: Agent[Any]) -> Replayable:
        return agent

    def _agent_reads_results(agent: Agent[Any]) -> ResultReader:
        return agent


__all__ = ["Cassette", "CassetteMissingError", "cassette_path"]


class CassetteMissingError(UsageError):
    """A test replays a cassette that has not been recorded yet."""


def cassette_path(test_file: str | Path, name: str) -> Path:
    """Where the cassette ``name`` of a test in ``test_file`` lives: ``cassettes/<name>.jsonl`` beside it."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "cassette"
    return Path(test_file).resolve().parent / "cassettes" / f"{safe}.jsonl"


class _Runs:
    """The recorded runs, served in order: the next run starts when one has no calls left."""

    def __init__(self, recording: Recording) -> None:
        self.recording = recording
        self.models: list[ReplayModel] = [
            recording.replay_model(i) for i in range(len(recording.runs))
        ]
        self.index = 0

    def current(self) -> ReplayModel:
        while self.index < len(self.models) - 1 and self.models[self.index].remaining == 0:
            self.index += 1
        return self.models[self.index]

    @property
    def remaining(self) -> int:
        return sum(m.remaining for m in self.models)


class _CassetteModel(Model):
    """The model an agent gets while a cassette replays: the recorded answers, in order."""

    def __init__(self, runs: _Runs, agent: str | None) -> None:
        self._runs = runs
        self._agent = agent
        first = self._view()
        self.provider = first.provider
        self.model_id = first.model_id
        self.capabilities = first.capabilities

    def _view(self) -> ReplayModel:
        model = self._runs.current()
        return model if self._agent is None else model.for_agent(self._agent)

    async def generate(self, request: Request) -> Response:
        """The recorded answer to ``request`` (checked against the recorded request)."""
        return await self._view().generate(request)

    async def stream(self, request: Request) -> AsyncGenerator[StreamEvent, None]:
        """The recorded answer, as stream events."""
        async for event in self._view().stream(request):
            yield event

    async def embed(self, inputs: Sequence[str], *, dimensions: int | None = None) -> Embeddings:
        """Recordings hold no embeddings: raises ``ReplayDivergence``."""
        return await self._view().embed(inputs, dimensions=dimensions)


class Cassette:
    """One test's cassette: ``use(agent)`` records the agent's runs, or replays them.

    Made by the ``llmkit_cassette`` fixture; ``record=True`` when pytest ran
    with ``--llmkit-record``.
    """

    def __init__(self, path: str | Path, *, record: bool = False) -> None:
        self.path = Path(path)
        self.recording = record
        """True: runs go to the agents' real models and are written to :attr:`path`."""
        self._used = False

    @property
    def exists(self) -> bool:
        """Whether the cassette has been recorded."""
        return self.path.is_file()

    @contextlib.contextmanager
    def use(self, *agents: Agent[Any]) -> Iterator[Cassette]:
        """Record or replay every run of ``agents`` (and the agents they hand off to) in the block.

        Runs replay in the order they were recorded. On leaving the block,
        recorded model calls the test did not make fail it: the code changed.
        """
        from llmkit.agent import Agent

        if not agents or not all(isinstance(a, Agent) for a in agents):
            raise UsageError("use() takes the agents whose runs the cassette records or replays.")
        if self._used:
            raise UsageError(
                "A cassette is used once per test: put every run in one 'with cassette.use(...)' block."
            )
        self._used = True
        if self.recording:
            with self._recording():
                yield self
            return
        with self._replaying(agents):
            yield self

    @contextlib.contextmanager
    def _recording(self) -> Iterator[None]:
        from llmkit.recording import record
        from llmkit.testing.network import allow_network

        # The real model is the point of recording: the test's network guard steps aside.
        with allow_network(), record(self.path):
            yield

    @contextlib.contextmanager
    def _replaying(self, agents: Sequence[Agent[Any]]) -> Iterator[None]:
        from llmkit.recording import Recording
        from llmkit.testing.network import block_network

        if not self.exists:
            raise CassetteMissingError(
                f"No cassette at {self.path}: record it once with 'pytest --llmkit-record' "
                "(the agents' real models are called, so their API keys must be set)."
            )
        recording = Recording.load(self.path)
        if not recording.runs:
            raise CassetteMissingError(
                f"The cassette {self.path} holds no run: record it again with 'pytest --llmkit-record'."
            )
        runs = _Runs(recording)
        roots = {id(a) for a in agents}
        reached: dict[int, Agent[Any]] = {}
        for root in agents:
            for agent in root.reachable_agents():
                reached.setdefault(id(agent), agent)
        with contextlib.ExitStack() as stack:
            stack.enter_context(block_network())
            for agent in reached.values():
                model = _CassetteModel(runs, None if id(agent) in roots else agent.name)
                stack.enter_context(agent.override(model=model))
            yield
        left = runs.remaining
        if left:
            raise AssertionError(
                f"The cassette {self.path} holds {left} model call{'s' if left > 1 else ''} the "
                "test did not make: the code changed since it was recorded. Record it again "
                "with 'pytest --llmkit-record' if the change is intended."
            )

    def __repr__(self) -> str:
        mode = "recording" if self.recording else "replaying"
        return f"<Cassette {str(self.path)!r} {mode}>"

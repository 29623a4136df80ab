"""What an :class:`~llmkit._agent.loop.AgentRun` is built from: everything, at construction.

:class:`RunSetup` is what every run gets (``Agent`` resolves it from the run's
options, the agent's settings, its overrides and the active bus);
:class:`Restored` is what a resumed run carries over from the paused result
or from a durable run's checkpoints.
Once built, only the run's own methods change the run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from llmkit._agent.calls import PlannedCall
    from llmkit._agent.checkpoints import Checkpoints
    from llmkit._hooks.chain import HookChain
    from llmkit.bus import Bus
    from llmkit.providers.base import Model
    from llmkit.run import Step, UsageLimits
    from llmkit.types import Message, Response, Usage

__all__ = ["Restored", "RunSetup"]


class RunSetup(NamedTuple):
    """The inputs of one run.

    A named tuple rather than a frozen dataclass: one is built per run, and a
    tuple is built in a third of the time, as immutable.
    """

    model: Model
    messages: list[Message]
    """The conversation the run continues and appends to (its own list)."""
    history_length: int
    """How many of ``messages`` came from the history passed in."""
    deps: Any
    run_id: str
    limits: UsageLimits | None
    max_steps: int
    timeout: float | None
    stream: bool
    """Whether the caller takes the events (``Agent.stream``): the model is streamed too."""
    hooks: HookChain | None = None
    bus: Bus | None = None
    """The bus to publish events on (None: nobody listens)."""
    partials: bool = False
    """Give ``PartialOutput`` events while a structured answer streams (streams only)."""
    durable: Checkpoints | None = None
    """Where the run writes its checkpoints (None: it is not durable)."""

    def updated(self, **changes: Any) -> RunSetup:
        """A copy with ``changes``."""
        return self._replace(**changes)


@dataclass(frozen=True, slots=True)
class Restored:
    """What a resumed run carries over from its paused result."""

    usage: Usage
    steps: Sequence[Step]
    step: int
    retries: Mapping[str, int]
    output_retries: int
    handoff_to: str | None
    tool_usage: Usage
    """Usage the tools of the paused batch reported before the pause."""
    batch: Sequence[PlannedCall]
    """The paused batch: the calls done before the pause, then the decided ones."""
    response: Response | None
    """The model response whose calls the batch answers (None: a durable run restored
    between steps, with no batch open)."""
    output: tuple[Any] | None = None
    """The final answer already given, in a 1-tuple (a durable run that stopped before its end)."""

"""The streaming methods of :class:`~llmkit.Agent`, on a base class of their own.

``Agent`` inherits them; they build nothing themselves: each checks its
options and hands ``Agent._start`` (a run that streams) to
:func:`~llmkit._agent.publish.published`, the one path from a run to its
caller and the bus. The run starts when the first event is asked for.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING, Generic, TypeAlias

from typing_extensions import TypeVar, Unpack

from llmkit._agent import options as checks
from llmkit._agent.publish import Publishing, published
from llmkit._sync import iterate_sync
from llmkit.run import RunOptions
from llmkit.types import ContentPart, Message

if TYPE_CHECKING:
    from llmkit.events import Event

__all__ = ["OutputT", "Streaming", "UserInput"]

OutputT = TypeVar("OutputT", default=str)
"""The type of an agent's output (``str`` unless ``output_type`` says otherwise)."""

UserInput: TypeAlias = "str | Message | Sequence[str | ContentPart]"
"""What a run starts from: text, a message, or text and media parts."""


class Streaming(Generic[OutputT]):
    """``stream`` and ``stream_sync``: a run's events as they happen."""

    def _start(
        self, user_input: UserInput | None, options: RunOptions, *, stream: bool
    ) -> Publishing:
        """The run of ``user_input`` with ``options``; ``Agent`` defines it."""
        raise NotImplementedError

    def stream(
        self, user_input: UserInput | None = None, **options: Unpack[RunOptions]
    ) -> AsyncGenerator[Event, None]:
        """Run and yield every event: text and tool-call deltas, tool calls and results, steps.

        The last event is ``RunEnd``, whose ``result`` is the :class:`~llmkit.run.RunResult`.
        The run starts when the first event is asked for.

        Options: as for :meth:`run` (message_history, deps, usage_limits, max_steps,
        timeout, hooks).
        """
        if options:
            checks.check_option_names(options, checks.RUN_OPTIONS, "stream")
        return published(partial(self._start, user_input, options, stream=True))

    def stream_sync(
        self, user_input: UserInput | None = None, **options: Unpack[RunOptions]
    ) -> Iterator[Event]:
        """Blocking twin of :meth:`stream`; also works inside a running event loop.

        The same events, one at a time; leaving the loop early stops the run and
        closes its model stream. Options: as for :meth:`run` (message_history,
        deps, usage_limits, max_steps, timeout, hooks).
        """
        if options:
            checks.check_option_names(options, checks.RUN_OPTIONS, "stream_sync")
        return iterate_sync(self.stream(user_input, **options))

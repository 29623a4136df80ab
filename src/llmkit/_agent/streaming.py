"""The streaming methods of :class:`~llmkit.Agent`, on a base class of their own.

``Agent`` inherits them; they build nothing themselves: each checks its
options and hands ``Agent._start`` (a run that streams) to
:func:`~llmkit._agent.publish.published`, the one path from a run to its
caller and the bus. The run starts when the first event is asked for.
``stream_output`` is ``stream`` with partial answers on, reduced to the
values: each ``PartialOutput``'s, then the validated output from ``RunEnd``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, overload

from typing_extensions import TypeVar, Unpack

from llmkit._agent import options as checks
from llmkit._agent.publish import Publishing, published
from llmkit._sync import iterate_sync
from llmkit.errors import UsageError
from llmkit.events import PartialOutput, RunEnd
from llmkit.run import RunOptions
from llmkit.types import ContentPart, Message

if TYPE_CHECKING:
    from llmkit.events import Event

__all__ = ["OutputT", "Streaming", "UserInput"]

T = TypeVar("T")
OutputT = TypeVar("OutputT", default=str)
"""The type of an agent's output (``str`` unless ``output_type`` says otherwise)."""

UserInput: TypeAlias = "str | Message | Sequence[str | ContentPart]"
"""What a run starts from: text, a message, or text and media parts."""


class Streaming(Generic[OutputT]):
    """``stream`` and ``stream_sync``: a run's events as they happen."""

    def _start(
        self,
        user_input: UserInput | None,
        options: RunOptions,
        *,
        stream: bool,
        partials: bool = False,
        output_type: Any = None,
    ) -> Publishing:
        """The run of ``user_input`` with ``options``; ``Agent`` defines it."""
        raise NotImplementedError

    def stream(
        self,
        user_input: UserInput | None = None,
        *,
        partial_output: bool = True,
        **options: Unpack[RunOptions],
    ) -> AsyncGenerator[Event, None]:
        """Run and yield every event: text and tool-call deltas, tool calls and results, steps.

        The last event is ``RunEnd``, whose ``result`` is the :class:`~llmkit.run.RunResult`.
        The run starts when the first event is asked for. With structured output,
        a ``PartialOutput`` event follows each model event that changed the answer
        so far (``partial_output=False``: none).

        Options: as for :meth:`run` (message_history, deps, usage_limits, max_steps,
        timeout, hooks, store, session, run_id).
        """
        if options:
            checks.check_option_names(options, checks.RUN_OPTIONS, "stream")
        start = partial(self._start, user_input, options, stream=True, partials=partial_output)
        return published(start)

    def stream_sync(
        self,
        user_input: UserInput | None = None,
        *,
        partial_output: bool = True,
        **options: Unpack[RunOptions],
    ) -> Iterator[Event]:
        """Blocking twin of :meth:`stream`; also works inside a running event loop.

        The same events, one at a time; leaving the loop early stops the run and
        closes its model stream. Options: as for :meth:`run` (message_history,
        deps, usage_limits, max_steps, timeout, hooks, store, session, run_id).
        """
        if options:
            checks.check_option_names(options, checks.RUN_OPTIONS, "stream_sync")
        return iterate_sync(self.stream(user_input, partial_output=partial_output, **options))

    @overload
    def stream_output(
        self,
        user_input: UserInput | None = None,
        *,
        output_type: None = None,
        **options: Unpack[RunOptions],
    ) -> AsyncGenerator[OutputT, None]: ...

    @overload
    def stream_output(
        self,
        user_input: UserInput | None = None,
        *,
        output_type: type[T],
        **options: Unpack[RunOptions],
    ) -> AsyncGenerator[T, None]: ...

    def stream_output(
        self,
        user_input: UserInput | None = None,
        *,
        output_type: Any = None,
        **options: Unpack[RunOptions],
    ) -> AsyncGenerator[Any, None]:
        """Run and yield the structured answer as it streams in: partial values, then the final one.

        Each partial value has the output type's shape with the fields that
        have arrived (a pydantic model's other fields are None, or their
        default); one comes each time the answer so far changed. The last value
        is the validated output, the one ``run()`` gives, after the same
        retries (an invalid answer is sent back; its partial values start over).

        Args:
            output_type: The type of the answer for this run (default: the agent's).
        Options: as for :meth:`run` (message_history, deps, usage_limits, max_steps,
        timeout, hooks, store, session, run_id).
        """
        if options:
            checks.check_option_names(options, checks.RUN_OPTIONS, "stream_output")
        if output_type is str or (output_type is None and not self._structured()):
            raise UsageError(
                "stream_output() streams structured output: give a type, e.g. "
                "stream_output(..., output_type=Invoice), or use stream() for text."
            )
        start = partial(
            self._start, user_input, options, stream=True, partials=True, output_type=output_type
        )
        return _values(published(start))

    @overload
    def stream_output_sync(
        self,
        user_input: UserInput | None = None,
        *,
        output_type: None = None,
        **options: Unpack[RunOptions],
    ) -> Iterator[OutputT]: ...

    @overload
    def stream_output_sync(
        self,
        user_input: UserInput | None = None,
        *,
        output_type: type[T],
        **options: Unpack[RunOptions],
    ) -> Iterator[T]: ...

    def stream_output_sync(
        self,
        user_input: UserInput | None = None,
        *,
        output_type: Any = None,
        **options: Unpack[RunOptions],
    ) -> Iterator[Any]:
        """Blocking twin of :meth:`stream_output`; also works inside a running event loop."""
        if options:
            checks.check_option_names(options, checks.RUN_OPTIONS, "stream_output_sync")
        return iterate_sync(self.stream_output(user_input, output_type=output_type, **options))

    def _structured(self) -> bool:
        """Whether the agent's own output type is structured (not ``str``)."""
        raise NotImplementedError


async def _values(events: AsyncGenerator[Event, None]) -> AsyncGenerator[Any, None]:
    """The partial values among ``events``, then the run's output."""
    try:
        async for event in events:
            if type(event) is PartialOutput:
                yield event.output
            elif type(event) is RunEnd:
                result = event.result
                if result.paused:
                    raise UsageError(
                        "The run paused for approval of tool calls, so it has no output yet: "
                        "use stream() or run(), then resume() with the decisions."
                    )
                yield result.output
    finally:
        await events.aclose()

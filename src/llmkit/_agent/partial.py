"""Partial answers while a structured answer streams in: ``PartialOutput`` events.

One :class:`PartialOutputs` per streamed model call of a run that asked for
them (``Agent.stream`` and ``stream_output``) and has structured output; a
run that does not stream, or streams text, builds none, so this costs
nothing when nobody takes partial values. Where the answer's JSON comes
from depends on the output mode: the text deltas (``"native"``, and
``"prompted"``, where prose or a code fence before the JSON is skipped) or
the argument deltas of the final-result tool call (``"tool"``). It reads the
JSON incrementally (:class:`~llmkit.output._lenient.PartialReader`) and
gives an event only when the value changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmkit.events import PartialOutput, TextDelta, ToolCallDelta
from llmkit.output import FINAL_RESULT_TOOL
from llmkit.output._lenient import UNCHANGED

if TYPE_CHECKING:
    from llmkit._agent.prepare import Prepared
    from llmkit.output._lenient import PartialReader

__all__ = ["PartialOutputs"]


class PartialOutputs:
    """The partial answers of one model call, from its stream events."""

    __slots__ = ("_call", "_reader", "_tool", "run_id", "step")

    def __init__(self, reader: PartialReader, *, tool: bool, run_id: str, step: int) -> None:
        self._reader = reader
        self._tool = tool
        """The answer comes as the final-result tool's arguments."""
        self._call: int | None = None
        """The index of the final-result call in the reply, once its name has come."""
        self.run_id = run_id
        self.step = step

    @classmethod
    def start(cls, prep: Prepared, run_id: str, step: int) -> PartialOutputs | None:
        """The partial answers of a model call with ``prep``'s parts (None for text output)."""
        if prep.mode is None:
            return None
        reader = prep.output.partial_reader()
        return cls(reader, tool=prep.final_tool, run_id=run_id, step=step)

    def feed(self, event: object) -> PartialOutput | None:
        """The event for the answer so far, when ``event`` changed it; else None."""
        if self._tool:
            if type(event) is not ToolCallDelta:
                return None
            if self._call is None and event.name == FINAL_RESULT_TOOL:
                self._call = event.index
            if event.index != self._call or not event.arguments:
                return None
            text = event.arguments
        elif type(event) is TextDelta:
            text = event.text
        else:
            return None
        value = self._reader.feed(text)
        if value is UNCHANGED:
            return None
        return PartialOutput(self.run_id, self.step, value)

"""Reading a recording: checked line by line, grouped into runs.

A file that is not JSON Lines (or is nested too deeply to parse), is cut
short, holds an unknown event, or comes from a newer format raises a :class:`~llmkit.errors.RecordingError`
that names the file and the line.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from llmkit._jsondata import MACHINE_MAX_DEPTH, JSONTooDeep, loads
from llmkit._recording.writer import RECORDING_FORMAT
from llmkit.errors import RecordingError, RecordingVersionError, SerializationError
from llmkit.events import Event, RunStart, event_from_dict
from llmkit.types import FORMAT_VERSION, JSONDict, Message, load

if TYPE_CHECKING:
    from llmkit.run import RunResult

__all__ = [
    "ModelExchange",
    "RecordedLine",
    "RecordedRun",
    "ResultReader",
    "group_runs",
    "parse_lines",
]

# A line nested past the bound (no recorded event is that deep) is a corrupt file, not a crash.
_TOO_DEEP = f"JSON nested too deeply to read (more than {MACHINE_MAX_DEPTH} levels)"


class ResultReader(Protocol):
    """What reads a recorded result back as typed output (:class:`~llmkit.Agent` is one).

    Named here, below the agent layer, so recording needs no import of
    :mod:`llmkit.agent`.
    """

    def load_result(self, data: Mapping[str, Any]) -> RunResult[Any]:
        """A result from its ``to_dict()`` form, its output read as this reader's output type."""
        ...


@dataclass(slots=True)
class RecordedLine:
    """One event of a recording, with where and when it was written."""

    line: int
    """Its line in the file (1-based; line 1 is the header)."""
    t: float
    """Seconds since the recording started."""
    event: Event
    data: JSONDict
    """The line as read (the event's JSON form plus the recorder's extra fields)."""

    @property
    def topic(self) -> str:
        """The event's topic."""
        return self.event.topic


@dataclass(slots=True)
class ModelExchange:
    """One recorded model call: the request line and what came back (a response or an error)."""

    request: RecordedLine
    outcome: RecordedLine | None


@dataclass(slots=True)
class RecordedRun:
    """One agent run of a recording: its start, its model and tool calls, its end."""

    run_id: str
    agent: str
    start: RecordedLine
    lines: list[RecordedLine] = field(default_factory=list)
    """Every line of this run, in order (``run.start`` first)."""

    @property
    def input(self) -> list[Message]:
        """The messages the run added (usually the user's input)."""
        event = self.start.event
        assert isinstance(event, RunStart), "a run starts with its run.start line"
        return event.input

    @property
    def history(self) -> list[Message]:
        """The conversation the run continued (``message_history``)."""
        return [Message.from_dict(m) for m in self.start.data.get("history", ())]

    @property
    def model(self) -> str | None:
        """The model the run started with (``"provider/model"``)."""
        value = self.start.data.get("model")
        return value if isinstance(value, str) else None

    @property
    def result_data(self) -> JSONDict | None:
        """The JSON form of the run's result, or None if the run did not end (it failed)."""
        for line in reversed(self.lines):
            if line.topic == "run.end":
                data: JSONDict | None = line.data.get("result")
                return data
        return None

    @property
    def result(self) -> RunResult[Any] | None:
        """The run's result (structured output as JSON), or None if the run did not end."""
        data = self.result_data
        if data is None:
            return None
        result: RunResult[Any] = load(
            {"llmkit": FORMAT_VERSION, "kind": "run_result", "data": data}
        )
        return result

    def result_for(self, agent: ResultReader) -> RunResult[Any] | None:
        """The run's result with its output read as ``agent``'s output type."""
        data = self.result_data
        return agent.load_result(data) if data is not None else None

    @property
    def error(self) -> RecordedLine | None:
        """The ``error`` line that ended the run, if it failed."""
        for line in reversed(self.lines):
            if line.topic == "error" and line.data.get("where") == "run":
                return line
        return None

    def model_calls(self) -> list[ModelExchange]:
        """The model calls, in order."""
        calls: list[ModelExchange] = []
        for line in self.lines:
            if line.topic == "model.request":
                calls.append(ModelExchange(line, None))
            elif (
                calls
                and calls[-1].outcome is None
                and (
                    line.topic == "model.response"
                    or (line.topic == "error" and line.data.get("where") == "model")
                )
            ):
                calls[-1].outcome = line
        return calls

    def tool_calls(self) -> dict[str, deque[tuple[RecordedLine, RecordedLine | None]]]:
        """Recorded tool calls by call id, each with its result (or error) line."""
        open_calls: dict[str, deque[tuple[RecordedLine, RecordedLine | None]]] = {}
        waiting: dict[str, deque[int]] = {}
        for line in self.lines:
            if line.topic == "tool.call":
                call_id = line.data["call"]["id"]
                entries = open_calls.setdefault(call_id, deque())
                entries.append((line, None))
                waiting.setdefault(call_id, deque()).append(len(entries) - 1)
            elif line.topic in ("tool.result", "error"):
                if line.topic == "tool.result":
                    call_id = line.data["result"]["call_id"]
                elif line.data.get("where") == "tool":
                    call_id = line.data.get("call_id", "")
                else:
                    continue
                queue = waiting.get(call_id)
                if queue:
                    index = queue.popleft()
                    entries = open_calls[call_id]
                    entries[index] = (entries[index][0], line)
        return open_calls

    def __repr__(self) -> str:
        return f"<RecordedRun {self.run_id} agent={self.agent!r} lines={len(self.lines)}>"


def parse_lines(path: Path, text: str) -> tuple[JSONDict, list[RecordedLine]]:
    """The header and the event lines of a recording's text (typed errors name the line)."""
    name = str(path)
    raw = text.split("\n")
    truncated = bool(text) and not text.endswith("\n")
    if raw and raw[-1] == "":
        raw.pop()
    if not raw:
        raise RecordingError(f"{name} is empty: not an llmkit recording.", path=name, line=1)
    header = _header(name, raw[0], truncated and len(raw) == 1)
    lines: list[RecordedLine] = []
    last = len(raw)
    for number, source in enumerate(raw[1:], start=2):
        if not source.strip():
            continue
        where = f"{name}, line {number}"
        try:
            data = loads(source, max_depth=MACHINE_MAX_DEPTH)
        except JSONTooDeep:
            raise RecordingError(
                f"{where}: {_TOO_DEEP}; the file is corrupt.", path=name, line=number
            ) from None
        except ValueError as exc:
            if truncated and number == last:
                raise RecordingError(
                    f"{where}: the recording is cut short (the last line is incomplete JSON); "
                    f"the {len(lines)} events before it are readable. Record the run again "
                    "or remove the last line.",
                    path=name,
                    line=number,
                ) from None
            raise RecordingError(
                f"{where}: not valid JSON ({exc}); the file is corrupt.", path=name, line=number
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("topic"), str):
            raise RecordingError(
                f"{where}: expected an event object with a 'topic'.", path=name, line=number
            )
        try:
            event = event_from_dict(data)
        except (SerializationError, KeyError, TypeError, ValueError) as exc:
            raise RecordingError(
                f"{where}: not a valid event: {exc}", path=name, line=number
            ) from None
        t = data.get("t", 0.0)
        lines.append(
            RecordedLine(number, float(t) if isinstance(t, int | float) else 0.0, event, data)
        )
    return header, lines


def _header(name: str, source: str, truncated: bool) -> JSONDict:
    try:
        header = loads(source, max_depth=MACHINE_MAX_DEPTH)
    except JSONTooDeep:
        raise RecordingError(
            f"{name}, line 1: the header is {_TOO_DEEP}; this is not a readable llmkit recording.",
            path=name,
            line=1,
        ) from None
    except ValueError:
        what = "cut short" if truncated else "not JSON"
        raise RecordingError(
            f"{name}, line 1: the header is {what}; this is not a readable llmkit recording.",
            path=name,
            line=1,
        ) from None
    version = header.get("llmkit_recording") if isinstance(header, dict) else None
    if not isinstance(version, int) or isinstance(version, bool):
        raise RecordingError(
            f"{name}, line 1: not an llmkit recording (no 'llmkit_recording' version in the header).",
            path=name,
            line=1,
        )
    if version > RECORDING_FORMAT:
        raise RecordingVersionError(
            f"{name} was written by a newer llmkit ({header.get('llmkit', '?')}, recording format "
            f"{version}); this llmkit reads format {RECORDING_FORMAT} and older. Upgrade llmkit "
            "to read it.",
            path=name,
            line=1,
        )
    checked: JSONDict = header
    return checked


def group_runs(lines: list[RecordedLine]) -> list[RecordedRun]:
    """The runs of a recording, in the order they started."""
    runs: dict[str, RecordedRun] = {}
    for line in lines:
        run_id = line.data.get("run_id")
        event = line.event
        if isinstance(event, RunStart):
            runs[event.run_id] = RecordedRun(event.run_id, event.agent, line, [line])
        elif isinstance(run_id, str) and run_id in runs:
            runs[run_id].lines.append(line)
    return list(runs.values())

"""One view of "what a run did" for matchers: :class:`Observation`, built by :func:`observe`.

Matchers accept many subjects (a ``RunResult``, a scenario's exchange, a
list of events, a ``Response``, an exception, plain text); :func:`observe`
turns each into an :class:`Observation`: the run's new messages as a
numbered trajectory of lines, its tool calls, final text, structured output,
error, usage and (when recorded) events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from llmkit.errors import UsageError
from llmkit.events import ModelResponse, RunEnd, RunStart, ToolResultEvent
from llmkit.run import RunResult
from llmkit.types import Message, Response, ToolCall, ToolResult, Usage

__all__ = ["NO_OUTPUT", "Line", "Observation", "format_call", "observe"]


class _NoOutput:
    """The output of a run that ended without one (it failed, or paused); compare with ``is``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<no output>"


NO_OUTPUT: Any = _NoOutput()
"""The output of a run that ended without one (it failed, or paused)."""


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a trajectory: ``kind`` is user, call, result, text, output, paused or error."""

    kind: str
    text: str


def format_call(name: str, arguments: dict[str, Any]) -> str:
    """A tool call as it reads in code: ``lookup_order(order_id=42)``."""
    shown = ", ".join(
        f"{k}={v!r}" if k.isidentifier() else f"{k!r}: {v!r}" for k, v in arguments.items()
    )
    return f"{name}({shown})"


def _call_text(call: ToolCall) -> str:
    if call.arguments_error is not None:
        return f"{call.name}(<unreadable arguments: {call.raw_arguments!r}>)"
    return format_call(call.name, call.arguments)


@dataclass(slots=True)
class Observation:
    """What a run did, as matchers read it. Build one with :func:`observe`."""

    messages: list[Message] = field(default_factory=list)
    """The messages the run added (the history it continued is left out)."""
    output: Any = NO_OUTPUT
    """The run's output (text or a structured value), or :data:`NO_OUTPUT`."""
    error: BaseException | None = None
    """What the run raised, if it failed."""
    events: list[Any] | None = None
    """The events the run emitted, when they were recorded (a streamed run)."""
    usage: Usage | None = None
    result: RunResult[Any] | None = None
    lines: list[Line] = field(default_factory=list)
    """The trajectory: one line per user turn, model text, tool call, tool result …"""
    calls: list[tuple[int, ToolCall]] = field(default_factory=list)
    """Every tool call in order, with the index of its line."""
    results: list[tuple[int, ToolResult]] = field(default_factory=list)
    """Every tool result in order, with the index of its line."""
    text_at: int | None = None
    """The line of the final answer text, if there is one."""
    text: str | None = None
    """The final answer text: the output when it is text, else the last model text."""

    @property
    def tool_calls(self) -> list[ToolCall]:
        """The tool calls, in order."""
        return [call for _, call in self.calls]

    def _add(self, kind: str, text: str) -> int:
        self.lines.append(Line(kind, text))
        return len(self.lines) - 1

    def _read_messages(self) -> None:
        names: dict[str, str] = {}
        last_text: tuple[int, str] | None = None
        for message in self.messages:
            if message.role == "user":
                self._add("user", message.text)
            elif message.role == "assistant":
                if message.text:
                    last_text = (self._add("text", message.text), message.text)
                for call in message.tool_calls:
                    names[call.id] = call.name
                    self.calls.append((self._add("call", _call_text(call)), call))
            elif message.role == "tool":
                for result in message.tool_results:
                    name = result.name or names.get(result.call_id, "?")
                    mark = " (error)" if result.is_error else ""
                    index = self._add("result", f"{name}{mark} → {result.text}")
                    self.results.append((index, result))
        if isinstance(self.output, str):
            self.text = self.output
            if last_text is not None and last_text[1] == self.output:
                self.text_at = last_text[0]
        elif last_text is not None:
            self.text_at, self.text = last_text
        if self.output is not NO_OUTPUT and not isinstance(self.output, str):
            self._add("output", repr(self.output))
        run = self.result
        if run is not None and run.paused:
            waiting = ", ".join(_call_text(c) for c in run.pending)
            self._add("paused", f"waiting for approval of {waiting}")
        if self.error is not None:
            first = str(self.error).strip().splitlines()
            self._add("error", f"{type(self.error).__name__}: {first[0] if first else ''}")


def observe(
    subject: Any,
    *,
    events: Sequence[Any] | None = None,
    error: BaseException | None = None,
    history_length: int | None = None,
) -> Observation:
    """The :class:`Observation` of ``subject``.

    ``subject`` is an :class:`Observation` (returned as is), a ``RunResult``,
    a list of events (``agent.stream`` output), a ``Response``, an exception
    (a failed run: an ``AgentError`` carries the conversation), a ``str``
    (a final answer), or ``None`` with ``error=``.
    """
    if isinstance(subject, Observation):
        return subject
    if isinstance(subject, list | tuple) and events is None:
        events = subject
        subject = next((e.result for e in reversed(subject) if isinstance(e, RunEnd)), None)
        if subject is None:
            return _from_events(list(events), error)
    if isinstance(subject, BaseException):
        subject, error = None, subject
    obs = Observation(events=list(events) if events is not None else None, error=error)
    if isinstance(subject, RunResult):
        start = subject.history_length if history_length is None else history_length
        obs.result = subject
        obs.messages = subject.messages[start:]
        obs.usage = subject.usage
        if subject.status == "complete":
            obs.output = subject.output
    elif isinstance(subject, Response):
        obs.messages = [subject.message]
        obs.usage = subject.usage
        obs.output = subject.text
    elif isinstance(subject, str):
        obs.output = subject
    elif subject is None:
        if error is None:
            raise UsageError("Nothing to observe: pass a run result, events, or an error.")
        obs.messages = list(getattr(error, "messages", None) or [])[history_length or 0 :]
        obs.usage = getattr(error, "usage", None)
    else:
        raise UsageError(
            f"Matchers read a RunResult, a list of events, a Response, an exception or a str, "
            f"not a {type(subject).__name__}."
        )
    obs._read_messages()
    return obs


def _from_events(events: list[Any], error: BaseException | None) -> Observation:
    """An observation of a stream that did not reach ``run.end`` (or a plain model stream)."""
    messages: list[Message] = []
    pending: list[ToolResult] = []
    for event in events:
        if isinstance(event, RunStart):
            messages.extend(event.input)
        elif isinstance(event, ModelResponse):
            if pending:
                messages.append(Message.tool(*pending))
                pending = []
            messages.append(event.response.message)
        elif isinstance(event, ToolResultEvent):
            pending.append(event.result)
    if pending:
        messages.append(Message.tool(*pending))
    obs = Observation(messages=messages, events=events, error=error)
    obs._read_messages()
    return obs

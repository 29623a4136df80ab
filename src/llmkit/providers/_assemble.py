"""Assembling responses from stream deltas, and stream events from responses.

Pure helpers shared by every codec: :class:`ResponseBuilder` collects deltas
into a :class:`~llmkit.types.Response`; :func:`events_from_response` turns a
complete response into the stream events a streaming model would have sent;
:func:`parse_arguments` decodes tool-call argument text without ever raising;
:func:`usage_or_estimate` is the one rule for a usage the provider did not report.
"""

from __future__ import annotations

import json

from llmkit._json import loads_text
from llmkit._usage import estimate_usage
from llmkit.events import ModelResponse, ReasoningDelta, StreamEvent, TextDelta, ToolCallDelta
from llmkit.types import (
    FinishReason,
    JSONDict,
    Message,
    Part,
    ReasoningPart,
    Request,
    Response,
    TextPart,
    ToolCall,
    Usage,
)

__all__ = [
    "ResponseBuilder",
    "events_from_response",
    "make_tool_call",
    "parse_arguments",
    "usage_or_estimate",
]

_loads = loads_text  # json.loads where orjson would read differently


def parse_arguments(raw: str) -> tuple[JSONDict, str | None]:
    """Decode a tool call's argument text into an object.

    Returns ``(arguments, None)`` on success and ``({}, reason)`` when the text
    is not a JSON object, so a broken call is flagged, not fatal.
    """
    if not raw or raw.isspace():
        return {}, None
    try:
        value = _loads(raw)
    except ValueError as exc:
        return {}, f"arguments are not valid JSON ({exc.args[0] if exc.args else exc})"
    if not isinstance(value, dict):
        return {}, f"arguments must be a JSON object, got {type(value).__name__}"
    return value, None


def usage_or_estimate(
    reported: Usage | None, request: Request | None, message: Message, *, final: bool = True
) -> Usage:
    """The usage the provider reported, or an estimate where it reported none.

    Every decoder follows this one rule: a call whose usage never arrived (a
    server that sends none in streams, a stream cut short) is counted from the
    request and the answer that arrived, flagged ``estimated``, never 0/0.
    When only a first report arrived (``final=False``: the prompt counted at
    the start of a stream that then broke), its input counts are kept and the
    output is counted from what arrived.
    """
    if reported is not None and final:
        return reported
    estimate = estimate_usage(request, message)
    if reported is not None and reported.input_tokens:
        estimate.input_tokens = reported.input_tokens
        estimate.cache_read_tokens = reported.cache_read_tokens
        estimate.cache_write_tokens = reported.cache_write_tokens
    return estimate


def make_tool_call(
    call_id: str, name: str, raw: str, provider_data: JSONDict | None = None
) -> ToolCall:
    """A :class:`ToolCall` from its raw argument text, flagged when the text is broken."""
    arguments, error = parse_arguments(raw)
    return ToolCall(call_id, name, arguments, raw, error, provider_data)


class _PendingCall:
    __slots__ = ("args", "id", "name", "provider_data")

    def __init__(self) -> None:
        self.id = ""
        self.name = ""
        self.args: list[str] = []
        self.provider_data: JSONDict | None = None


class ResponseBuilder:
    """Collects stream deltas and builds the final :class:`Response`.

    Codecs feed it as they decode; on a broken stream :meth:`build` still
    gives the partial response (text so far, the tool calls seen).
    """

    __slots__ = ("_calls", "_reasoning", "_signature", "_text")

    def __init__(self) -> None:
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._signature: str | None = None
        self._calls: dict[int, _PendingCall] = {}

    def add_text(self, text: str) -> None:
        """Append answer text."""
        self._text.append(text)

    def add_reasoning(self, text: str = "", signature: str | None = None) -> None:
        """Append reasoning text and/or set its signature."""
        if text:
            self._reasoning.append(text)
        if signature:
            self._signature = signature

    def add_tool_call_delta(
        self,
        index: int,
        call_id: str | None = None,
        name: str | None = None,
        arguments: str = "",
        provider_data: JSONDict | None = None,
    ) -> None:
        """Merge a piece of tool call ``index`` (id/name arrive once, arguments in pieces)."""
        call = self._calls.get(index)
        if call is None:
            call = self._calls[index] = _PendingCall()
        if call_id:
            call.id = call_id
        if name:
            call.name = name
        if arguments:
            call.args.append(arguments)
        if provider_data:
            call.provider_data = {**(call.provider_data or {}), **provider_data}

    @property
    def has_tool_calls(self) -> bool:
        """Whether any tool call has started."""
        return bool(self._calls)

    def message(self) -> Message:
        """The assistant message assembled so far."""
        parts: list[Part] = []
        if self._reasoning or self._signature:
            parts.append(ReasoningPart("".join(self._reasoning), self._signature))
        if self._text:
            text = "".join(self._text)
            if text:
                parts.append(TextPart(text))
        for index in sorted(self._calls):
            call = self._calls[index]
            parts.append(
                make_tool_call(
                    call.id or f"call_{index}", call.name, "".join(call.args), call.provider_data
                )
            )
        return Message("assistant", parts)

    def build(
        self,
        *,
        finish_reason: FinishReason = "stop",
        usage: Usage | None = None,
        model: str | None = None,
        request_id: str | None = None,
        raw_finish_reason: str | None = None,
        provider_data: JSONDict | None = None,
    ) -> Response:
        """The response assembled so far."""
        return Response(
            self.message(),
            usage if usage is not None else Usage(),
            finish_reason,
            model,
            request_id,
            raw_finish_reason,
            provider_data,
        )


def events_from_response(response: Response, *, chunk_size: int = 0) -> list[StreamEvent]:
    """The stream events that deliver ``response``: deltas in order, then ``model.response``.

    With ``chunk_size`` > 0, text is split into pieces of that many characters,
    to imitate a streaming provider.
    """
    events: list[StreamEvent] = []
    index = 0
    for part in response.message.parts:
        if isinstance(part, TextPart):
            events.extend(TextDelta(piece) for piece in _chunks(part.text, chunk_size))
        elif isinstance(part, ReasoningPart):
            events.extend(ReasoningDelta(piece) for piece in _chunks(part.text, chunk_size))
            if part.signature:
                events.append(ReasoningDelta("", part.signature))
        elif isinstance(part, ToolCall):
            raw = part.raw_arguments
            if raw is None:
                raw = json.dumps(part.arguments, separators=(",", ":"))
            events.append(ToolCallDelta(index, part.id, part.name, raw))
            index += 1
    events.append(ModelResponse(response))
    return events


def _chunks(text: str, size: int) -> list[str]:
    if not text:
        return []
    if size <= 0:
        return [text]
    return [text[i : i + size] for i in range(0, len(text), size)]

"""The Anthropic Messages wire format, answers: pure decoding, no I/O.

:func:`decode_response` reads a ``message`` object; :class:`StreamDecoder`
reads the server-sent events of a streamed one and yields llmkit's stream
events; an error object in a body or a stream is raised as the error
:mod:`llmkit.providers.anthropic.errors` reads it as. Thinking comes back as :class:`~llmkit.types.ReasoningPart` with its
signature and an origin mark under ``provider_data["anthropic"]``, so the
encoder can send it back unchanged on the next turn.
"""

from __future__ import annotations

from typing import Any

from llmkit._json import dumps, loads_text
from llmkit.errors import InvalidResponseError
from llmkit.events import ReasoningDelta, StreamEvent, TextDelta, ToolCallDelta
from llmkit.providers._assemble import make_tool_call, usage_or_estimate
from llmkit.providers.anthropic.errors import error_from_body
from llmkit.providers.anthropic.messages import EXTRA_BLOCKS, PROTOCOL
from llmkit.types import (
    FinishReason,
    JSONDict,
    Message,
    Part,
    ReasoningPart,
    Request,
    Response,
    TextPart,
    Usage,
)

__all__ = ["STOP_REASONS", "StreamDecoder", "decode_response", "decode_usage"]

STOP_REASONS: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
"""Anthropic's ``stop_reason`` values and the finish reasons they stand for."""


def _origin(kind: str) -> JSONDict:
    return {PROTOCOL: {"type": kind}}


# ------------------------------------------------------------------- usage


def decode_usage(data: Any) -> Usage:
    """Usage from a ``usage`` object.

    Anthropic's ``input_tokens`` leaves out cached tokens; llmkit's counts
    every prompt token, so cache reads and writes are added to it.
    """
    if not isinstance(data, dict):
        return Usage(requests=1)
    read = data.get("cache_read_input_tokens") or 0
    written = data.get("cache_creation_input_tokens") or 0
    details = data.get("output_tokens_details") or {}
    return Usage(
        (data.get("input_tokens") or 0) + read + written,
        data.get("output_tokens") or 0,
        read,
        written,
        details.get("thinking_tokens") or 0 if isinstance(details, dict) else 0,
        1,
    )


# ---------------------------------------------------------------- responses


def _block_part(block: JSONDict) -> Part | None:
    """The llmkit part for a content block; None for blocks llmkit has no part for."""
    kind = block.get("type")
    if kind == "text":
        citations = block.get("citations")
        extra = {PROTOCOL: {"citations": citations}} if citations else None
        return TextPart(str(block.get("text") or ""), extra)
    if kind == "thinking":
        return ReasoningPart(
            str(block.get("thinking") or ""), block.get("signature"), False, _origin("thinking")
        )
    if kind == "redacted_thinking":
        return ReasoningPart("", block.get("data"), True, _origin("redacted_thinking"))
    if kind == "tool_use":
        arguments = block.get("input")
        raw = dumps(arguments if arguments is not None else {})
        return make_tool_call(str(block.get("id") or ""), str(block.get("name") or ""), raw)
    return None


def _message(blocks: list[JSONDict]) -> Message:
    parts: list[Part] = []
    extras: list[JSONDict] = []
    for block in blocks:
        part = _block_part(block)
        if part is None:
            extras.append({"index": len(parts) + len(extras), "block": block})
        else:
            parts.append(part)
    data = {PROTOCOL: {EXTRA_BLOCKS: extras}} if extras else None
    return Message("assistant", parts, provider_data=data)


def _finish(stop_reason: Any, message: Message) -> FinishReason:
    if stop_reason is None:
        return "error"
    finish = STOP_REASONS.get(str(stop_reason), "stop")
    if finish == "stop" and message.tool_calls:
        return "tool_calls"
    return finish


def _response_data(message_id: Any, stop_sequence: Any) -> JSONDict | None:
    data: JSONDict = {}
    if message_id:
        data["id"] = message_id
    if stop_sequence:
        data["stop_sequence"] = stop_sequence
    return {PROTOCOL: data} if data else None


def decode_response(
    data: Any,
    *,
    request_id: str | None = None,
    provider: str = PROTOCOL,
    request: Request | None = None,
) -> Response:
    """A :class:`Response` from a ``message`` object (usage estimated when it has none)."""
    if not isinstance(data, dict):
        raise InvalidResponseError(
            f"{provider} answered with JSON that is not an object.",
            provider=provider,
            request_id=request_id,
        )
    if data.get("type") == "error":
        raise error_from_body(data, provider, request_id)
    content = data.get("content")
    if not isinstance(content, list):
        raise InvalidResponseError(
            f"{provider} answered without a 'content' list: {dumps(data)[:300]}",
            provider=provider,
            request_id=request_id,
        )
    message = _message([b for b in content if isinstance(b, dict)])
    stop = data.get("stop_reason")
    usage = data.get("usage")
    reported = decode_usage(usage) if isinstance(usage, dict) else None
    return Response(
        message,
        usage_or_estimate(reported, request, message),
        _finish(stop if stop is not None else "end_turn", message),
        data.get("model"),
        request_id,
        stop,
        _response_data(data.get("id"), data.get("stop_sequence")),
    )


# ------------------------------------------------------------------ streams


class _Block:
    """One content block as it streams in."""

    __slots__ = ("block", "call_index", "pieces", "signature")

    def __init__(self, block: JSONDict, call_index: int | None) -> None:
        self.block = block
        self.call_index = call_index
        self.pieces: list[str] = []
        self.signature: str | None = None

    def finished(self) -> JSONDict:
        """The block with everything streamed so far filled in."""
        block = dict(self.block)
        kind = block.get("type")
        text = "".join(self.pieces)
        if kind == "text":
            block["text"] = str(block.get("text") or "") + text
        elif kind == "thinking":
            block["thinking"] = str(block.get("thinking") or "") + text
            if self.signature is not None:
                block["signature"] = self.signature
        elif self.pieces:
            # A server tool's input, streamed as JSON text like a tool call's.
            try:
                block["input"] = loads_text(text)
            except ValueError:
                block["input"] = {}
        return block


class StreamDecoder:
    """Turns the server-sent events of a streamed message into stream events.

    Feed each event to :meth:`feed`; it returns the events to yield.
    :attr:`done` becomes True at ``message_stop``; an ``error`` event raises
    the matching :class:`~llmkit.errors.ProviderError`; :meth:`response`
    builds the final (or, after a break, the partial) response.
    """

    __slots__ = (
        "_blocks",
        "_calls",
        "_id",
        "_model",
        "_provider",
        "_request",
        "_stop",
        "_stop_sequence",
        "_usage",
        "_usage_final",
        "done",
        "request_id",
    )

    def __init__(
        self,
        *,
        request_id: str | None = None,
        provider: str = PROTOCOL,
        request: Request | None = None,
    ) -> None:
        self._blocks: dict[int, _Block] = {}
        self._calls = 0
        self._request = request
        self._usage: JSONDict = {}
        # message_start counts the prompt; the output count comes with message_delta.
        self._usage_final = False
        self._model: str | None = None
        self._id: str | None = None
        self._stop: str | None = None
        self._stop_sequence: str | None = None
        self._provider = provider
        self.request_id = request_id
        self.done = False

    def feed(self, data: str) -> list[StreamEvent]:
        """Decode the ``data`` of one server-sent event and return its stream events."""
        try:
            event = loads_text(data)
        except ValueError as exc:
            raise InvalidResponseError(
                f"{self._provider} sent a stream event that is not JSON ({exc}): {data[:200]!r}",
                provider=self._provider,
                request_id=self.request_id,
            ) from None
        if not isinstance(event, dict):
            return []
        kind = event.get("type")
        if kind == "content_block_delta":
            return self._delta(event)
        if kind == "content_block_start":
            return self._start(event)
        if kind == "message_start":
            message = event.get("message") or {}
            self._id = message.get("id")
            self._model = message.get("model")
            self._merge_usage(message.get("usage"))
        elif kind == "message_delta":
            delta = event.get("delta") or {}
            self._stop = delta.get("stop_reason") or self._stop
            self._stop_sequence = delta.get("stop_sequence") or self._stop_sequence
            self._merge_usage(event.get("usage"))
            self._usage_final = self._usage_final or isinstance(event.get("usage"), dict)
        elif kind == "message_stop":
            self.done = True
        elif kind == "error":
            raise error_from_body(event, self._provider, self.request_id)
        # ping, content_block_stop and event types added later carry nothing to deliver.
        return []

    def _merge_usage(self, usage: Any) -> None:
        if isinstance(usage, dict):
            # message_delta counts are cumulative: a later value replaces an earlier one.
            self._usage.update((k, v) for k, v in usage.items() if v is not None)

    def _start(self, event: JSONDict) -> list[StreamEvent]:
        block = event.get("content_block")
        if not isinstance(block, dict):
            return []
        kind = block.get("type")
        call_index = None
        if kind == "tool_use":
            call_index = self._calls
            self._calls += 1
        self._blocks[int(event.get("index", len(self._blocks)))] = _Block(block, call_index)
        if kind == "tool_use":
            return [ToolCallDelta(self._calls - 1, block.get("id"), block.get("name"), "")]
        if kind == "text" and block.get("text"):
            return [TextDelta(str(block["text"]))]
        if kind == "thinking" and block.get("thinking"):
            return [ReasoningDelta(str(block["thinking"]))]
        if kind == "redacted_thinking":
            return [ReasoningDelta("", block.get("data"))]
        return []

    def _delta(self, event: JSONDict) -> list[StreamEvent]:
        current = self._blocks.get(int(event.get("index", -1)))
        delta = event.get("delta")
        if current is None or not isinstance(delta, dict):
            return []
        kind = delta.get("type")
        if kind == "text_delta":
            text = str(delta.get("text") or "")
            current.pieces.append(text)
            return [TextDelta(text)] if text else []
        if kind == "input_json_delta":
            piece = str(delta.get("partial_json") or "")
            current.pieces.append(piece)
            if piece and current.call_index is not None:
                return [ToolCallDelta(current.call_index, None, None, piece)]
            return []
        if kind == "thinking_delta":
            text = str(delta.get("thinking") or "")
            current.pieces.append(text)
            return [ReasoningDelta(text)] if text else []
        if kind == "signature_delta":
            current.signature = str(delta.get("signature") or "")
            return [ReasoningDelta("", current.signature)]
        if kind == "citations_delta":
            citation = delta.get("citation")
            block = current.block
            block["citations"] = [*(block.get("citations") or []), citation]
        return []

    def response(self) -> Response:
        """The response assembled from everything fed so far."""
        parts: list[Part] = []
        extras: list[JSONDict] = []
        for index in sorted(self._blocks):
            pending = self._blocks[index]
            if pending.call_index is not None:
                block = pending.block
                # The argument text as streamed; a cut-off one is flagged, not fatal.
                raw = "".join(pending.pieces) or dumps(block.get("input") or {})
                parts.append(
                    make_tool_call(str(block.get("id") or ""), str(block.get("name") or ""), raw)
                )
                continue
            block = pending.finished()
            part = _block_part(block)
            if part is None:
                extras.append({"index": len(parts) + len(extras), "block": block})
            else:
                parts.append(part)
        data = {PROTOCOL: {EXTRA_BLOCKS: extras}} if extras else None
        message = Message("assistant", parts, provider_data=data)
        reported = decode_usage(self._usage) if self._usage else None
        return Response(
            message,
            usage_or_estimate(reported, self._request, message, final=self._usage_final),
            _finish(self._stop, message),
            self._model,
            self.request_id,
            self._stop,
            _response_data(self._id, self._stop_sequence),
        )

"""The Gemini ``generateContent`` wire format, answer side: pure decoding, no I/O.

:func:`decode_response` turns a ``GenerateContentResponse`` into a
:class:`~llmkit.types.Response`; :class:`StreamDecoder` does the same chunk by
chunk for ``:streamGenerateContent?alt=sse`` and yields stream events on the
way. Both build the final message with the same function, so a streamed
answer and a plain one come out identical. An error object inside an answer
or a chunk is raised as :mod:`llmkit.providers.gemini.errors` reads it; error
bodies (``{"error": {"code", "message", "status", "details"}}``) are read there.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from llmkit._json import dumps, loads_text
from llmkit.errors import ContentFilterError, InvalidResponseError
from llmkit.events import ReasoningDelta, StreamEvent, TextDelta, ToolCallDelta
from llmkit.providers._assemble import usage_or_estimate
from llmkit.providers.gemini.encode import PROTOCOL
from llmkit.providers.gemini.errors import error_from_body
from llmkit.types import (
    Embeddings,
    FinishReason,
    ImagePart,
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
    "FINISH_REASONS",
    "StreamDecoder",
    "decode_embeddings",
    "decode_parts",
    "decode_response",
    "decode_usage",
]

_PROVIDER = "gemini"

FINISH_REASONS: dict[str, FinishReason] = {
    "STOP": "stop",
    "FINISH_REASON_UNSPECIFIED": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
    "IMAGE_PROHIBITED_CONTENT": "content_filter",
    "IMAGE_RECITATION": "content_filter",
    "LANGUAGE": "error",
    "OTHER": "error",
    "MALFORMED_FUNCTION_CALL": "error",
    "UNEXPECTED_TOOL_CALL": "error",
    "TOO_MANY_TOOL_CALLS": "error",
    "IMAGE_OTHER": "error",
    "NO_IMAGE": "error",
}


# ----------------------------------------------------------------- responses


def decode_usage(meta: Any) -> Usage:
    """Usage from ``usageMetadata``; output tokens include the thinking tokens."""
    if not isinstance(meta, dict):
        return Usage(requests=1)
    thoughts = _int(meta.get("thoughtsTokenCount"))
    return Usage(
        _int(meta.get("promptTokenCount")) + _int(meta.get("toolUsePromptTokenCount")),
        _int(meta.get("candidatesTokenCount")) + thoughts,
        _int(meta.get("cachedContentTokenCount")),
        0,
        thoughts,
        1,
    )


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _signature(part: JSONDict) -> str | None:
    value = part.get("thoughtSignature")
    return value if isinstance(value, str) and value else None


def decode_parts(parts: list[Any]) -> list[Part]:
    """llmkit parts from a candidate's ``content.parts``.

    Neighbouring text (and thought) parts are joined; tool calls without an
    ``id`` get ``call_1``, ``call_2`` … in order, the same in a stream and a
    plain answer. Signatures stay on their parts under ``provider_data["gemini"]``.
    """
    out: list[Part] = []
    calls = 0
    for part in parts:
        if not isinstance(part, dict):
            continue
        signature = _signature(part)
        if "functionCall" in part:
            calls += 1
            out.append(_tool_call(part["functionCall"], calls, signature))
        elif isinstance(part.get("text"), str):
            text = part["text"]
            last = out[-1] if out else None
            if part.get("thought") is True:
                if isinstance(last, ReasoningPart):
                    last.text += text
                    last.signature = last.signature or signature
                else:
                    out.append(ReasoningPart(text, signature, provider_data={PROTOCOL: {}}))
            elif type(last) is TextPart:
                last.text += text
                if signature and not _text_signature(last):
                    last.provider_data = {PROTOCOL: {"thought_signature": signature}}
            else:
                data = {PROTOCOL: {"thought_signature": signature}} if signature else None
                out.append(TextPart(text, data))
        elif isinstance(part.get("inlineData"), dict):
            image = _inline_image(part["inlineData"])
            if image is not None:
                out.append(image)
    return [p for p in out if not (type(p) is TextPart and not p.text and not p.provider_data)]


def _text_signature(part: TextPart) -> Any:
    data = (part.provider_data or {}).get(PROTOCOL)
    return data.get("thought_signature") if isinstance(data, dict) else None


def _tool_call(call: Any, number: int, signature: str | None) -> ToolCall:
    call = call if isinstance(call, dict) else {}
    wire_id = call.get("id") if isinstance(call.get("id"), str) and call.get("id") else None
    data: JSONDict = {}
    if wire_id is not None:
        data["id"] = wire_id
    if signature is not None:
        data["thought_signature"] = signature
    args = call.get("args")
    error = None
    if args is None:
        args = {}
    elif not isinstance(args, dict):
        error = f"arguments must be a JSON object, got {type(args).__name__}"
    return ToolCall(
        wire_id or f"call_{number}",
        str(call.get("name") or ""),
        args if error is None else {},
        None if error is None else dumps(args),
        error,
        {PROTOCOL: data} if data else None,
    )


def _inline_image(blob: JSONDict) -> ImagePart | None:
    mime = blob.get("mimeType")
    data = blob.get("data")
    if not isinstance(mime, str) or not mime.startswith("image/") or not isinstance(data, str):
        return None
    try:
        raw = base64.b64decode(data)
    except (binascii.Error, ValueError):
        return None
    return ImagePart(data=raw, media_type=mime)


def _finish(raw: str | None, has_calls: bool) -> FinishReason:
    if raw is None:
        return "tool_calls" if has_calls else "stop"
    finish = FINISH_REASONS.get(raw, "stop")
    if finish == "stop" and has_calls:
        return "tool_calls"
    return finish


def _blocked_prompt(feedback: Any, request_id: str | None) -> ContentFilterError | None:
    reason = feedback.get("blockReason") if isinstance(feedback, dict) else None
    if not reason:
        return None
    return ContentFilterError(
        f"gemini blocked the prompt ({reason}): the request was refused on content grounds. "
        "Rephrase it, or adjust safetySettings through Request(extra=...) where allowed.",
        status=200,
        provider=_PROVIDER,
        code=str(reason),
        provider_message=str(feedback.get("blockReasonMessage") or reason),
        request_id=request_id,
        retryable=False,
    )


def _build(
    parts: list[Any],
    raw_finish: str | None,
    model: str | None,
    request_id: str | None,
    response_id: str | None,
) -> Response:
    decoded = decode_parts(parts)
    has_calls = any(type(p) is ToolCall for p in decoded)
    finish = _finish(raw_finish, has_calls)
    if finish == "content_filter" and not decoded:
        raise ContentFilterError(
            f"gemini blocked the answer ({raw_finish}): nothing was returned. Rephrase the "
            "request, or adjust safetySettings through Request(extra=...) where allowed.",
            status=200,
            provider=_PROVIDER,
            code=raw_finish,
            provider_message=raw_finish,
            request_id=request_id,
            retryable=False,
        )
    return Response(
        Message("assistant", decoded),
        Usage(requests=1),
        finish,
        model,
        request_id,
        raw_finish,
        {PROTOCOL: {"response_id": response_id}} if response_id else None,
    )


def decode_response(
    data: Any, *, request_id: str | None = None, request: Request | None = None
) -> Response:
    """A :class:`Response` from a ``generateContent`` answer.

    Without ``usageMetadata`` the usage is estimated from ``request`` and the answer.

    A blocked prompt, or a candidate blocked before it said anything, raises
    :class:`~llmkit.errors.ContentFilterError` naming the reason.
    """
    if not isinstance(data, dict):
        raise InvalidResponseError(
            "gemini answered with JSON that is not an object.",
            provider=_PROVIDER,
            request_id=request_id,
        )
    if "error" in data and not data.get("candidates"):
        raise error_from_body(data["error"], request_id)
    candidates = data.get("candidates")
    if not candidates or not isinstance(candidates, list) or not isinstance(candidates[0], dict):
        blocked = _blocked_prompt(data.get("promptFeedback"), request_id)
        if blocked is not None:
            raise blocked
        raise InvalidResponseError(
            f"gemini answered without any candidates: {dumps(data)[:300]}",
            provider=_PROVIDER,
            request_id=request_id,
        )
    if request_id is None and isinstance(data.get("responseId"), str):
        # Gemini sends no request-id header; its response id is what support asks for.
        request_id = data["responseId"]
    candidate = candidates[0]
    content = candidate.get("content")
    parts = content.get("parts") if isinstance(content, dict) else None
    raw_finish = candidate.get("finishReason")
    meta = data.get("usageMetadata")
    response = _build(
        parts if isinstance(parts, list) else [],
        raw_finish if isinstance(raw_finish, str) else None,
        data.get("modelVersion"),
        request_id,
        data.get("responseId"),
    )
    reported = decode_usage(meta) if isinstance(meta, dict) else None
    response.usage = usage_or_estimate(reported, request, response.message)
    return response


class StreamDecoder:
    """Turns ``streamGenerateContent`` chunks into events and the final response.

    Feed the ``data`` of each SSE event to :meth:`feed_data`; it returns the
    events to yield. :attr:`finished` turns True with the chunk that carries a
    finish reason; :meth:`response` builds the final (or, after a break, the
    partial) response.
    """

    __slots__ = (
        "_calls",
        "_finish",
        "_model",
        "_parts",
        "_request",
        "_response_id",
        "_usage",
        "request_id",
    )

    def __init__(self, *, request_id: str | None = None, request: Request | None = None) -> None:
        self.request_id = request_id
        self._request = request
        self._parts: list[JSONDict] = []
        self._calls = 0
        self._finish: str | None = None
        self._usage: Usage | None = None
        self._model: str | None = None
        self._response_id: str | None = None

    @property
    def finished(self) -> bool:
        """Whether the chunk with the finish reason has arrived."""
        return self._finish is not None

    def feed_data(self, data: str) -> list[StreamEvent]:
        """Decode the ``data`` of one SSE event and return its events."""
        try:
            chunk = loads_text(data)
        except ValueError as exc:
            raise InvalidResponseError(
                f"gemini sent a stream chunk that is not JSON ({exc}): {data[:200]!r}",
                provider=_PROVIDER,
                request_id=self.request_id,
            ) from None
        return self.feed(chunk)

    def feed(self, chunk: Any) -> list[StreamEvent]:
        """Decode one chunk (a ``GenerateContentResponse``) and return its events."""
        if not isinstance(chunk, dict):
            return []
        if "error" in chunk and not chunk.get("candidates"):
            raise error_from_body(chunk["error"], self.request_id)
        if "usageMetadata" in chunk:
            self._usage = decode_usage(chunk["usageMetadata"])
        self._model = chunk.get("modelVersion") or self._model
        self._response_id = chunk.get("responseId") or self._response_id
        candidates = chunk.get("candidates")
        if not candidates or not isinstance(candidates, list):
            blocked = _blocked_prompt(chunk.get("promptFeedback"), self.request_id)
            if blocked is not None:
                raise blocked
            return []
        candidate = candidates[0] if isinstance(candidates[0], dict) else {}
        content = candidate.get("content")
        parts = content.get("parts") if isinstance(content, dict) else None
        events: list[StreamEvent] = []
        for part in parts if isinstance(parts, list) else ():
            if isinstance(part, dict):
                self._add(part, events)
        finish = candidate.get("finishReason")
        if isinstance(finish, str) and finish:
            self._finish = finish
        return events

    def _add(self, part: JSONDict, events: list[StreamEvent]) -> None:
        signature = _signature(part)
        if "functionCall" in part:
            index = self._calls
            self._calls += 1
            call = _tool_call(part["functionCall"], index + 1, signature)
            raw = call.raw_arguments if call.raw_arguments is not None else dumps(call.arguments)
            events.append(ToolCallDelta(index, call.id, call.name, raw))
            self._parts.append(part)
            return
        text = part.get("text")
        if not isinstance(text, str):
            self._parts.append(part)
            return
        thought = part.get("thought") is True
        if thought:
            if text:
                events.append(ReasoningDelta(text))
            if signature:
                events.append(ReasoningDelta("", signature))
        elif text:
            events.append(TextDelta(text))
        last = self._parts[-1] if self._parts else None
        if (
            last is not None
            and isinstance(last.get("text"), str)
            and (last.get("thought") is True) == thought
        ):
            # Keep one growing part per run of text, as the plain answer has.
            last["text"] += text
            if signature and not _signature(last):
                last["thoughtSignature"] = signature
        else:
            self._parts.append(dict(part))

    def response(self) -> Response:
        """The response assembled from everything fed so far."""
        response = _build(
            self._parts,
            self._finish,
            self._model,
            self.request_id or self._response_id,
            self._response_id,
        )
        # The counts are complete on the chunk with the finish reason.
        response.usage = usage_or_estimate(
            self._usage, self._request, response.message, final=self.finished
        )
        return response


# ---------------------------------------------------------------- embeddings


def decode_embeddings(data: Any, *, model: str | None = None) -> Embeddings:
    """The vectors of a ``:batchEmbedContents`` answer, in input order."""
    items = data.get("embeddings") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise InvalidResponseError(
            "gemini answered embeddings without an 'embeddings' list.", provider=_PROVIDER
        )
    vectors: list[list[float]] = []
    for item in items:
        values = item.get("values") if isinstance(item, dict) else None
        if not isinstance(values, list):
            raise InvalidResponseError(
                "gemini returned an embedding without 'values'.", provider=_PROVIDER
            )
        vectors.append(values)
    meta = data.get("usageMetadata") if isinstance(data, dict) else None
    tokens = _int(meta.get("promptTokenCount")) if isinstance(meta, dict) else 0
    return Embeddings(vectors, usage=Usage(input_tokens=tokens, requests=1), model=model)

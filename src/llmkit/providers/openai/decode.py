"""Reading OpenAI Chat Completions answers: responses, stream chunks, embeddings.

Pure functions and a stream decoder; no I/O. The request side is in
:mod:`llmkit.providers.openai.encode`; error bodies, and an error object sent
in an answer or a stream, are read by :mod:`llmkit.providers.openai.errors`.
"""

from __future__ import annotations

from typing import Any

from llmkit._json import dumps, loads_text
from llmkit.errors import InvalidResponseError
from llmkit.events import ReasoningDelta, StreamEvent, TextDelta, ToolCallDelta
from llmkit.providers._assemble import ResponseBuilder, make_tool_call, usage_or_estimate
from llmkit.providers.openai.errors import error_in_body
from llmkit.types import (
    Embeddings,
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

__all__ = [
    "FINISH_REASONS",
    "StreamDecoder",
    "decode_embeddings",
    "decode_response",
    "decode_usage",
]

FINISH_REASONS: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
    "eos": "stop",
    "end_turn": "stop",
    "max_tokens": "length",
    "error": "error",
}


# ----------------------------------------------------------------- responses


def decode_usage(data: Any) -> Usage:
    """Usage from a Chat Completions ``usage`` object (absent fields count as 0)."""
    if not isinstance(data, dict):
        return Usage(requests=1)
    prompt_details = data.get("prompt_tokens_details") or {}
    completion_details = data.get("completion_tokens_details") or {}
    return Usage(
        data.get("prompt_tokens") or 0,
        data.get("completion_tokens") or 0,
        prompt_details.get("cached_tokens") or 0,
        0,
        completion_details.get("reasoning_tokens") or 0,
        1,
    )


def decode_response(
    data: Any,
    *,
    request_id: str | None = None,
    provider: str = "openai",
    request: Request | None = None,
) -> Response:
    """A :class:`Response` from a Chat Completions answer.

    Without a ``usage`` object the usage is estimated from ``request`` and the answer.
    """
    if not isinstance(data, dict):
        raise InvalidResponseError(
            f"{provider} answered with JSON that is not an object.",
            provider=provider,
            request_id=request_id,
        )
    if "error" in data and not data.get("choices"):
        raise error_in_body(data["error"], provider, request_id)
    choices = data.get("choices")
    if not choices or not isinstance(choices, list):
        raise InvalidResponseError(
            f"{provider} answered without any choices: {dumps(data)[:300]}",
            provider=provider,
            request_id=request_id,
        )
    choice = choices[0]
    wire = choice.get("message") or {}
    parts: list[Part] = []
    reasoning = wire.get("reasoning_content") or wire.get("reasoning")
    if reasoning and isinstance(reasoning, str):
        parts.append(ReasoningPart(reasoning))
    content = wire.get("content")
    if content:
        parts.append(TextPart(content if isinstance(content, str) else _join_text(content)))
    refusal = wire.get("refusal")
    for call in wire.get("tool_calls") or ():
        function = call.get("function") or {}
        raw = function.get("arguments")
        if not isinstance(raw, str):
            raw = dumps(raw) if raw is not None else ""
        parts.append(make_tool_call(call.get("id") or "", function.get("name") or "", raw))
    raw_finish = choice.get("finish_reason")
    finish = _finish_reason(raw_finish, has_calls=bool(wire.get("tool_calls")))
    provider_data: JSONDict | None = None
    if refusal:
        parts.append(TextPart(refusal))
        finish = "content_filter"
        provider_data = {"refusal": refusal}
    message = Message("assistant", parts)
    usage = data.get("usage")
    reported = decode_usage(usage) if isinstance(usage, dict) else None
    return Response(
        message,
        usage_or_estimate(reported, request, message),
        finish,
        data.get("model"),
        request_id,
        raw_finish,
        provider_data,
    )


def _join_text(content: Any) -> str:
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content)


def _finish_reason(raw: str | None, *, has_calls: bool) -> FinishReason:
    if raw is None:
        return "tool_calls" if has_calls else "stop"
    finish = FINISH_REASONS.get(raw, "stop")
    if finish == "stop" and has_calls:
        # Some compatible servers say "stop" after tool calls; the calls are what matter.
        return "tool_calls"
    return finish


class StreamDecoder:
    """Turns Chat Completions stream chunks into events and the final response.

    Feed the ``data`` of each SSE event to :meth:`feed_data`; it returns the
    events to yield, and sets :attr:`done` at ``[DONE]``. (:meth:`feed` takes a
    chunk already parsed to a dict, and knows nothing of ``[DONE]``.)
    :meth:`response` builds the final (or, after a break, the partial) response. When no chunk carried
    usage, the response's usage is estimated from ``request`` and what arrived.
    """

    __slots__ = (
        "_builder",
        "_finish",
        "_model",
        "_provider",
        "_refusal",
        "_request",
        "_usage",
        "done",
        "request_id",
    )

    def __init__(
        self,
        *,
        request_id: str | None = None,
        provider: str = "openai",
        request: Request | None = None,
    ) -> None:
        self._builder = ResponseBuilder()
        self._request = request
        self._finish: str | None = None
        self._usage: Usage | None = None
        self._model: str | None = None
        self._refusal: list[str] = []
        self._provider = provider
        self.request_id = request_id
        self.done = False

    @property
    def finished(self) -> bool:
        """Whether a finish reason arrived (the answer is complete even without ``[DONE]``)."""
        return self._finish is not None

    def feed_data(self, data: str) -> list[StreamEvent]:
        """Decode the ``data`` of one SSE event and return its events."""
        if data == "[DONE]":
            self.done = True
            return []
        try:
            chunk = loads_text(data)
        except ValueError as exc:
            raise InvalidResponseError(
                f"{self._provider} sent a stream chunk that is not JSON ({exc}): {data[:200]!r}",
                provider=self._provider,
                request_id=self.request_id,
            ) from None
        return self.feed(chunk)

    def feed(self, chunk: Any) -> list[StreamEvent]:
        """Decode one stream chunk (a dict) and return its events."""
        if not isinstance(chunk, dict):
            return []
        if "error" in chunk and not chunk.get("choices"):
            raise error_in_body(chunk["error"], self._provider, self.request_id)
        if self._model is None:
            self._model = chunk.get("model")
        usage = chunk.get("usage")
        if usage:
            self._usage = decode_usage(usage)
        choices = chunk.get("choices")
        if not choices:
            return []
        choice = choices[0]
        events: list[StreamEvent] = []
        delta = choice.get("delta")
        if delta:
            builder = self._builder
            reasoning = delta.get("reasoning_content") or delta.get("reasoning")
            if reasoning and isinstance(reasoning, str):
                builder.add_reasoning(reasoning)
                events.append(ReasoningDelta(reasoning))
            content = delta.get("content")
            if content:
                builder.add_text(content)
                events.append(TextDelta(content))
            calls = delta.get("tool_calls")
            if calls:
                for call in calls:
                    function = call.get("function") or {}
                    index = call.get("index", 0)
                    call_id = call.get("id")
                    name = function.get("name")
                    args = function.get("arguments") or ""
                    if not isinstance(args, str):
                        args = dumps(args)
                    builder.add_tool_call_delta(index, call_id, name, args)
                    events.append(ToolCallDelta(index, call_id, name, args))
            refusal = delta.get("refusal")
            if refusal:
                self._refusal.append(refusal)
        finish = choice.get("finish_reason")
        if finish:
            self._finish = finish
        return events

    def response(self) -> Response:
        """The response assembled from everything fed so far."""
        finish = _finish_reason(self._finish, has_calls=self._builder.has_tool_calls)
        provider_data: JSONDict | None = None
        if self._refusal:
            refusal = "".join(self._refusal)
            self._builder.add_text(refusal)
            self._refusal = []
            provider_data = {"refusal": refusal}
        if provider_data is not None:
            finish = "content_filter"
        response = self._builder.build(
            finish_reason=finish,
            model=self._model,
            request_id=self.request_id,
            raw_finish_reason=self._finish,
            provider_data=provider_data,
        )
        response.usage = usage_or_estimate(self._usage, self._request, response.message)
        return response


# ---------------------------------------------------------------- embeddings


def decode_embeddings(data: Any, *, provider: str = "openai") -> Embeddings:
    """The vectors of an embeddings answer, in input order."""
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise InvalidResponseError(
            f"{provider} answered embeddings without a 'data' list.", provider=provider
        )
    ordered = sorted(items, key=lambda item: item.get("index", 0))
    vectors = [item["embedding"] for item in ordered]
    if vectors and not isinstance(vectors[0], list):
        raise InvalidResponseError(
            f"{provider} returned embeddings that are not lists of floats.", provider=provider
        )
    usage = data.get("usage") or {}
    return Embeddings(
        vectors,
        usage=Usage(input_tokens=usage.get("prompt_tokens") or 0, requests=1),
        model=data.get("model"),
    )

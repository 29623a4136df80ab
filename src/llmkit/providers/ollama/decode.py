"""Reading Ollama's native answers: ``/api/chat`` objects and NDJSON lines, ``/api/embed``, ``/api/tags``.

:class:`StreamDecoder` turns each answer object into stream events and
assembles the :class:`~llmkit.types.Response`; a non-streaming answer is the
same object with everything in it, so :func:`decode_response` feeds it once.
An ``{"error": …}`` object in an answer or a line is raised as
:mod:`llmkit.providers.ollama.errors` reads it.
"""

from __future__ import annotations

from typing import Any

from llmkit._json import dumps
from llmkit.errors import InvalidResponseError
from llmkit.events import ReasoningDelta, StreamEvent, TextDelta, ToolCallDelta
from llmkit.providers._assemble import ResponseBuilder, usage_or_estimate
from llmkit.providers.ollama.encode import PROTOCOL
from llmkit.providers.ollama.errors import error_in_body
from llmkit.types import (
    Embeddings,
    FinishReason,
    JSONDict,
    ReasoningPart,
    Request,
    Response,
    Usage,
)

__all__ = ["StreamDecoder", "decode_embeddings", "decode_models", "decode_response"]

# Ollama's done_reason values; "load"/"unload" answer a request with no messages.
_DONE_REASONS: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "load": "stop",
    "unload": "stop",
}
_METRICS = ("total_duration", "load_duration", "prompt_eval_duration", "eval_duration")


def _usage(chunk: JSONDict) -> Usage | None:
    if "prompt_eval_count" not in chunk and "eval_count" not in chunk:
        return None  # not reported: estimated from what was sent and received
    return Usage(chunk.get("prompt_eval_count") or 0, chunk.get("eval_count") or 0, requests=1)


class StreamDecoder:
    """Turns ``/api/chat`` answers into events and the final :class:`Response`.

    Feed it every decoded NDJSON line (or the single object of a
    non-streaming answer) with :meth:`feed`; it returns the events to yield.
    :attr:`done` turns True at the line with ``"done": true``;
    :meth:`response` builds the final (or, after a break, the partial) response.
    """

    __slots__ = (
        "_builder",
        "_done_reason",
        "_indices",
        "_metrics",
        "_model",
        "_request",
        "_usage",
        "done",
    )

    def __init__(self, *, request: Request | None = None) -> None:
        self._builder = ResponseBuilder()
        self._request = request
        self._indices: set[int] = set()
        self._done_reason: str | None = None
        self._metrics: JSONDict = {}
        self._model: str | None = None
        self._usage: Usage | None = None
        self.done = False

    def feed(self, chunk: Any) -> list[StreamEvent]:
        """Decode one answer object and return its events (errors in it are raised)."""
        if not isinstance(chunk, dict):
            raise InvalidResponseError(
                f"ollama sent a line that is not a JSON object: {dumps(chunk)[:200]}",
                provider=PROTOCOL,
            )
        error = chunk.get("error")
        if error is not None:
            raise error_in_body(error)
        if self._model is None:
            self._model = chunk.get("model")
        events: list[StreamEvent] = []
        message = chunk.get("message")
        if isinstance(message, dict):
            self._message(message, events)
        if chunk.get("done") is True:
            self.done = True
            self._done_reason = chunk.get("done_reason")
            self._usage = _usage(chunk)
            self._metrics = {k: chunk[k] for k in _METRICS if k in chunk}
        return events

    def _message(self, message: JSONDict, events: list[StreamEvent]) -> None:
        builder = self._builder
        thinking = message.get("thinking")
        if thinking and isinstance(thinking, str):
            builder.add_reasoning(thinking)
            events.append(ReasoningDelta(thinking))
        # An empty content string is common (before tool calls, while thinking): not an end.
        content = message.get("content")
        if content and isinstance(content, str):
            builder.add_text(content)
            events.append(TextDelta(content))
        calls = message.get("tool_calls")
        if calls and isinstance(calls, list):
            for call in calls:
                self._tool_call(call, events)

    def _tool_call(self, call: Any, events: list[StreamEvent]) -> None:
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict):
            raise InvalidResponseError(
                f"ollama sent a tool call without a function: {dumps(call)[:200]}",
                provider=PROTOCOL,
            )
        index = self._index(function.get("index"))
        call_id = call.get("id") or f"call_{index}"
        name = function.get("name") or ""
        arguments = function.get("arguments")
        # Calls arrive whole, the arguments as an object; the event carries them as JSON text.
        raw = arguments if isinstance(arguments, str) else dumps(arguments or {})
        self._builder.add_tool_call_delta(index, call_id, name, raw)
        events.append(ToolCallDelta(index, call_id, name, raw))

    def _index(self, given: Any) -> int:
        """The call's position: Ollama's ``function.index`` when it is new, else the next free one."""
        taken = self._indices
        if (
            isinstance(given, int)
            and not isinstance(given, bool)
            and given >= 0
            and given not in taken
        ):
            index = given
        else:
            index = len(taken)
            while index in taken:
                index += 1
        taken.add(index)
        return index

    def response(self) -> Response:
        """The response assembled from everything fed so far."""
        builder = self._builder
        has_calls = builder.has_tool_calls
        if not self.done:
            finish: FinishReason = "error"
        else:
            finish = _DONE_REASONS.get(self._done_reason or "stop", "stop")
            if finish == "stop" and has_calls:
                finish = "tool_calls"
        response = builder.build(
            finish_reason=finish,
            model=self._model,
            raw_finish_reason=self._done_reason,
            provider_data={PROTOCOL: dict(self._metrics)} if self._metrics else None,
        )
        response.usage = usage_or_estimate(self._usage, self._request, response.message)
        for part in response.message.parts:
            if isinstance(part, ReasoningPart):
                part.provider_data = {PROTOCOL: {}}
        return response


def decode_response(
    data: Any, *, request_id: str | None = None, request: Request | None = None
) -> Response:
    """A :class:`Response` from a non-streaming ``/api/chat`` answer."""
    decoder = StreamDecoder(request=request)
    decoder.feed(data)
    if not decoder.done:
        raise InvalidResponseError(
            f"ollama answered without 'done': true: {dumps(data)[:300]}",
            provider=PROTOCOL,
            request_id=request_id,
        )
    response = decoder.response()
    response.request_id = request_id
    return response


def decode_embeddings(data: Any) -> Embeddings:
    """The vectors of an ``/api/embed`` answer, in input order."""
    vectors = data.get("embeddings") if isinstance(data, dict) else None
    if not isinstance(vectors, list) or not all(isinstance(v, list) for v in vectors):
        raise InvalidResponseError(
            "ollama answered /api/embed without an 'embeddings' list of vectors.",
            provider=PROTOCOL,
        )
    return Embeddings(
        vectors,
        usage=Usage(input_tokens=data.get("prompt_eval_count") or 0, requests=1),
        model=data.get("model"),
    )


def decode_models(data: Any) -> list[str]:
    """The model names of an ``/api/tags`` answer (``"llama3.2:latest"`` …), in its order."""
    models = data.get("models") if isinstance(data, dict) else None
    if not isinstance(models, list):
        raise InvalidResponseError(
            "ollama answered /api/tags without a 'models' list.", provider=PROTOCOL
        )
    names: list[str] = []
    for entry in models:
        if isinstance(entry, dict):
            name = entry.get("name") or entry.get("model")
            if isinstance(name, str):
                names.append(name)
    return names

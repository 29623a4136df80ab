"""The OpenAI Chat Completions wire format: pure encode/decode, no I/O.

``encode_request`` turns a :class:`~llmkit.types.Request` into the JSON body;
``decode_response`` and :class:`StreamDecoder` turn answers back into a
:class:`~llmkit.types.Response` and stream events. The same functions serve
every OpenAI-compatible server (llama.cpp, vLLM, OpenRouter, Groq …); their
differences are data in :class:`~llmkit.providers.base.Capabilities`.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

from llmkit.errors import (
    ContentFilterError,
    ContextLengthError,
    InvalidResponseError,
    ProviderError,
    UnsupportedError,
    UsageError,
    error_for_status,
)
from llmkit.events import ReasoningDelta, StreamEvent, TextDelta, ToolCallDelta
from llmkit.http import ErrorInfo, parse_error_body
from llmkit.providers._assemble import ResponseBuilder, make_tool_call
from llmkit.providers._checks import check_tool_results
from llmkit.providers.base import Capabilities
from llmkit.types import (
    AudioPart,
    DocumentPart,
    Embeddings,
    FinishReason,
    ImagePart,
    JSONDict,
    Message,
    OutputSchema,
    Part,
    ReasoningPart,
    Request,
    Response,
    TextPart,
    ToolCall,
    ToolResult,
    ToolSpec,
    Usage,
)

__all__ = [
    "StreamDecoder",
    "decode_embeddings",
    "decode_response",
    "decode_usage",
    "encode_embeddings",
    "encode_messages",
    "encode_request",
    "make_error_parser",
    "strict_schema",
]

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

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
_EFFORT_FROM_BUDGET = ((1024, "low"), (8192, "medium"))
_AUDIO_FORMATS = {"audio/wav": "wav", "audio/x-wav": "wav", "audio/mpeg": "mp3", "audio/mp3": "mp3"}


# ------------------------------------------------------------------ requests


def encode_request(
    request: Request, model_id: str, caps: Capabilities, *, stream: bool, stream_usage: bool = True
) -> JSONDict:
    """The Chat Completions body for ``request``."""
    body: JSONDict = {"model": model_id, "messages": encode_messages(request.messages)}
    if request.tools:
        body["tools"] = [_encode_tool(t) for t in request.tools]
        if request.parallel_tool_calls is not None:
            body["parallel_tool_calls"] = request.parallel_tool_calls
    if request.tool_choice is not None:
        body["tool_choice"] = _encode_tool_choice(request)
    if request.output_schema is not None:
        body["response_format"] = _encode_output_schema(request.output_schema)
    if request.temperature is not None or request.top_p is not None:
        if caps.sampling:
            if request.temperature is not None:
                body["temperature"] = request.temperature
            if request.top_p is not None:
                body["top_p"] = request.top_p
        else:
            warnings.warn(
                f"{model_id} does not accept temperature/top_p; they were left out.",
                UserWarning,
                stacklevel=4,
            )
    if request.max_tokens is not None:
        body[caps.token_limit_param] = request.max_tokens
    if request.stop:
        body["stop"] = request.stop
    if request.seed is not None:
        body["seed"] = request.seed
    if request.reasoning is not None:
        effort = request.reasoning.effort or _effort_from_budget(request.reasoning.budget_tokens)
        if effort is not None:
            if caps.reasoning:
                body["reasoning_effort"] = effort
            else:
                warnings.warn(
                    f"{model_id} is not a reasoning model; the reasoning setting was left out.",
                    UserWarning,
                    stacklevel=4,
                )
    if stream:
        body["stream"] = True
        if stream_usage:
            body["stream_options"] = {"include_usage": True}
    if request.extra:
        body.update(request.extra)
    return body


def _effort_from_budget(budget: int | None) -> str | None:
    if budget is None:
        return None
    for limit, effort in _EFFORT_FROM_BUDGET:
        if budget <= limit:
            return effort
    return "high"


def encode_messages(messages: list[Message]) -> list[JSONDict]:
    """Chat Completions messages; a tool message becomes one wire message per result."""
    check_tool_results(messages)
    out: list[JSONDict] = []
    for message in messages:
        role = message.role
        parts = message.parts
        if role == "tool":
            _encode_tool_results(message, out)
            continue
        if role == "assistant":
            out.append(_encode_assistant(message))
            continue
        if len(parts) == 1 and type(parts[0]) is TextPart:
            wire: JSONDict = {"role": role, "content": parts[0].text}
        elif role == "system":
            wire = {"role": role, "content": message.text}
        else:
            wire = {"role": role, "content": [_encode_content(p) for p in parts]}
        if message.name:
            wire["name"] = message.name
        out.append(wire)
    return out


def _encode_assistant(message: Message) -> JSONDict:
    texts: list[str] = []
    calls: list[JSONDict] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            texts.append(part.text)
        elif isinstance(part, ToolCall):
            raw = part.raw_arguments
            calls.append(
                {
                    "id": part.id,
                    "type": "function",
                    "function": {
                        "name": part.name,
                        "arguments": raw if raw is not None else _dumps(part.arguments),
                    },
                }
            )
        elif not isinstance(part, ReasoningPart):  # Chat Completions takes no reasoning back.
            raise UsageError(
                f"An assistant message cannot hold a {part.kind!r} part for OpenAI Chat Completions."
            )
    wire: JSONDict = {
        "role": "assistant",
        "content": "".join(texts) if texts or not calls else None,
    }
    if calls:
        wire["tool_calls"] = calls
    if message.name:
        wire["name"] = message.name
    return wire


def _encode_tool_results(message: Message, out: list[JSONDict]) -> None:
    media: list[Part] = []
    for result in message.parts:
        if not isinstance(result, ToolResult):
            raise UsageError("A tool message may hold only ToolResult parts.")
        content: Any = result.content
        if not isinstance(content, str):
            texts = [p.text for p in content if isinstance(p, TextPart)]
            media.extend(p for p in content if not isinstance(p, TextPart))
            content = "".join(texts)
        out.append({"role": "tool", "tool_call_id": result.call_id, "content": content})
    if media:
        # Tool messages carry text only; media a tool returned follows as a user message.
        out.append(
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Media returned by the tool calls above:"},
                    *(_encode_content(p) for p in media),
                ],
            }
        )


def _encode_content(part: Part) -> JSONDict:
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text}
    if isinstance(part, ImagePart):
        url: JSONDict = {"url": part.data_url}
        if part.detail:
            url["detail"] = part.detail
        return {"type": "image_url", "image_url": url}
    if isinstance(part, DocumentPart):
        if part.data is None and not (part.url or "").startswith("data:"):
            raise UnsupportedError(
                "OpenAI Chat Completions takes documents inline only: pass "
                "DocumentPart(data=...) or DocumentPart.from_path(...) instead of a URL."
            )
        return {
            "type": "file",
            "file": {"file_data": part.data_url, "filename": part.name or "document.pdf"},
        }
    if isinstance(part, AudioPart):
        fmt = _AUDIO_FORMATS.get(part.media_type or "")
        data = part.base64_data
        if fmt is None or data is None:
            raise UnsupportedError(
                "OpenAI Chat Completions takes audio inline as WAV or MP3: pass "
                "AudioPart(data=..., media_type='audio/wav' or 'audio/mpeg')."
            )
        return {"type": "input_audio", "input_audio": {"data": data, "format": fmt}}
    raise UsageError(f"A {part.kind!r} part cannot be sent as user content.")


def _encode_tool(tool: ToolSpec) -> JSONDict:
    function: JSONDict = {"name": tool.name, "parameters": tool.parameters}
    if tool.description:
        function["description"] = tool.description
    if tool.strict:
        strict = strict_schema(tool.parameters)
        if strict is None:
            raise UsageError(
                f"Tool {tool.name!r} asks for strict=True, but its parameters schema cannot be "
                "strict: every property must be required and no object may allow extra "
                "properties. Make optional parameters required (nullable), or drop strict=True."
            )
        function["parameters"] = strict
        function["strict"] = True
    elif tool.strict is False:
        function["strict"] = False
    return {"type": "function", "function": function}


def _encode_tool_choice(request: Request) -> Any:
    choice = request.tool_choice
    if choice in ("auto", "none", "required"):
        return choice
    if not any(t.name == choice for t in request.tools):
        names = ", ".join(t.name for t in request.tools) or "none"
        raise UsageError(
            f"tool_choice={choice!r} names no tool of this request (tools: {names}). "
            "Use 'auto', 'none', 'required' or one of the tool names."
        )
    return {"type": "function", "function": {"name": choice}}


def _encode_output_schema(output: OutputSchema) -> JSONDict:
    schema: JSONDict = {"name": output.name}
    if output.description:
        schema["description"] = output.description
    strict = strict_schema(output.schema) if output.strict else None
    if strict is not None:
        schema["schema"] = strict
        schema["strict"] = True
    else:
        schema["schema"] = output.schema
    return {"type": "json_schema", "json_schema": schema}


def strict_schema(schema: JSONDict) -> JSONDict | None:
    """A copy of ``schema`` that satisfies OpenAI's strict mode, or None if that would change it.

    Strict mode needs every object to forbid extra properties and to require
    all of its properties. Objects that say nothing about extra properties get
    ``additionalProperties: false``; optional properties or open objects make
    the schema unfit (None), since forcing them would change its meaning.
    """
    try:
        result: JSONDict = _strictify(schema)
    except _NotStrict:
        return None
    return result


class _NotStrict(Exception):
    pass


def _strictify(node: Any) -> Any:
    if isinstance(node, list):
        return [_strictify(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {
        key: _strictify(value) if isinstance(value, dict | list) else value
        for key, value in node.items()
    }
    if node.get("type") == "object" or "properties" in node:
        extra = node.get("additionalProperties")
        if extra not in (None, False):
            raise _NotStrict
        out["additionalProperties"] = False
        props = node.get("properties", {})
        if set(props) != set(node.get("required", ())):
            raise _NotStrict
    return out


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
    data: Any, *, request_id: str | None = None, provider: str = "openai"
) -> Response:
    """A :class:`Response` from a Chat Completions answer."""
    if not isinstance(data, dict):
        raise InvalidResponseError(
            f"{provider} answered with JSON that is not an object.",
            provider=provider,
            request_id=request_id,
        )
    if "error" in data and not data.get("choices"):
        raise _error_in_body(data["error"], provider, request_id)
    choices = data.get("choices")
    if not choices or not isinstance(choices, list):
        raise InvalidResponseError(
            f"{provider} answered without any choices: {_dumps(data)[:300]}",
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
            raw = _dumps(raw) if raw is not None else ""
        parts.append(make_tool_call(call.get("id") or "", function.get("name") or "", raw))
    raw_finish = choice.get("finish_reason")
    finish = _finish_reason(raw_finish, has_calls=bool(wire.get("tool_calls")))
    provider_data: JSONDict | None = None
    if refusal:
        parts.append(TextPart(refusal))
        finish = "content_filter"
        provider_data = {"refusal": refusal}
    return Response(
        Message("assistant", parts),
        decode_usage(data.get("usage")),
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

    Feed each decoded chunk to :meth:`feed`; it returns the events to yield.
    :attr:`done` becomes True at ``[DONE]``; :meth:`response` builds the
    final (or, after a break, the partial) response.
    """

    __slots__ = (
        "_builder",
        "_finish",
        "_model",
        "_provider",
        "_refusal",
        "_usage",
        "done",
        "request_id",
    )

    def __init__(self, *, request_id: str | None = None, provider: str = "openai") -> None:
        self._builder = ResponseBuilder()
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
            chunk = json.loads(data)
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
            raise _error_in_body(chunk["error"], self._provider, self.request_id)
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
                        args = _dumps(args)
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
        return self._builder.build(
            finish_reason=finish,
            usage=self._usage if self._usage is not None else Usage(requests=1),
            model=self._model,
            request_id=self.request_id,
            raw_finish_reason=self._finish,
            provider_data=provider_data,
        )


# ---------------------------------------------------------------- embeddings


def encode_embeddings(inputs: list[str], model_id: str, dimensions: int | None) -> JSONDict:
    """The embeddings body; floats are asked for explicitly (the API can default to base64)."""
    body: JSONDict = {"model": model_id, "input": inputs, "encoding_format": "float"}
    if dimensions is not None:
        body["dimensions"] = dimensions
    return body


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


# -------------------------------------------------------------------- errors


def make_error_parser(provider: str, key_env: str | None, model_id: str) -> Any:
    """The error parser for one model: reads the body, picks the class, adds a hint."""

    def parse(status: int, body: bytes) -> ErrorInfo:
        info = parse_error_body(status, body)
        _refine(info, status, provider, key_env, model_id)
        return info

    return parse


def _refine(
    info: ErrorInfo, status: int, provider: str, key_env: str | None, model_id: str
) -> None:
    code = (info.code or "").lower()
    text = info.message.lower()
    if code == "context_length_exceeded" or "context length" in text or "context window" in text:
        info.error_class = ContextLengthError
        info.hint = "Shorten the conversation or pick a model with a larger context window."
    elif (
        code in ("content_filter", "content_policy_violation")
        or info.error_type == "content_filter"
    ):
        info.error_class = ContentFilterError
    elif status == 401:
        where = f"set {key_env} or " if key_env else ""
        info.hint = f"Check the API key: {where}pass api_key=... to llmkit.model()."
    elif status == 404 and ("model" in code or "model" in text):
        info.hint = f"Check the model name {model_id!r} (llmkit.model('{provider}/<model>'))."


def _error_in_body(error: Any, provider: str, request_id: str | None) -> ProviderError:
    """An error object sent inside a 200 answer or a stream (as some gateways do)."""
    info = parse_error_body(0, _dumps({"error": error}).encode())
    status = error.get("code") if isinstance(error, dict) else None
    status = status if isinstance(status, int) and 400 <= status < 600 else None
    _refine(info, status or 0, provider, None, "")
    cls = info.error_class or (error_for_status(status) if status else ProviderError)
    return cls(
        f"{provider} reported an error: {info.message}",
        status=status,
        provider=provider,
        error_type=info.error_type,
        code=info.code,
        provider_message=info.message,
        request_id=request_id,
        retryable=None if status else False,
    )

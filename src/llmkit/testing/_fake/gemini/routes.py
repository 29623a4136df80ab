"""The Gemini protocol of the fake provider server: its routes and how each request is served.

Under both ``/v1beta`` and ``/v1``: ``POST models/{model}:generateContent`` and
``:streamGenerateContent`` (``?alt=sse``) answered from the script,
``:countTokens`` (:mod:`llmkit.testing._fake.gemini.count`; no script turn),
``:embedContent`` and ``:batchEmbedContents`` with deterministic vectors, and
``GET models``. The key comes in ``x-goog-api-key`` (or ``?key=``). Every body
is read with the protobuf JSON rules (:mod:`llmkit.testing._fake.gemini.fields`),
checked as strictly as the real API (:mod:`llmkit.testing._fake.gemini.rules`) and
recorded. ``GET /v1/models`` is shared with the OpenAI protocol: it is
Gemini's only when the request carries a Gemini key.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request as HTTPRequest
from starlette.responses import Response as HTTPResponse
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope

from llmkit._json import dumps
from llmkit.errors import ContentFilterError
from llmkit.testing._fake.asgi import EventStreamResponse, json_response
from llmkit.testing._fake.exchange import Exchange
from llmkit.testing._fake.gemini.answers import (
    blocked_body,
    generate_body,
    stream_chunks,
    vector_for,
)
from llmkit.testing._fake.gemini.count import check_count, count_answer
from llmkit.testing._fake.gemini.errors import (
    GeminiWireError,
    bad,
    check_key,
    error_for_exception,
    error_for_fault,
    model_not_found,
    not_json,
)
from llmkit.testing._fake.gemini.fields import read
from llmkit.testing._fake.gemini.limits import embedding_size, limits_for
from llmkit.testing._fake.gemini.request import decode_request
from llmkit.testing._fake.gemini.rules import check_batch_embed, check_embed, check_generate
from llmkit.testing._fake.route import Incoming, answer, receive, server_failure
from llmkit.testing._fake.state import NOT_JSON, RecordedRequest, ServerState, record_request
from llmkit.testing._fault import Fault
from llmkit.testing._script import Script, Turn, estimate_usage, response_for
from llmkit.types import Message, Request, Response, ToolCall

__all__ = ["DEFAULT_MODELS", "routes"]

DEFAULT_MODELS = (
    "gemini-2.5-flash",
    "gemini-2.5-pro",
    "gemini-3-pro-preview",
    "gemini-2.0-flash",
    "gemini-embedding-001",
)
"""Models listed by ``GET models`` when the server accepts any model name."""

_VERSIONS = ("v1beta", "v1")
_METHODS = (
    "generateContent",
    "streamGenerateContent",
    "countTokens",
    "embedContent",
    "batchEmbedContents",
)
_BROKEN = b'{"candidates": [{"content": {"parts": [{"te'


def _answer(error: GeminiWireError, entry: RecordedRequest | None) -> HTTPResponse:
    return answer(entry, error.code, error.body(), error.headers)


def _ok(body: Any, entry: RecordedRequest | None) -> HTTPResponse:
    return answer(entry, 200, dumps(body).encode(), {})


def _explicit_ids(turn: Turn) -> set[str]:
    """Ids the script gave its tool calls itself; generated ones are not sent on the wire."""
    if isinstance(turn, ToolCall):
        return {turn.id} if turn.id else set()
    if isinstance(turn, list):
        return {c.id for c in turn if c.id}
    if isinstance(turn, Response):
        return {c.id for c in turn.tool_calls if c.id}
    return set()


class _Generate(Exchange):
    """Serves one generateContent request once it has passed validation."""

    # Gemini streams in chunks of words; a partial answer needs several to break off in.
    interrupted_text = "one two three four five six"

    def __init__(
        self, state: ServerState, script: Script, incoming: Incoming, *, model: str, stream: bool
    ) -> None:
        super().__init__(state, script, incoming)
        self.model = model
        self.stream = stream
        self.headers: dict[str, str] = {}
        self.signed = limits_for(model).thought_signatures

    def _encode(self, turn: Turn, request: Request) -> tuple[Response, dict[str, Any]]:
        response = response_for(turn, request, self.script)
        options = {
            "model": self.model,
            "response_id": self.state.next_id(),
            "explicit_ids": _explicit_ids(turn),
            "signed": self.signed,
        }
        return response, options

    def _events(self, turn: Turn, request: Request) -> list[bytes]:
        response, options = self._encode(turn, request)
        return stream_chunks(response, **options)

    def _blocked(self, exc: ContentFilterError, request: Request) -> HTTPResponse:
        self._done(200)
        usage = estimate_usage(request, Message("assistant", []))
        body = blocked_body(exc, model=self.model, prompt_tokens=usage.input_tokens)
        if self.stream:
            return EventStreamResponse([b"data: " + dumps(body).encode() + b"\r\n\r\n"], {})
        return json_response(200, dumps(body).encode(), {})

    def _malformed(self, request: Request) -> HTTPResponse:
        self._done(200)
        if not self.stream:
            return json_response(200, _BROKEN, {})
        first = self._events("one two three four", request)[0]
        return EventStreamResponse([first, b"data: " + _BROKEN + b"\r\n\r\n"], {})

    def _answer(self, turn: Turn, request: Request) -> HTTPResponse:
        self._done(200)
        if self.stream:
            return EventStreamResponse(self._events(turn, request), {})
        response, options = self._encode(turn, request)
        return json_response(200, dumps(generate_body(response, **options)).encode(), {})

    def _exception_answer(self, exc: BaseException, request: Request) -> HTTPResponse:
        if isinstance(exc, ContentFilterError):
            return self._blocked(exc, request)
        return _answer(error_for_exception(exc), self.entry)

    def _fault_answer(self, fault: Fault) -> HTTPResponse:
        return _answer(error_for_fault(fault), self.entry)


class _GeminiOnlyRoute(Route):
    """A route on a path shared with the OpenAI protocol (``/v1/models…``).

    It matches only what is unmistakably Gemini: a ``model:method`` path, or a
    request carrying a Gemini key; anything else is left to the OpenAI routes.
    """

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is Match.NONE:
            return match, child
        headers = dict(scope.get("headers") or ())
        keyed = b"x-goog-api-key" in headers or b"key=" in scope.get("query_string", b"")
        if keyed or ":" in scope.get("path", "").rsplit("/", 1)[-1]:
            return match, child
        return Match.NONE, {}


def routes(state: ServerState) -> list[BaseRoute]:
    """The Gemini routes of a fake server whose state is ``state``."""

    def admit(request: HTTPRequest) -> GeminiWireError | None:
        return check_key(
            request.headers.get("x-goog-api-key"), request.query_params.get("key"), state.api_key
        )

    def unknown_model(model: str, version: str, method: str) -> GeminiWireError | None:
        known = state.models
        embedding = limits_for(model).embedding
        wrong_kind = embedding != (method in ("embedContent", "batchEmbedContents"))
        if (known is not None and model not in known) or wrong_kind:
            return model_not_found(model, version, method)
        return None

    async def model_method(request: HTTPRequest) -> HTTPResponse:
        version = request.scope["path"].split("/")[1]
        target = request.path_params["target"]
        model, _, method = target.rpartition(":")
        incoming = await receive(state, request)
        body, entry = incoming.body, incoming.entry
        try:
            if method not in _METHODS or not model:
                return _answer(
                    GeminiWireError(404, f"Method not found: models/{target} ({request.method})."),
                    entry,
                )
            error = admit(request)
            if error is None and (body is NOT_JSON or not isinstance(body, dict)):
                error = not_json(incoming.raw)
            if error is None:
                error = unknown_model(model, version, method)
            if error is not None:
                return _answer(error, entry)
            if method in ("embedContent", "batchEmbedContents"):
                return embed(method, model, body, entry)
            if method == "countTokens":
                return count(model, body, entry)
            read_body, error = read(body, "GenerateContentRequest")
            if read_body is None:
                return _answer(error or bad("Invalid request."), entry)
            error = check_generate(read_body, model)
            if error is not None:
                return _answer(error, entry)
            if method == "streamGenerateContent" and request.query_params.get("alt") != "sse":
                return _answer(
                    bad("This fake server streams only with ?alt=sse (server-sent events)."), entry
                )
            script = state.script
            wire_request = decode_request(read_body)
            turn = await script.next_turn(wire_request)
            stream = method == "streamGenerateContent"
            served = _Generate(state, script, incoming, model=model, stream=stream)
            return await served.serve(turn, wire_request)
        except Exception as exc:
            return _answer(GeminiWireError(500, server_failure(state, exc)), entry)

    def count(model: str, body: dict[str, Any], entry: RecordedRequest | None) -> HTTPResponse:
        read_body, error = read(body, "CountTokensRequest")
        if read_body is None:
            return _answer(error or bad("Invalid request."), entry)
        error = check_count(read_body, model)
        if error is not None:
            return _answer(error, entry)
        return _ok(count_answer(read_body), entry)

    def embed(
        method: str, model: str, body: dict[str, Any], entry: RecordedRequest | None
    ) -> HTTPResponse:
        batch = method == "batchEmbedContents"
        read_body, error = read(
            body, "BatchEmbedContentsRequest" if batch else "EmbedContentRequest"
        )
        if read_body is None:
            return _answer(error or bad("Invalid request."), entry)
        size = embedding_size(model)
        error = (
            check_batch_embed(read_body, model, size)
            if batch
            else check_embed(read_body, model, size)
        )
        if error is not None:
            return _answer(error, entry)
        items = read_body["requests"] if batch else [read_body]
        vectors = [
            vector_for(
                item["content"], item.get("outputDimensionality") or state.embedding_dimensions
            )
            for item in items
        ]
        return _ok({"embeddings": vectors} if batch else {"embedding": vectors[0]}, entry)

    def model_object(name: str) -> dict[str, Any]:
        embedding = limits_for(name).embedding
        methods = (
            ["embedContent", "batchEmbedContents"]
            if embedding
            else [
                "generateContent",
                "countTokens",
            ]
        )
        return {
            "name": f"models/{name}",
            "version": "001",
            "displayName": name,
            "inputTokenLimit": 2048 if embedding else 1048576,
            "outputTokenLimit": 1 if embedding else 65536,
            "supportedGenerationMethods": methods,
        }

    async def list_models(request: HTTPRequest) -> HTTPResponse:
        entry = record_request(state, request, b"", None)
        error = admit(request)
        if error is not None:
            return _answer(error, entry)
        names = sorted(state.models) if state.models is not None else DEFAULT_MODELS
        return _ok({"models": [model_object(n) for n in names]}, entry)

    async def get_model(request: HTTPRequest) -> HTTPResponse:
        entry = record_request(state, request, b"", None)
        version = request.scope["path"].split("/")[1]
        name = request.path_params["name"]
        error = admit(request)
        if error is None and state.models is not None and name not in state.models:
            error = model_not_found(name, version, "get")
        if error is not None:
            return _answer(error, entry)
        return _ok(model_object(name), entry)

    out: list[BaseRoute] = []
    for version in _VERSIONS:
        # /v1/... paths are shared with the OpenAI protocol: only keyed requests are Gemini's.
        route = Route if version == "v1beta" else _GeminiOnlyRoute
        out.append(route(f"/{version}/models/{{target}}", model_method, methods=["POST"]))
        out.append(route(f"/{version}/models", list_models, methods=["GET"]))
        out.append(route(f"/{version}/models/{{name}}", get_model, methods=["GET"]))
    return out

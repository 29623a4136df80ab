"""Ollama's native protocol on the fake provider server: its routes and how each is served.

``POST /api/chat`` is answered from the script: NDJSON lines by default
(Ollama streams unless told ``"stream": false``), one JSON object otherwise;
``POST /api/embed`` with deterministic vectors; ``GET /api/tags`` and
``POST /api/show`` from the configured models and the capability table
(:mod:`llmkit.testing._fake.ollama.limits`); ``GET /api/version``. Every request is
checked as Ollama checks it (:mod:`llmkit.testing._fake.ollama.rules`) and recorded.

A local Ollama takes no key. When the server was given ``api_key=``, the
Ollama routes want it as a Bearer token, as a hosted Ollama does.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request as HTTPRequest
from starlette.responses import Response as HTTPResponse
from starlette.routing import BaseRoute, Route

from llmkit._json import dumps
from llmkit.testing._fake.asgi import EventStreamResponse, json_response
from llmkit.testing._fake.exchange import Exchange
from llmkit.testing._fake.ollama.answers import (
    chat_body,
    embed_body,
    load_body,
    midstream_error,
    now,
    show_body,
    stream_lines,
    tags_body,
)
from llmkit.testing._fake.ollama.errors import (
    OllamaWireError,
    error_for_exception,
    error_for_fault,
)
from llmkit.testing._fake.ollama.limits import capabilities_for
from llmkit.testing._fake.ollama.request import decode_request
from llmkit.testing._fake.ollama.rules import check_chat, check_embed, check_show, read_body
from llmkit.testing._fake.route import Incoming, answer, receive, server_failure
from llmkit.testing._fake.state import RecordedRequest, ServerState, record_request
from llmkit.testing._fault import Fault
from llmkit.testing._script import Script, Turn, response_for
from llmkit.types import Request

__all__ = ["DEFAULT_MODELS", "VERSION", "routes"]

DEFAULT_MODELS = ("llama3.2", "qwen3:8b", "gpt-oss:20b", "llava", "nomic-embed-text")
"""Models listed by ``GET /api/tags`` when the server accepts any model name."""
VERSION = "0.12.6"
"""The Ollama version ``GET /api/version`` reports."""

_BROKEN = b'{"model":"llama3.2","created_at":"2025-06-01T12:00:00Z","message":{"role":"assis'


class NDJSONStreamResponse(EventStreamResponse):
    """An ``application/x-ndjson`` answer sent line by line, optionally cut short."""

    media_type = "application/x-ndjson"


def _error(error: OllamaWireError, entry: RecordedRequest | None) -> HTTPResponse:
    return answer(entry, error.status, error.body(), error.headers)


def _ok(body: Any, entry: RecordedRequest | None) -> HTTPResponse:
    return answer(entry, 200, dumps(body).encode(), {})


def _check_key(state: ServerState, request: HTTPRequest) -> OllamaWireError | None:
    if state.api_key is None:
        return None
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or key.strip() != state.api_key:
        return OllamaWireError(401, "unauthorized")
    return None


class _Chat(Exchange):
    """Serves one ``/api/chat`` request once it has passed validation."""

    stream_type = NDJSONStreamResponse

    def __init__(
        self, state: ServerState, script: Script, incoming: Incoming, body: dict[str, Any]
    ) -> None:
        super().__init__(state, script, incoming)
        self.body = body
        self.model: str = body["model"]
        self.stream = body.get("stream") is not False
        self.headers: dict[str, str] = {}
        self.created_at = now()

    def _events(self, turn: Turn, request: Request) -> list[bytes]:
        return stream_lines(
            response_for(turn, request, self.script),
            model=self.model,
            created_at=self.created_at,
            chunk_size=self.state.chunk_size,
        )

    def _malformed(self, request: Request) -> HTTPResponse:
        self._done(200)
        if not self.stream:
            return json_response(200, _BROKEN, {})
        lines = self._events("A reply that breaks.", request)
        return NDJSONStreamResponse([lines[0], _BROKEN + b"\n", lines[-1]], {})

    def _answer(self, turn: Turn, request: Request) -> HTTPResponse:
        if self.stream:
            self._done(200)
            return NDJSONStreamResponse(self._events(turn, request), {})
        response = response_for(turn, request, self.script)
        error = midstream_error(response)
        if error is not None:
            return _error(OllamaWireError(500, error), self.entry)
        return _ok(chat_body(response, model=self.model, created_at=self.created_at), self.entry)

    def _exception_answer(self, exc: BaseException, request: Request) -> HTTPResponse:
        return _error(error_for_exception(exc, self.model), self.entry)

    def _fault_answer(self, fault: Fault) -> HTTPResponse:
        return _error(error_for_fault(fault, self.model), self.entry)


def routes(state: ServerState) -> list[BaseRoute]:
    """The Ollama routes of a fake server whose state is ``state``."""
    capabilities = capabilities_for(state)

    async def read(
        request: HTTPRequest, go_type: str
    ) -> tuple[dict[str, Any], Incoming, OllamaWireError | None]:
        incoming = await receive(state, request)
        body, error = read_body(incoming.raw, go_type)
        return body, incoming, _check_key(state, request) or error

    def failure(exc: BaseException, entry: RecordedRequest | None) -> HTTPResponse:
        return _error(OllamaWireError(500, server_failure(state, exc)), entry)

    async def chat(request: HTTPRequest) -> HTTPResponse:
        body, incoming, error = await read(request, "api.ChatRequest")
        entry = incoming.entry
        try:
            error = error or check_chat(body, capabilities, state.models)
            if error is not None:
                return _error(error, entry)
            if not body.get("messages"):
                return _ok(load_body(body["model"], now()), entry)
            script = state.script
            wire_request = decode_request(body)
            turn = await script.next_turn(wire_request)
            served = _Chat(state, script, incoming, body)
            return await served.serve(turn, wire_request)
        except Exception as exc:
            return failure(exc, entry)

    async def embed(request: HTTPRequest) -> HTTPResponse:
        body, incoming, error = await read(request, "api.EmbedRequest")
        entry = incoming.entry
        try:
            error = error or check_embed(body, state.models)
            if error is not None:
                return _error(error, entry)
            return _ok(embed_body(body, state.embedding_dimensions), entry)
        except Exception as exc:
            return failure(exc, entry)

    async def show(request: HTTPRequest) -> HTTPResponse:
        body, incoming, error = await read(request, "api.ShowRequest")
        entry = incoming.entry
        error = error or check_show(body, state.models)
        if error is not None:
            return _error(error, entry)
        model = body.get("model") or body["name"]
        return _ok(show_body(model, capabilities.of(model)), entry)

    async def tags(request: HTTPRequest) -> HTTPResponse:
        entry = record_request(state, request, b"", None)
        error = _check_key(state, request)
        if error is not None:
            return _error(error, entry)
        names = sorted(state.models) if state.models is not None else list(DEFAULT_MODELS)
        return _ok(tags_body(names), entry)

    async def version(request: HTTPRequest) -> HTTPResponse:
        entry = record_request(state, request, b"", None)
        return _ok({"version": VERSION}, entry)

    return [
        Route("/api/chat", chat, methods=["POST"]),
        Route("/api/embed", embed, methods=["POST"]),
        Route("/api/show", show, methods=["POST"]),
        Route("/api/tags", tags, methods=["GET"]),
        Route("/api/version", version, methods=["GET"]),
    ]

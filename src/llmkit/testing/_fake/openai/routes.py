"""The OpenAI protocol of the fake provider server: its routes and how each request is served.

``POST /v1/chat/completions`` is answered from the script (JSON or SSE);
``POST /v1/embeddings`` with deterministic vectors; ``GET /v1/models`` from
the configured model set. Every request is checked as strictly as the real
API checks it (:mod:`llmkit.testing._fake.openai.rules`) and recorded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from starlette.requests import Request as HTTPRequest
from starlette.responses import Response as HTTPResponse
from starlette.routing import BaseRoute, Route

from llmkit._json import dumps
from llmkit.testing._fake.asgi import DropResponse, EventStreamResponse, json_response
from llmkit.testing._fake.exchange import Exchange
from llmkit.testing._fake.openai.answers import completion_body, embeddings_body, stream_chunks
from llmkit.testing._fake.openai.errors import (
    OpenAIWireError,
    check_auth,
    error_for_exception,
    error_for_fault,
    invalid_url,
    model_not_found,
    not_json,
)
from llmkit.testing._fake.openai.request import decode_request
from llmkit.testing._fake.openai.rules import check_chat, check_embeddings
from llmkit.testing._fake.route import Incoming, answer, receive, server_failure
from llmkit.testing._fake.state import NOT_JSON, RecordedRequest, ServerState, record_request
from llmkit.testing._fault import Fault
from llmkit.testing._script import Script, Turn, response_for
from llmkit.types import Request, Response

__all__ = [
    "DEFAULT_MODELS",
    "ChatCheck",
    "ChatExchange",
    "chat_endpoint",
    "error_answer",
    "not_found_handler",
    "routes",
]

DEFAULT_MODELS = ("gpt-4.1-mini", "gpt-4o", "o3-mini", "gpt-5", "text-embedding-3-small")
"""Models listed by ``GET /v1/models`` when the server accepts any model name."""

_BROKEN_JSON = b'{"id":"chatcmpl-broken","object":"chat.completion","choices":[{"index":0,"mess'

ChatCheck = Callable[[HTTPRequest, Any], "OpenAIWireError | None"]
"""The first reason a chat route refuses a request (its parsed body given), or None."""


def error_answer(
    error: OpenAIWireError, request_id: str, entry: RecordedRequest | None
) -> HTTPResponse:
    """The JSON error answer for ``error`` (its status recorded on ``entry``)."""
    headers = {"x-request-id": request_id, **error.headers}
    return answer(entry, error.status, error.body(), headers)


def _failure(state: ServerState, exc: BaseException, incoming: Incoming) -> HTTPResponse:
    error = OpenAIWireError(500, server_failure(state, exc), "server_error")
    return error_answer(error, incoming.request_id, incoming.entry)


class ChatExchange(Exchange):
    """Serves one chat completion request once it has passed validation."""

    def __init__(self, state: ServerState, script: Script, incoming: Incoming) -> None:
        super().__init__(state, script, incoming)
        self.body: dict[str, Any] = incoming.body
        self.request_id = incoming.request_id
        self.headers = {"x-request-id": incoming.request_id}
        self.stream = self.body.get("stream") is True

    def _reply(self, turn: Turn, request: Request) -> Response:
        """The answer ``turn`` stands for (a server dialect may change it, e.g. cut it short)."""
        return response_for(turn, request, self.script)

    def _include_usage(self) -> bool:
        """Whether a streamed answer ends with a usage chunk."""
        options = self.body.get("stream_options") or {}
        return isinstance(options, dict) and options.get("include_usage") is True

    def _events(self, turn: Turn, request: Request, *, complete: bool = True) -> list[bytes]:
        state = self.state
        return stream_chunks(
            self._reply(turn, request),
            model=self.body["model"],
            completion_id=f"chatcmpl-{state.next_id()}",
            created=int(time.time()),
            include_usage=self._include_usage(),
            chunk_size=state.chunk_size,
            n=self.body.get("n") or 1,
            complete=complete,
        )

    def _end_early(self, turn: Turn, request: Request, after: int) -> HTTPResponse:
        if not self.stream:
            self._done(None)
            return DropResponse()
        self._done(200)
        events = self._events(turn, request, complete=False)[:-1]  # all but [DONE]
        return EventStreamResponse([*events[:after], b"data: [DONE]\n\n"], self.headers)

    def _malformed(self, request: Request) -> HTTPResponse:
        self._done(200)
        if not self.stream:
            return json_response(200, _BROKEN_JSON, self.headers)
        first = self._events("", request)[0]
        return EventStreamResponse(
            [first, b'data: {"choices": [{"delta\n\n', b"data: [DONE]\n\n"], self.headers
        )

    def _answer(self, turn: Turn, request: Request) -> HTTPResponse:
        self._done(200)
        if self.stream:
            return EventStreamResponse(self._events(turn, request), self.headers)
        state = self.state
        body = completion_body(
            self._reply(turn, request),
            model=self.body["model"],
            completion_id=f"chatcmpl-{state.next_id()}",
            created=int(time.time()),
            n=self.body.get("n") or 1,
        )
        return json_response(200, dumps(body).encode(), self.headers)

    def _exception_answer(self, exc: BaseException, request: Request) -> HTTPResponse:
        return error_answer(error_for_exception(exc), self.request_id, self.entry)

    def _fault_answer(self, fault: Fault) -> HTTPResponse:
        return error_answer(error_for_fault(fault), self.request_id, self.entry)


def chat_endpoint(
    state: ServerState,
    check: ChatCheck,
    exchange: type[ChatExchange] = ChatExchange,
    understood: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Callable[[HTTPRequest], Any]:
    """A chat completions route: read and record, ``check``, then serve a turn of the script.

    ``understood`` keeps the body fields the server reads (a dialect ignores the
    others); ``exchange`` answers in the dialect's way.
    """

    async def chat_completions(request: HTTPRequest) -> HTTPResponse:
        incoming = await receive(state, request, f"req_{state.next_id()}")
        try:
            error = check(request, incoming.body)
            if error is not None:
                return error_answer(error, incoming.request_id, incoming.entry)
            script = state.script
            body = incoming.body if understood is None else understood(incoming.body)
            wire_request = decode_request(body)
            turn = await script.next_turn(wire_request)
            chat = exchange(state, script, incoming)
            return await chat.serve(turn, wire_request)
        except Exception as exc:
            return _failure(state, exc, incoming)

    return chat_completions


def _model_object(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 1700000000, "owned_by": "llmkit"}


def routes(state: ServerState) -> list[BaseRoute]:
    """The OpenAI routes of a fake server whose state is ``state``."""

    def admit(request: HTTPRequest, body: Any) -> OpenAIWireError | None:
        error = check_auth(request.headers.get("authorization"), state.api_key)
        if error is None and body is NOT_JSON:
            error = not_json()
        return error

    def unknown_model(name: str) -> OpenAIWireError | None:
        models = state.models
        if models is not None and name not in models:
            return model_not_found(name)
        return None

    def check(request: HTTPRequest, body: Any) -> OpenAIWireError | None:
        return admit(request, body) or check_chat(body) or unknown_model(body["model"])

    async def embeddings(request: HTTPRequest) -> HTTPResponse:
        incoming = await receive(state, request, f"req_{state.next_id()}")
        body = incoming.body
        try:
            error = admit(request, body) or check_embeddings(body) or unknown_model(body["model"])
            if error is not None:
                return error_answer(error, incoming.request_id, incoming.entry)
            vectors = dumps(embeddings_body(body, state.embedding_dimensions)).encode()
        except Exception as exc:
            return _failure(state, exc, incoming)
        return answer(incoming.entry, 200, vectors, {"x-request-id": incoming.request_id})

    def models(request: HTTPRequest, name: str | None) -> HTTPResponse:
        """``GET /v1/models`` (``name`` None) or ``GET /v1/models/{name}``."""
        request_id = f"req_{state.next_id()}"
        entry = record_request(state, request, b"", None)
        error = check_auth(request.headers.get("authorization"), state.api_key)
        if error is None and name is not None:
            error = unknown_model(name)
        if error is not None:
            return error_answer(error, request_id, entry)
        if name is not None:
            listed: dict[str, Any] = _model_object(name)
        else:
            names = sorted(state.models) if state.models is not None else DEFAULT_MODELS
            listed = {"object": "list", "data": [_model_object(n) for n in names]}
        return answer(entry, 200, dumps(listed).encode(), {"x-request-id": request_id})

    async def list_models(request: HTTPRequest) -> HTTPResponse:
        return models(request, None)

    async def get_model(request: HTTPRequest) -> HTTPResponse:
        return models(request, request.path_params["model"])

    return [
        Route("/v1/chat/completions", chat_endpoint(state, check), methods=["POST"]),
        Route("/v1/embeddings", embeddings, methods=["POST"]),
        Route("/v1/models", list_models, methods=["GET"]),
        Route("/v1/models/{model:path}", get_model, methods=["GET"]),
    ]


def not_found_handler(state: ServerState) -> Any:
    """The handler for unknown routes (and wrong methods): 404 "Invalid URL (METHOD /path)"."""

    async def not_found(request: HTTPRequest, exc: Exception) -> HTTPResponse:
        incoming = await receive(state, request, f"req_{state.next_id()}")
        error = invalid_url(request.method, request.url.path)
        return error_answer(error, incoming.request_id, incoming.entry)

    return not_found

"""The OpenAI protocol of the fake provider server: its routes and how each request is served.

``POST /v1/chat/completions`` is answered from the script (JSON or SSE);
``POST /v1/embeddings`` with deterministic vectors; ``GET /v1/models`` from
the configured model set. Every request is checked as strictly as the real
API checks it (:mod:`llmkit.testing._fake.openai.rules`) and recorded.
"""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.requests import Request as HTTPRequest
from starlette.responses import Response as HTTPResponse
from starlette.routing import BaseRoute, Route
from starlette.types import Receive

from llmkit.errors import (
    UsageError,
)
from llmkit.testing._fake.asgi import (
    DropResponse,
    EventStreamResponse,
    json_response,
)
from llmkit.testing._fake.exchange import Exchange
from llmkit.testing._fake.openai.answers import (
    completion_body,
    decode_request,
    embeddings_body,
    error_for_exception,
    error_for_fault,
    stream_chunks,
)
from llmkit.testing._fake.openai.errors import (
    WireError,
    check_auth,
    invalid_url,
    model_not_found,
    not_json,
)
from llmkit.testing._fake.openai.rules import check_chat, check_embeddings
from llmkit.testing._fake.state import NOT_JSON as _NOT_JSON
from llmkit.testing._fake.state import RecordedRequest, ServerState
from llmkit.testing._fake.state import parse_body as _parse
from llmkit.testing._fake.state import record_request as _record
from llmkit.testing._fault import Fault
from llmkit.testing._script import Script, Turn, response_for
from llmkit.types import Request, Response

__all__ = [
    "DEFAULT_MODELS",
    "ChatExchange",
    "error_answer",
    "failure_answer",
    "not_found_handler",
    "routes",
]

DEFAULT_MODELS = ("gpt-4.1-mini", "gpt-4o", "o3-mini", "gpt-5", "text-embedding-3-small")
"""Models listed by ``GET /v1/models`` when the server accepts any model name."""

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_BROKEN_JSON = b'{"id":"chatcmpl-broken","object":"chat.completion","choices":[{"index":0,"mess'


def error_answer(error: WireError, request_id: str, entry: RecordedRequest | None) -> HTTPResponse:
    """The JSON error answer for ``error`` (its status recorded on ``entry``)."""
    if entry is not None:
        entry.status = error.status
    return json_response(error.status, error.body(), {"x-request-id": request_id, **error.headers})


def failure_answer(
    state: ServerState, exc: BaseException, request_id: str, entry: RecordedRequest | None
) -> HTTPResponse:
    """A problem in the test's own setup (or a bug here): answer 500 and keep it for the test."""
    state.errors.append(exc)
    message = str(exc) if isinstance(exc, UsageError) else f"The fake server failed: {exc!r}"
    return error_answer(WireError(500, message, "server_error"), request_id, entry)


class ChatExchange(Exchange):
    """Serves one chat completion request once it has passed validation."""

    def __init__(
        self,
        state: ServerState,
        body: dict[str, Any],
        request_id: str,
        entry: RecordedRequest | None,
        receive: Receive,
        script: Script,
    ) -> None:
        self.state = state
        # The script that gave the turn numbers its tool calls, even if a test reloads meanwhile.
        self.script = script
        self.receive = receive
        self.body = body
        self.request_id = request_id
        self.entry = entry
        self.headers = {"x-request-id": request_id}
        self.stream = body.get("stream") is True

    def _reply(self, turn: Turn, request: Request) -> Response:
        """The answer ``turn`` stands for (a server dialect may change it, e.g. cut it short)."""
        return response_for(turn, request, self.script)

    def _include_usage(self) -> bool:
        """Whether a streamed answer ends with a usage chunk."""
        options = self.body.get("stream_options") or {}
        return isinstance(options, dict) and options.get("include_usage") is True

    def _chunks(self, turn: Turn, request: Request, *, complete: bool = True) -> list[bytes]:
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
        events = self._chunks(turn, request, complete=False)[:-1]  # all but [DONE]
        return EventStreamResponse([*events[:after], b"data: [DONE]\n\n"], self.headers)

    def _drop(self, turn: Turn, request: Request, after: int, mid_event: bool) -> HTTPResponse:
        self._done(None)
        if not self.stream:
            return DropResponse()
        chunks = self._chunks(turn, request)
        return EventStreamResponse(chunks, self.headers, drop_after=after, mid_event=mid_event)

    def _malformed(self, request: Request) -> HTTPResponse:
        self._done(200)
        if not self.stream:
            return json_response(200, _BROKEN_JSON, self.headers)
        first = self._chunks("", request)[0]
        return EventStreamResponse(
            [first, b'data: {"choices": [{"delta\n\n', b"data: [DONE]\n\n"], self.headers
        )

    def _answer(self, turn: Turn, request: Request) -> HTTPResponse:
        self._done(200)
        if self.stream:
            return EventStreamResponse(self._chunks(turn, request), self.headers)
        state = self.state
        body = completion_body(
            self._reply(turn, request),
            model=self.body["model"],
            completion_id=f"chatcmpl-{state.next_id()}",
            created=int(time.time()),
            n=self.body.get("n") or 1,
        )
        return json_response(200, _dumps(body).encode(), self.headers)

    def _exception_answer(self, exc: BaseException, request: Request) -> HTTPResponse:
        return error_answer(error_for_exception(exc), self.request_id, self.entry)

    def _fault_answer(self, fault: Fault) -> HTTPResponse:
        return error_answer(error_for_fault(fault), self.request_id, self.entry)


def routes(state: ServerState) -> list[BaseRoute]:
    """The OpenAI routes of a fake server whose state is ``state``."""

    def admit(request: HTTPRequest, body: Any) -> WireError | None:
        error = check_auth(request.headers.get("authorization"), state.api_key)
        if error is None and body is _NOT_JSON:
            error = not_json()
        return error

    def unknown_model(body: dict[str, Any]) -> WireError | None:
        models = state.models
        if models is not None and body["model"] not in models:
            return model_not_found(body["model"])
        return None

    async def chat_completions(request: HTTPRequest) -> HTTPResponse:
        request_id = f"req_{state.next_id()}"
        raw = await request.body()
        body = _parse(raw)
        entry = _record(state, request, raw, body)
        try:
            error = admit(request, body) or check_chat(body) or unknown_model(body)
            if error is not None:
                return error_answer(error, request_id, entry)
            script = state.script
            wire_request = decode_request(body)
            turn = await script.next_turn(wire_request)
            chat = ChatExchange(state, body, request_id, entry, request.receive, script)
            return await chat.serve(turn, wire_request)
        except Exception as exc:
            return failure_answer(state, exc, request_id, entry)

    async def embeddings(request: HTTPRequest) -> HTTPResponse:
        request_id = f"req_{state.next_id()}"
        raw = await request.body()
        body = _parse(raw)
        entry = _record(state, request, raw, body)
        try:
            error = admit(request, body) or check_embeddings(body) or unknown_model(body)
            if error is not None:
                return error_answer(error, request_id, entry)
            answer = _dumps(embeddings_body(body, state.embedding_dimensions)).encode()
        except Exception as exc:
            return failure_answer(state, exc, request_id, entry)
        if entry is not None:
            entry.status = 200
        return json_response(200, answer, {"x-request-id": request_id})

    def model_object(name: str) -> dict[str, Any]:
        return {"id": name, "object": "model", "created": 1700000000, "owned_by": "llmkit"}

    async def list_models(request: HTTPRequest) -> HTTPResponse:
        request_id = f"req_{state.next_id()}"
        entry = _record(state, request, b"", None)
        error = check_auth(request.headers.get("authorization"), state.api_key)
        if error is not None:
            return error_answer(error, request_id, entry)
        if entry is not None:
            entry.status = 200
        names = sorted(state.models) if state.models is not None else DEFAULT_MODELS
        answer = {"object": "list", "data": [model_object(n) for n in names]}
        return json_response(200, _dumps(answer).encode(), {"x-request-id": request_id})

    async def get_model(request: HTTPRequest) -> HTTPResponse:
        request_id = f"req_{state.next_id()}"
        entry = _record(state, request, b"", None)
        name = request.path_params["model"]
        error = check_auth(request.headers.get("authorization"), state.api_key) or unknown_model(
            {"model": name}
        )
        if error is not None:
            return error_answer(error, request_id, entry)
        if entry is not None:
            entry.status = 200
        return json_response(200, _dumps(model_object(name)).encode(), {"x-request-id": request_id})

    return [
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/embeddings", embeddings, methods=["POST"]),
        Route("/v1/models", list_models, methods=["GET"]),
        Route("/v1/models/{model:path}", get_model, methods=["GET"]),
    ]


def not_found_handler(state: ServerState) -> Any:
    """The handler for unknown routes (and wrong methods): 404 "Invalid URL (METHOD /path)"."""

    async def not_found(request: HTTPRequest, exc: Exception) -> HTTPResponse:
        raw = await request.body()
        entry = _record(state, request, raw, _parse(raw))
        error = invalid_url(request.method, request.url.path)
        return error_answer(error, f"req_{state.next_id()}", entry)

    return not_found

"""The Anthropic protocol of the fake provider server: ``POST /v1/messages`` and its token count.

Every request is checked as strictly as the real API checks it (headers, then
the body: :mod:`llmkit.testing._fake.anthropic.rules`), recorded, and answered from
the script as a ``message`` object or as server-sent events. Script turns mean
what they mean on the OpenAI side; in addition:

- reasoning parts of a :class:`~llmkit.types.Response` turn become thinking
  blocks (with a stand-in signature when they have none);
- a response with ``finish_reason="error"`` streams its content and then an
  ``error`` event (``overloaded_error`` unless ``provider_data["anthropic"]["error"]``
  says otherwise); not streaming, that error is the HTTP answer;
- ``cache_control`` markers are honoured by an imitation of prompt caching
  (:mod:`llmkit.testing._fake.anthropic.cache`), reported in the usage.

``POST /v1/messages/count_tokens`` answers ``{"input_tokens": N}`` for a body checked by
:mod:`llmkit.testing._fake.anthropic.count`; it is recorded like any request but takes no
script turn.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request as HTTPRequest
from starlette.responses import Response as HTTPResponse
from starlette.routing import BaseRoute, Route

from llmkit._json import dumps
from llmkit.testing._fake.anthropic.answers import message_body, stream_events
from llmkit.testing._fake.anthropic.cache import PromptCache
from llmkit.testing._fake.anthropic.count import check_count_body, count_body
from llmkit.testing._fake.anthropic.errors import (
    AnthropicWireError,
    check_auth,
    check_version,
    error_for_exception,
    error_for_fault,
    model_not_found,
    not_json,
    should_retry,
    stream_error,
)
from llmkit.testing._fake.anthropic.request import decode_request
from llmkit.testing._fake.anthropic.rules import check_message_body
from llmkit.testing._fake.asgi import EventStreamResponse, json_response
from llmkit.testing._fake.exchange import Exchange
from llmkit.testing._fake.route import Incoming, answer, receive, server_failure
from llmkit.testing._fake.state import NOT_JSON, RecordedRequest, ServerState
from llmkit.testing._fault import Fault
from llmkit.testing._script import Script, Turn, response_for
from llmkit.types import Request, Response, Usage

__all__ = ["routes"]

_BROKEN_JSON = b'{"id":"msg_broken","type":"message","role":"assistant","content":[{"ty'
_BROKEN_EVENT = b'event: content_block_start\ndata: {"type":"content_block_start","ind\n\n'


def _error(
    error: AnthropicWireError, request_id: str, entry: RecordedRequest | None
) -> HTTPResponse:
    headers = {
        "request-id": request_id,
        "x-should-retry": "true" if should_retry(error.status) else "false",
        **error.headers,
    }
    return answer(entry, error.status, error.body(request_id), headers)


def _json_problem(raw: bytes) -> str:
    """Why ``raw`` is not JSON, in the parser's words."""
    try:
        json.loads(raw)
    except ValueError as exc:
        return str(exc)
    return "expected a JSON object"


def _with_cache(response: Response, cached: tuple[int, int, int] | None) -> Response:
    """``response`` with the imitated cache's counts, unless the script set its own."""
    usage = response.usage
    if cached is None or usage.cache_read_tokens or usage.cache_write_tokens:
        return response
    total, read, written = cached
    counted = Usage(
        total, usage.output_tokens, read, written, usage.reasoning_tokens, usage.requests
    )
    return dataclasses.replace(response, usage=counted)


class _Messages(Exchange):
    """Serves one ``/v1/messages`` request once it has passed validation."""

    def __init__(
        self,
        state: ServerState,
        script: Script,
        incoming: Incoming,
        cached: tuple[int, int, int] | None,
    ) -> None:
        super().__init__(state, script, incoming)
        self.body: dict[str, Any] = incoming.body
        self.request_id = incoming.request_id
        self.cached = cached
        self.headers = {"request-id": incoming.request_id}
        self.stream = self.body.get("stream") is True

    def _response(self, turn: Turn, request: Request) -> Response:
        return _with_cache(response_for(turn, request, self.script), self.cached)

    def _events(self, turn: Turn, request: Request) -> list[bytes]:
        return self._stream(self._response(turn, request))

    def _stream(self, response: Response) -> list[bytes]:
        return stream_events(
            response,
            model=self.body["model"],
            message_id=f"msg_{self.state.next_id()}",
            chunk_size=self.state.chunk_size,
            error=stream_error(response),
        )

    def _malformed(self, request: Request) -> HTTPResponse:
        self._done(200)
        if not self.stream:
            return json_response(200, _BROKEN_JSON, self.headers)
        first = self._events("", request)[0]
        return EventStreamResponse([first, _BROKEN_EVENT], self.headers)

    def _answer(self, turn: Turn, request: Request) -> HTTPResponse:
        response = self._response(turn, request)
        if self.stream:
            self._done(200)
            return EventStreamResponse(self._stream(response), self.headers)
        failure = stream_error(response)
        if failure is not None:
            return _error(failure, self.request_id, self.entry)
        self._done(200)
        body = message_body(
            response, model=self.body["model"], message_id=f"msg_{self.state.next_id()}"
        )
        return json_response(200, dumps(body).encode(), self.headers)

    def _exception_answer(self, exc: BaseException, request: Request) -> HTTPResponse:
        return _error(error_for_exception(exc), self.request_id, self.entry)

    def _fault_answer(self, fault: Fault) -> HTTPResponse:
        return _error(error_for_fault(fault), self.request_id, self.entry)


def routes(state: ServerState) -> list[BaseRoute]:
    """The Anthropic routes of a fake server whose state is ``state``."""
    cache = PromptCache()

    def admit(
        request: HTTPRequest,
        incoming: Incoming,
        check: Callable[..., AnthropicWireError | None] = check_message_body,
    ) -> AnthropicWireError | None:
        headers = request.headers
        error = check_auth(
            headers.get("x-api-key"), headers.get("authorization"), state.api_key
        ) or check_version(headers.get("anthropic-version"))
        if error is not None:
            return error
        body = incoming.body
        if body is NOT_JSON:
            return not_json(_json_problem(incoming.raw))
        error = check(body, version=headers["anthropic-version"], beta="anthropic-beta" in headers)
        if error is None and state.models is not None and body["model"] not in state.models:
            error = model_not_found(body["model"])
        return error

    async def messages(request: HTTPRequest) -> HTTPResponse:
        incoming = await receive(state, request, f"req_{state.next_id()}")
        try:
            error = admit(request, incoming)
            if error is not None:
                return _error(error, incoming.request_id, incoming.entry)
            body = incoming.body
            script = state.script
            wire_request = decode_request(body)
            turn = await script.next_turn(wire_request)
            cached = cache.usage(body, script)
            serving = _Messages(state, script, incoming, cached)
            return await serving.serve(turn, wire_request)
        except Exception as exc:
            failure = AnthropicWireError(500, server_failure(state, exc), "api_error")
            return _error(failure, incoming.request_id, incoming.entry)

    async def count_tokens(request: HTTPRequest) -> HTTPResponse:
        incoming = await receive(state, request, f"req_{state.next_id()}")
        try:
            error = admit(request, incoming, check_count_body)
            if error is not None:
                return _error(error, incoming.request_id, incoming.entry)
            body = dumps(count_body(incoming.body)).encode()
            return answer(incoming.entry, 200, body, {"request-id": incoming.request_id})
        except Exception as exc:
            failure = AnthropicWireError(500, server_failure(state, exc), "api_error")
            return _error(failure, incoming.request_id, incoming.entry)

    return [
        Route("/v1/messages", messages, methods=["POST"]),
        Route("/v1/messages/count_tokens", count_tokens, methods=["POST"]),
    ]

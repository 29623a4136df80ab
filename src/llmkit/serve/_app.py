"""The ASGI app: OpenAI Chat Completions, the runs and sessions API, and the guard in front of them.

Routes (every one under ``/v1`` needs ``Authorization: Bearer <token>``):

- ``POST /v1/chat/completions``: OpenAI-compatible, whole or streamed (SSE chunks);
- ``GET /v1/models``: the served agents and workflows;
- ``POST /v1/runs``, ``GET /v1/runs`` (the caller's runs, newest first, ``?limit=&after=``),
  ``GET /v1/runs/{id}``, ``GET /v1/runs/{id}/events`` (SSE with ``id:``
  lines, resumable with ``Last-Event-ID``), ``POST /v1/runs/{id}/approvals``,
  ``POST /v1/runs/{id}/cancel``;
- ``GET /v1/sessions`` (the caller's sessions, ``?limit=``), ``GET`` and
  ``DELETE /v1/sessions/{id}``.

The guard (:class:`Guard`, middleware that wraps the routes) answers 401 for a
missing or wrong token and 429 with ``Retry-After`` past the rate limit,
before any route runs; the tenant it finds is the only trace of the token.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from llmkit.agent import Agent
from llmkit.errors import UsageError
from llmkit.serve._http import (
    ApiError,
    error_body,
    error_response,
    json_response,
    logger,
    read_json,
    sse,
)
from llmkit.serve._openai import Completion, content_of, read_chat_request
from llmkit.serve._security import RateLimit, Tokens
from llmkit.serve._service import RunService

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["Guard", "build_app"]

_RUN_KEYS = frozenset({"agent", "workflow", "target", "input", "session", "wait"})


class Guard:
    """Middleware: the bearer token and the rate limit, checked before the app sees a request."""

    def __init__(self, app: ASGIApp, *, tokens: Tokens, rate_limit: RateLimit | None) -> None:
        self.app = app
        self.tokens = tokens
        self.rate_limit = rate_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        auth = headers.get(b"authorization", b"").decode("latin-1")
        tenant = self.tokens.tenant(auth)
        if tenant is None:
            error = ApiError(
                401,
                "A valid bearer token is required: send 'Authorization: Bearer <token>' "
                "with a token the server was given.",
                code="invalid_api_key",
                headers={"WWW-Authenticate": "Bearer"},
            )
            await error_response(error)(scope, receive, send)
            return
        if self.rate_limit is not None:
            wait = self.rate_limit.check(tenant)
            if wait > 0:
                error = ApiError(
                    429,
                    f"Too many requests for this token (at most {self.rate_limit.requests} per "
                    f"{self.rate_limit.per:g} s); retry after the time in Retry-After.",
                    code="rate_limit_exceeded",
                    headers={"Retry-After": RateLimit.retry_after(wait)},
                )
                await error_response(error)(scope, receive, send)
                return
        scope.setdefault("state", {})["tenant"] = tenant
        await self.app(scope, receive, send)


def build_app(
    service: RunService,
    *,
    lifespan: Any,
    tokens: Tokens,
    rate_limit: RateLimit | None,
    max_body: int,
    cors_origins: list[str] | None,
) -> ASGIApp:
    """The Starlette app over ``service``, wrapped in CORS (when configured) and the guard."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.cors import CORSMiddleware
    from starlette.routing import Route

    routes = _Routes(service, max_body)
    middleware = [Middleware(Guard, tokens=tokens, rate_limit=rate_limit)]
    if cors_origins:
        cors = Middleware(
            CORSMiddleware,
            allow_origins=cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Last-Event-ID"],
        )
        middleware.insert(0, cors)
    return Starlette(
        routes=[
            Route("/v1/chat/completions", routes.wrap(routes.chat), methods=["POST"]),
            Route("/v1/models", routes.wrap(routes.models), methods=["GET"]),
            Route("/v1/runs", routes.wrap(routes.runs), methods=["GET", "POST"]),
            Route("/v1/runs/{run_id}", routes.wrap(routes.get), methods=["GET"]),
            Route("/v1/runs/{run_id}/events", routes.wrap(routes.events), methods=["GET"]),
            Route("/v1/runs/{run_id}/approvals", routes.wrap(routes.approve), methods=["POST"]),
            Route("/v1/runs/{run_id}/cancel", routes.wrap(routes.cancel), methods=["POST"]),
            Route("/v1/sessions", routes.wrap(routes.sessions), methods=["GET"]),
            Route(
                "/v1/sessions/{session_id}",
                routes.wrap(routes.session),
                methods=["GET", "DELETE"],
            ),
        ],
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={404: _not_found, 405: _not_allowed, Exception: _crashed},
    )


class _Routes:
    """The route handlers, over one run service."""

    def __init__(self, service: RunService, max_body: int) -> None:
        self.service = service
        self.max_body = max_body

    @staticmethod
    def wrap(handler: Callable[[Request, str], Any]) -> Callable[[Request], Any]:
        """``handler(request, tenant)`` with refused requests answered in OpenAI's error shape."""

        async def endpoint(request: Request) -> Response:
            try:
                response: Response = await handler(request, request.state.tenant)
            except ApiError as error:
                return error_response(error)
            except UsageError as exc:
                return error_response(ApiError.of(exc))
            return response

        return endpoint

    # ---------------------------------------------------------- chat completions

    async def chat(self, request: Request, tenant: str) -> Response:
        asked = read_chat_request(await read_json(request, self.max_body))
        target = self.service.target(asked.model)
        if not isinstance(target, Agent):
            raise UsageError(
                f"{asked.model!r} is a workflow; run it with POST /v1/runs. Chat completions "
                "are for agents."
            )
        run = await self.service.start(tenant, asked.model, message_history=asked.messages)
        completion = Completion(
            run_id=run.id,
            model=asked.model,
            created=int(run.created),
            include_usage=asked.include_usage,
        )
        headers = {"x-llmkit-run-id": run.id}
        if not asked.stream:
            await run.settled()
            try:
                data = _answer(run)
            except ApiError as error:
                error.headers.update(headers)
                raise
            return json_response(
                completion.whole(content_of(data["output"]), data["usage"]), headers=headers
            )
        from starlette.responses import StreamingResponse

        return StreamingResponse(
            self._chunks(request, run.tenant, run.id, completion),
            media_type="text/event-stream",
            headers={**headers, "Cache-Control": "no-cache"},
        )

    async def _chunks(
        self, request: Request, tenant: str, run_id: str, completion: Completion
    ) -> AsyncIterator[bytes]:
        run = self.service.get(tenant, run_id)
        # A client that leaves while the run is quiet (a long tool call) is noticed at once,
        # not at the next chunk the server would send.
        watch = asyncio.get_running_loop().create_task(self._watch(request, tenant, run_id))
        try:
            yield sse(completion.chunk({"role": "assistant", "content": ""}))
            sent = False
            step_text = False
            async for _, event in run.events.follow():
                topic = event["topic"]
                if topic == "model.text_delta" and event["text"]:
                    text = event["text"]
                    if sent and not step_text:
                        text = "\n\n" + text
                    sent = step_text = True
                    yield sse(completion.chunk({"content": text}))
                elif topic == "step.end":
                    step_text = False
            await run.settled()
            try:
                data = _answer(run)
            except ApiError as error:
                yield sse(error_body(error.status, error.message, code=error.code))
                yield b"data: [DONE]\n\n"
                return
            if not sent:
                yield sse(completion.chunk({"content": content_of(data["output"])}))
            yield sse(completion.chunk({}, "stop"))
            if completion.include_usage:
                yield sse(completion.usage_chunk(data["usage"]))
            yield b"data: [DONE]\n\n"
        finally:
            watch.cancel()
            if not run.over:
                self.service.disconnected(tenant, run_id)

    async def _watch(self, request: Request, tenant: str, run_id: str) -> None:
        """Wait for the client to disconnect; then apply the service's disconnect policy."""
        while (await request.receive())["type"] != "http.disconnect":
            pass
        self.service.disconnected(tenant, run_id)

    async def models(self, request: Request, tenant: str) -> Response:
        data = [
            {"id": name, "object": "model", "created": 0, "owned_by": "llmkit"}
            for name in self.service.names
        ]
        return json_response({"object": "list", "data": data})

    # ---------------------------------------------------------------------- runs

    async def runs(self, request: Request, tenant: str) -> Response:
        if request.method == "POST":
            return await self.start(request, tenant)
        _only_params(request, {"limit", "after"})
        limit = _limit(request, default=20)
        page = self.service.runs(tenant, limit=limit, after=request.query_params.get("after"))
        return json_response(page.to_dict())

    async def start(self, request: Request, tenant: str) -> Response:
        body = await read_json(request, self.max_body)
        if not isinstance(body, dict):
            raise UsageError('The body is a JSON object: {"agent": "name", "input": "..."}.')
        unknown = sorted(set(body) - _RUN_KEYS)
        if unknown:
            raise UsageError(
                f"Unknown field {unknown[0]!r}; a run takes: agent (or workflow), input, "
                "session, wait."
            )
        names = [body[key] for key in ("agent", "workflow", "target") if key in body]
        if len(names) != 1:
            raise UsageError('Name one served agent or workflow: {"agent": "name", ...}.')
        wait = body.get("wait", False)
        if not isinstance(wait, bool):
            raise UsageError(f"'wait' is true or false, not {wait!r}.")
        session = body.get("session")
        if session is not None and not isinstance(session, str):
            raise UsageError(f"'session' is a session id (a string), not {session!r}.")
        run = await self.service.start(
            tenant, names[0], body.get("input"), session=session, wait=wait
        )
        status = 200 if wait else 201
        return json_response(run.to_dict(), status, {"Location": f"/v1/runs/{run.id}"})

    async def get(self, request: Request, tenant: str) -> Response:
        return json_response(self.service.get(tenant, request.path_params["run_id"]).to_dict())

    async def events(self, request: Request, tenant: str) -> Response:
        from starlette.responses import StreamingResponse

        run_id = request.path_params["run_id"]
        after_text = (
            request.headers.get("last-event-id") or request.query_params.get("after") or "0"
        )
        if not after_text.isdigit():
            raise UsageError(
                f"Last-Event-ID (or ?after=) is the id of the last event seen, a whole number; "
                f"not {after_text!r}."
            )
        events = self.service.events(tenant, run_id, after=int(after_text))

        async def stream() -> AsyncIterator[bytes]:
            async for event_id, event in events:
                yield sse(event, event_id=event_id, event=event["topic"])

        return StreamingResponse(
            stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )

    async def approve(self, request: Request, tenant: str) -> Response:
        body = await read_json(request, self.max_body)
        if not isinstance(body, dict) or "approvals" not in body:
            raise UsageError('The body is {"approvals": {"<call id>": true | false | {...}}}.')
        wait = body.get("wait", False)
        if not isinstance(wait, bool):
            raise UsageError(f"'wait' is true or false, not {wait!r}.")
        run = await self.service.approve(
            tenant, request.path_params["run_id"], body["approvals"], wait=wait
        )
        return json_response(run.to_dict())

    async def cancel(self, request: Request, tenant: str) -> Response:
        run = await self.service.cancel(tenant, request.path_params["run_id"])
        return json_response(run.to_dict())

    # ------------------------------------------------------------------ sessions

    async def sessions(self, request: Request, tenant: str) -> Response:
        _only_params(request, {"limit"})
        found = await self.service.list_sessions(tenant, limit=_limit(request, default=100))
        data = [
            {"id": info.id, "object": "session", "messages": info.messages, "updated": info.updated}
            for info in found
        ]
        return json_response({"object": "list", "data": data})

    async def session(self, request: Request, tenant: str) -> Response:
        session_id = request.path_params["session_id"]
        if request.method == "DELETE":
            await self.service.delete_session(tenant, session_id)
            return json_response({"id": session_id, "object": "session", "deleted": True})
        messages = await self.service.session_messages(tenant, session_id)
        return json_response(
            {"id": session_id, "object": "session", "messages": [m.to_dict() for m in messages]}
        )


def _only_params(request: Request, known: set[str]) -> None:
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise UsageError(
            f"Unknown query parameter {unknown[0]!r}; {request.url.path} takes: "
            f"{', '.join(sorted(known))}."
        )


def _limit(request: Request, *, default: int) -> int:
    text = request.query_params.get("limit")
    if text is None:
        return default
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise UsageError(f"?limit= is a whole number of items a page holds, not {text[:20]!r}.")
    return int(text)


def _answer(run: Any) -> dict[str, Any]:
    """A settled run's JSON form, or the error that answers a run that gave no output."""
    data: dict[str, Any] = run.to_dict()
    if run.status == "complete":
        return data
    if run.status == "paused":
        raise ApiError(
            409,
            f"Run {run.id} paused: tool calls wait for approval. Decide them with "
            f"POST /v1/runs/{run.id}/approvals, then read GET /v1/runs/{run.id}.",
            code="approval_required",
        )
    error = run.error or {"type": "Error", "message": "The run did not finish."}
    raise ApiError(
        500,
        f"Run {run.id} {run.status}: {error['type']}: {error['message']} "
        f"(GET /v1/runs/{run.id} has its events and status).",
        code="run_failed" if run.status == "failed" else "run_cancelled",
    )


async def _not_found(request: Request, exc: Exception) -> Response:
    return error_response(
        ApiError(404, f"No route {request.url.path}; see GET /v1/models.", code="not_found")
    )


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return error_response(
        ApiError(
            405,
            f"{request.method} is not allowed on {request.url.path}.",
            code="method_not_allowed",
        )
    )


async def _crashed(request: Request, exc: Exception) -> Response:
    # The traceback goes to the server's log, never to the client.
    logger.error("Unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(
        ApiError(500, "The server failed on this request; its log has the details.")
    )

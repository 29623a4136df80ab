"""Serving agents and workflows: a transport-neutral run service and an HTTP app.

::

    from llmkit.serve import RunService

    service = RunService(agent, flow)                       # served by name
    run = await service.start("tenant-1", "support", "Where is order 42?", wait=True)
    run.status, run.result.output
    async for event_id, event in service.events("tenant-1", run.id): ...

    await MCPToolServer([add, support_agent]).serve_stdio()   # tools and agents to MCP clients

The run service's guarantees are in ``llmkit.serve._service``; its errors are
:class:`ServeError` subclasses (tree in ``llmkit.serve._errors``).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from typing import TYPE_CHECKING, Any

from llmkit._optional import require
from llmkit.errors import UsageError
from llmkit.serve._errors import (
    RunStateError,
    ServeError,
    TooManyRunsError,
    UnknownRunError,
    UnknownSessionError,
    UnknownTargetError,
)
from llmkit.serve._listing import RunPage
from llmkit.serve._mcp_server import MCPToolServer, ServedTools
from llmkit.serve._run import RunState, ServedRun
from llmkit.serve._security import RateLimit, Tokens, tokens_from_env, tokens_from_file
from llmkit.serve._server import Server
from llmkit.serve._service import OnDisconnect, RunService, Target, WhenFull, tenant_for

if TYPE_CHECKING:
    from starlette.types import ASGIApp

    from llmkit.durable import Store

__all__ = [
    "MCPToolServer",
    "OnDisconnect",
    "RateLimit",
    "RunPage",
    "RunService",
    "RunState",
    "RunStateError",
    "ServeError",
    "ServedRun",
    "ServedTools",
    "Server",
    "Target",
    "Tokens",
    "TooManyRunsError",
    "UnknownRunError",
    "UnknownSessionError",
    "UnknownTargetError",
    "WhenFull",
    "app_for",
    "tenant_for",
    "tokens_from_env",
    "tokens_from_file",
]

_MAX_BODY = 1_000_000


def app_for(
    *targets: Target,
    tokens: Iterable[str],
    store: Store | None = None,
    rate_limit: RateLimit | None = None,
    max_body: int = _MAX_BODY,
    cors_origins: Iterable[str] | None = None,
    max_runs: int | None = None,
    when_full: WhenFull = "reject",
    on_disconnect: OnDisconnect = "continue",
    run_timeout: float | None = None,
    clock: Callable[[], float] | None = None,
) -> ASGIApp:
    """An ASGI app serving ``targets`` (agents and workflows) over HTTP; mount it in any ASGI server.

    Args:
        targets: The agents and workflows, each served under its name.
        tokens: The accepted bearer tokens (at least one; ``tokens_from_env()``,
            ``tokens_from_file(path)``). Each token sees only its own runs and sessions.
        store: A durable store for sessions and run checkpoints (default: sessions in memory).
        rate_limit: Requests per token, e.g. ``RateLimit(600, per=60)`` (None: no limit).
        max_body: Largest request body in bytes (413 past it).
        cors_origins: Origins a browser may call from (None: CORS off).
        max_runs, when_full, on_disconnect, run_timeout: As for :class:`RunService`.
        clock: Seconds since the epoch for the runs' ``created`` and ``ended`` and the
            ``"time"`` of their events (tests inject one).

    Needs the ``serve`` extra (starlette, uvicorn): ``pip install 'llmkit[serve]'``.
    """
    require("starlette", extra="serve", feature="Serving agents over HTTP")
    from llmkit.serve._app import build_app

    if isinstance(max_body, bool) or not isinstance(max_body, int) or max_body < 1:
        raise UsageError(f"max_body is a number of bytes of 1 or more, not {max_body!r}.")
    if isinstance(cors_origins, str):
        raise UsageError(
            "cors_origins= takes a list of origins, not one string; wrap it in a list."
        )
    extra: dict[str, Any] = {} if clock is None else {"clock": clock}
    service = RunService(
        *targets,
        store=store,
        max_runs=max_runs,
        when_full=when_full,
        on_disconnect=on_disconnect,
        run_timeout=run_timeout,
        **extra,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        yield
        await service.aclose()

    return build_app(
        service,
        lifespan=lifespan,
        tokens=Tokens(tokens),
        rate_limit=rate_limit,
        max_body=max_body,
        cors_origins=list(cors_origins) if cors_origins is not None else None,
    )

"""The tools of one MCP server for agents: :class:`MCPToolset`.

What always holds:

- one session per toolset, owned by a background task on the event loop that
  opened it (:mod:`.session`); calls from any task, or from another event loop
  such as the one behind ``run_sync``, share it, and a cancelled call or run
  never tears it down;
- every call has a time limit; a server that dies mid-call gives a tool error
  that says why, and the next call opens a new session;
- a failure of any kind while connecting stops the server process and reaps
  it before the error is raised; so does :meth:`MCPToolset.aclose`;
- an HTTP server that has forgotten the session (404, or 400 about the
  session) gets one new session and the call is sent again; a second refusal
  in the same call is a tool error;
- every tool call asks for progress; each report becomes a
  :class:`~llmkit.events.ToolProgress` published on the bus and handed to
  ``on_progress``, on the event loop of the caller;
- the sampling capability is declared only with ``sampling_model=``.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from llmkit._optional import require
from llmkit._sync import run_sync
from llmkit.errors import ToolError, UsageError
from llmkit.tools._mcp.content import result_content, tool_name
from llmkit.tools._mcp.http import HTTPInfo, HTTPServer
from llmkit.tools._mcp.progress import OnProgress, progress_callback
from llmkit.tools._mcp.sampling import ApproveSampling, Sampler
from llmkit.tools._mcp.session import Server, Session, explain, sentence
from llmkit.tools._mcp.stdio import StdioServer
from llmkit.tools._schema_tool import SchemaTool
from llmkit.tools._tool import Tool
from llmkit.types import ContentPart

if TYPE_CHECKING:
    from llmkit.bus import Bus
    from llmkit.context import RunContext
    from llmkit.providers.base import Model

__all__ = ["MCPToolset"]


def _mcp() -> Any:
    return require("mcp", extra="mcp", feature="MCP servers", package="mcp (v2)")


class _SessionGone(Exception):
    """The HTTP server no longer knows the session (the call was not run)."""


class MCPToolset:
    """The tools of one MCP server, for agents: ``tools=[*await toolset.tools()]``.

    Build it with :meth:`stdio` (a server run as a subprocess) or :meth:`http`
    (streamable HTTP). Options:

    - ``prefix``: put before every tool name (two servers may both have ``search``);
    - ``include`` / ``exclude``: the server's tool names to offer or to hide;
    - ``timeout``: seconds one call may take (a longer call becomes a tool error);
    - ``connect_timeout``: seconds to start the server and open the session;
    - ``on_progress``: called with each progress report of a running tool;
    - ``bus``: where progress events are published (default: :func:`llmkit.bus`);
    - ``sampling_model``: a model (or ``"provider/model"``) that answers the
      server's sampling requests, or :data:`AGENT_MODEL` for the model of the
      agent calling the tool; without it the server cannot sample;
    - ``sampling_max_tokens``: cap on the tokens of one sampled answer;
    - ``sampling_max_requests``: how many sampling requests the toolset
      answers in its life (None: no limit);
    - ``approve_sampling``: sees each :class:`SamplingRequest`; True answers it,
      False refuses it (the server gets an MCP error).
    """

    def __init__(
        self,
        server: Server,
        *,
        prefix: str = "",
        include: Iterable[str] | None = None,
        exclude: Iterable[str] = (),
        timeout: float = 60.0,
        connect_timeout: float = 30.0,
        on_progress: OnProgress | None = None,
        bus: Bus | None = None,
        sampling_model: Model | str | None = None,
        sampling_max_tokens: int = 1024,
        sampling_max_requests: int | None = 20,
        approve_sampling: ApproveSampling | None = None,
    ) -> None:
        if not isinstance(server, StdioServer | HTTPServer):
            raise UsageError(
                "Build an MCPToolset with MCPToolset.stdio(...) or MCPToolset.http(...)."
            )
        if timeout <= 0 or connect_timeout <= 0:
            raise UsageError("timeout and connect_timeout must be positive numbers of seconds.")
        _check_callable(on_progress, "on_progress")
        _check_callable(approve_sampling, "approve_sampling")
        if bus is not None:
            from llmkit.bus import Bus

            if not isinstance(bus, Bus):
                raise UsageError(f"bus= takes a llmkit Bus, not {type(bus).__name__}.")
        self.server = server
        self.prefix = prefix
        self.include = None if include is None else frozenset(include)
        self.exclude = frozenset(exclude)
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.on_progress = on_progress
        self.bus = bus
        self.sampler = self._sampler(
            sampling_model, sampling_max_tokens, sampling_max_requests, approve_sampling
        )
        """What answers the server's sampling requests (None: sampling is not offered)."""
        self._session: Session | None = None
        self._guard = threading.Lock()
        self._tools: list[Tool[..., Any]] | None = None
        self._callers: dict[int, Model] = {}

    def _sampler(
        self,
        model: Model | str | None,
        max_tokens: int,
        max_requests: int | None,
        approve: ApproveSampling | None,
    ) -> Sampler | None:
        if model is None:
            if approve is not None:
                raise UsageError(
                    "approve_sampling= needs sampling_model= (the model that answers)."
                )
            return None
        from llmkit.providers.base import Model

        if not isinstance(model, str | Model):
            raise UsageError(
                "sampling_model= takes a Model, a 'provider/model' string, or AGENT_MODEL; "
                f"not {type(model).__name__}."
            )
        if not isinstance(max_tokens, int) or max_tokens < 1:
            raise UsageError("sampling_max_tokens= takes a positive number of tokens.")
        if max_requests is not None and (not isinstance(max_requests, int) or max_requests < 0):
            raise UsageError(
                "sampling_max_requests= takes a number of requests (0 or more) or None."
            )
        return Sampler(
            model,
            server=str(self.server),
            max_tokens=max_tokens,
            max_requests=max_requests,
            approve=approve,
            agent_models=self._agent_models,
        )

    @classmethod
    def stdio(
        cls,
        command: str,
        args: Sequence[str] = (),
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        errlog: TextIO | None = None,
        **options: Any,
    ) -> MCPToolset:
        """A server started as ``command args``, spoken to over its stdin and stdout.

        The server sees only a few safe variables of this process's environment
        (``PATH``, ``HOME`` …) plus ``env``; ``errlog`` receives its stderr
        (default: this process's stderr), and its last lines are quoted when
        the server exits.
        """
        server = StdioServer(
            command,
            tuple(args),
            dict(env or {}),
            None if cwd is None else os.fspath(cwd),
            errlog,
        )
        return cls(server, **options)

    @classmethod
    def http(
        cls, url: str, *, headers: Mapping[str, str] | None = None, **options: Any
    ) -> MCPToolset:
        """A server at ``url`` over streamable HTTP; ``headers`` go with every request."""
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise UsageError(f"MCPToolset.http needs an http or https URL, not {url!r}.")
        return cls(HTTPServer(url, dict(headers or {})), **options)

    # ------------------------------------------------------------------ session

    def _connected(self) -> Session:
        """The live session (on this loop or another running one), started here when there is none."""
        mcp = _mcp()  # a missing SDK is the caller's to fix: say so before starting anything
        loop = asyncio.get_running_loop()
        with self._guard:
            session = self._session
            if session is None or not session.usable_from(loop):
                session = self._session = Session(loop, self.server)
                options: dict[str, Any] = {}
                if self.sampler is not None:
                    options["sampling_callback"] = self.sampler
                session.start(lambda transport: mcp.Client(transport, **options))
        return session

    async def _ready(self, session: Session) -> Any:
        """The session's client, once connected; runs on the session's own loop."""
        try:
            async with asyncio.timeout(self.connect_timeout):
                await asyncio.shield(session.ready)
        except TimeoutError:
            await self._discard(session)
            raise ToolError(
                f"The MCP server {self.server} did not start within {self.connect_timeout:g} s."
            ) from None
        except (UsageError, asyncio.CancelledError):
            raise
        except Exception as exc:
            await self._discard(session)
            why = explain(exc, self.server, session.info)
            raise ToolError(
                sentence(f"Cannot connect to the MCP server {self.server}", why)
            ) from exc
        return session.client

    async def _discard(self, session: Session) -> None:
        """Stop ``session`` and wait until it has ended (its server process reaped)."""
        with self._guard:
            if self._session is session:
                self._session = None
        session.stop()
        await session.ended()

    async def _on_owner(self, session: Session, coro: Any) -> Any:
        """Run ``coro`` on the loop that owns ``session`` (here, or there through a future)."""
        if session.loop is asyncio.get_running_loop():
            return await coro
        future = asyncio.run_coroutine_threadsafe(coro, session.loop)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            future.cancel()
            raise

    async def _retrying(self, what: str, make: Callable[[Session], Any]) -> Any:
        """``make(session)`` on the owner loop; once more on a new session if the server forgot it."""
        session = self._connected()
        try:
            return await self._on_owner(session, make(session))
        except _SessionGone:
            pass
        session = self._connected()
        try:
            return await self._on_owner(session, make(session))
        except _SessionGone:
            info = session.info
            assert isinstance(info, HTTPInfo)
            raise ToolError(
                f"The MCP server {self.server} refused {what}: it did not know the session "
                f"(HTTP {info.status} at {info.path}) twice, the second time right after a new "
                "session was opened. Check that the URL reaches one server."
            ) from None

    async def _after_failure(self, session: Session, exc: Exception, *, lost: bool) -> None:
        """Discard ``session`` when ``exc`` ended it; raise _SessionGone when the server forgot it."""
        info = session.info
        gone = isinstance(info, HTTPInfo) and info.session_gone
        if gone or lost:
            await self._discard(session)
        if gone:
            raise _SessionGone from exc

    # ------------------------------------------------------------------ tools

    async def list_tools(self) -> list[Any]:
        """The server's tool descriptions (MCP ``Tool`` objects), every page."""
        return list(await self._retrying("to list its tools", self._list))

    async def _list(self, session: Session) -> list[Any]:
        client = await self._ready(session)
        found: list[Any] = []
        cursor = None
        try:
            async with asyncio.timeout(self.timeout):
                while True:
                    page = await client.list_tools(cursor=cursor)
                    found.extend(page.tools)
                    cursor = page.next_cursor
                    if not cursor:
                        return found
        except TimeoutError:
            raise ToolError(
                f"The MCP server {self.server} did not list its tools in time."
            ) from None
        except Exception as exc:
            await self._after_failure(session, exc, lost=True)
            why = explain(exc, self.server, session.info)
            raise ToolError(
                sentence(f"The MCP server {self.server} failed to list its tools", why)
            ) from exc

    async def tools(self, *, refresh: bool = False) -> list[Tool[..., Any]]:
        """The server's tools as llmkit tools (connecting first); cached unless ``refresh``."""
        if self._tools is not None and not refresh:
            return list(self._tools)
        made: list[Tool[..., Any]] = []
        for described in await self.list_tools():
            name = str(described.name)
            if (self.include is not None and name not in self.include) or name in self.exclude:
                continue
            made.append(self._tool(described))
        self._tools = made
        return list(made)

    def tools_sync(self, *, refresh: bool = False) -> list[Tool[..., Any]]:
        """:meth:`tools` for sync code (the session lives on llmkit's background loop)."""
        return run_sync(self.tools(refresh=refresh))

    def _tool(self, described: Any) -> Tool[..., Any]:
        name = str(described.name)

        async def call(
            context: RunContext[Any] | None = None, /, **arguments: Any
        ) -> str | list[ContentPart]:
            return await self.call(name, arguments, context=context)

        text = described.description or getattr(described, "title", None) or f"MCP tool {name}."
        schema = dict(described.input_schema or {"type": "object"})
        return SchemaTool(
            call,
            name=tool_name(self.prefix, name),
            description=" ".join(str(text).split()),
            parameters=schema,
            category="mcp",
            takes_ctx=True,
        )

    async def call(
        self,
        name: str,
        arguments: Mapping[str, Any],
        *,
        context: RunContext[Any] | None = None,
    ) -> str | list[ContentPart]:
        """Call the server's tool ``name``; a failure of any kind raises ToolError.

        ``context`` is the run context of the agent run making the call: its
        ids go on the progress events, and its model answers sampling
        requests when ``sampling_model=AGENT_MODEL``.
        """
        from llmkit.bus import active_bus

        progress = progress_callback(
            tool_name(self.prefix, name),
            context,
            bus=active_bus(self.bus),
            on_progress=self.on_progress,
        )
        key = id(progress)
        model = context.model if context is not None else None
        if model is not None:
            with self._guard:
                self._callers[key] = model
        try:
            result: str | list[ContentPart] = await self._retrying(
                f"the call of {name!r}",
                lambda session: self._call(session, name, dict(arguments), progress),
            )
        finally:
            if model is not None:
                with self._guard:
                    self._callers.pop(key, None)
        return result

    async def _call(
        self, session: Session, name: str, arguments: dict[str, Any], progress: Any
    ) -> str | list[ContentPart]:
        client = await self._ready(session)
        try:
            async with asyncio.timeout(self.timeout):
                result = await client.call_tool(name, arguments, progress_callback=progress)
        except TimeoutError:
            raise ToolError(
                f"The MCP tool {name!r} did not answer within {self.timeout:g} s."
            ) from None
        except Exception as exc:
            lost = _lost(exc)
            await self._after_failure(session, exc, lost=lost)
            if lost:
                why = explain(exc, self.server, session.info)
                raise ToolError(
                    f"The connection to the MCP server {self.server} was lost during {name!r} "
                    "(the next call reconnects): " + why + ("" if "\n" in why else ".")
                ) from exc
            raise ToolError(f"The MCP tool {name!r} failed: {explain_call(exc)}.") from exc
        return result_content(result, name)

    def _agent_models(self) -> set[Any]:
        with self._guard:
            return set(self._callers.values())

    # ------------------------------------------------------------------ closing

    async def aclose(self) -> None:
        """Close the session (a subprocess server is stopped and reaped). The toolset can connect again."""
        with self._guard:
            session, self._session = self._session, None
        if session is None:
            return
        session.stop()
        await session.ended()

    def close_sync(self) -> None:
        """:meth:`aclose` for sync code."""
        run_sync(self.aclose())

    async def __aenter__(self) -> MCPToolset:
        session = self._connected()
        await self._on_owner(session, self._ready(session))
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<MCPToolset {self.server}>"


def _check_callable(value: Any, option: str) -> None:
    if value is not None and not callable(value):
        raise UsageError(f"{option}= takes a function, not {type(value).__name__}.")


def _lost(exc: BaseException) -> bool:
    """Whether ``exc`` says the connection is gone (rather than that one call failed)."""
    import anyio

    if isinstance(exc, anyio.ClosedResourceError | anyio.BrokenResourceError | anyio.EndOfStream):
        return True
    if isinstance(exc, ConnectionError | EOFError):
        return True
    error = getattr(exc, "error", None)
    return getattr(error, "code", None) == -32000  # CONNECTION_CLOSED in the MCP SDK


def explain_call(exc: BaseException) -> str:
    """``Type: message`` for a call that failed while the session stays."""
    text = str(getattr(exc, "message", "") or exc).rstrip(".")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

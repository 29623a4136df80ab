"""MCP servers as tool sources: :class:`MCPToolset`.

::

    from llmkit.tools.mcp import MCPToolset

    files = MCPToolset.stdio("uvx", ["mcp-server-fetch"])
    remote = MCPToolset.http("https://mcp.example.com/mcp", headers={"Authorization": "Bearer …"})
    agent = Agent(model, tools=[*await files.tools(), *await remote.tools()])
    ...
    await files.aclose()

Needs the ``mcp`` package (``pip install 'llmkit[mcp]'``, the v2 SDK),
imported the first time a toolset connects.

One session per toolset, owned by a background task on the event loop that
opened it, so a run that is cancelled, or several runs at once, never tear
it down: calls from any task (or from another event loop, such as the one
behind ``run_sync``) share it. Every call has a time limit; a server that
dies mid-call gives a tool error instead of a hung run, and the next call
opens a new session.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from llmkit._optional import require
from llmkit._sync import run_sync
from llmkit.errors import ToolError, UsageError
from llmkit.tools._mcp_content import result_content, tool_name
from llmkit.tools._schema_tool import SchemaTool
from llmkit.tools._tool import Tool
from llmkit.types import ContentPart

__all__ = ["MCPToolset"]


def _mcp() -> Any:
    return require("mcp", extra="mcp", feature="MCP servers", package="mcp (v2)")


@dataclass(frozen=True, slots=True)
class _Stdio:
    command: str
    args: tuple[str, ...]
    env: Mapping[str, str] | None
    cwd: str | None
    errlog: TextIO | None

    def transport(self) -> tuple[Any, Any]:
        from mcp.client.stdio import StdioServerParameters, stdio_client

        params = StdioServerParameters(
            command=self.command, args=list(self.args), env=dict(self.env or {}), cwd=self.cwd
        )
        return stdio_client(params, errlog=self.errlog or sys.stderr), None

    def __str__(self) -> str:
        return " ".join([self.command, *self.args])


@dataclass(frozen=True, slots=True)
class _HTTP:
    url: str
    headers: Mapping[str, str] = field(repr=False)

    def transport(self) -> tuple[Any, Any]:
        from mcp.client.streamable_http import streamable_http_client
        from mcp.shared._httpx_utils import create_mcp_http_client

        client = create_mcp_http_client(headers=dict(self.headers))
        return streamable_http_client(self.url, http_client=client), client

    def __str__(self) -> str:
        return self.url


class _Session:
    """One connected MCP client, kept open by an owner task until it is stopped."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.client: Any = None
        self.ready: asyncio.Future[None] = loop.create_future()
        self.stop = asyncio.Event()
        self.dead = False
        self.task: asyncio.Task[None] | None = None

    async def own(self, server: _Stdio | _HTTP) -> None:
        http_client = None
        try:
            mcp = _mcp()
            transport, http_client = server.transport()
            async with mcp.Client(transport) as client:
                self.client = client
                self.ready.set_result(None)
                await self.stop.wait()
        except BaseException as exc:  # handed to whoever waits for the session
            if isinstance(exc, asyncio.CancelledError):
                self.ready.cancel()
                raise
            if not self.ready.done():
                self.ready.set_exception(exc)
        finally:
            self.dead = True
            if http_client is not None:
                await http_client.aclose()

    def usable_from(self, loop: asyncio.AbstractEventLoop) -> bool:
        return not self.dead and (self.loop is loop or not self.loop.is_closed())


class MCPToolset:
    """The tools of one MCP server, for agents: ``tools=[*await toolset.tools()]``.

    Build it with :meth:`stdio` (a server run as a subprocess) or :meth:`http`
    (streamable HTTP). Options:

    - ``prefix``: put before every tool name (two servers may both have ``search``);
    - ``include`` / ``exclude``: the server's tool names to offer or to hide;
    - ``timeout``: seconds one call may take (a longer call becomes a tool error);
    - ``connect_timeout``: seconds to start the server and open the session.
    """

    def __init__(
        self,
        server: _Stdio | _HTTP,
        *,
        prefix: str = "",
        include: Iterable[str] | None = None,
        exclude: Iterable[str] = (),
        timeout: float = 60.0,
        connect_timeout: float = 30.0,
    ) -> None:
        if not isinstance(server, _Stdio | _HTTP):
            raise UsageError(
                "Build an MCPToolset with MCPToolset.stdio(...) or MCPToolset.http(...)."
            )
        if timeout <= 0 or connect_timeout <= 0:
            raise UsageError("timeout and connect_timeout must be positive numbers of seconds.")
        self.server = server
        self.prefix = prefix
        self.include = None if include is None else frozenset(include)
        self.exclude = frozenset(exclude)
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._session: _Session | None = None
        self._guard = threading.Lock()
        self._tools: list[Tool[..., Any]] | None = None

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
        (default: this process's stderr).
        """
        return cls(
            _Stdio(command, tuple(args), env, None if cwd is None else os.fspath(cwd), errlog),
            **options,
        )

    @classmethod
    def http(
        cls, url: str, *, headers: Mapping[str, str] | None = None, **options: Any
    ) -> MCPToolset:
        """A server at ``url`` over streamable HTTP; ``headers`` go with every request."""
        if not url.startswith(("http://", "https://")):
            raise UsageError(f"MCPToolset.http needs an http or https URL, not {url!r}.")
        return cls(_HTTP(url, dict(headers or {})), **options)

    # ------------------------------------------------------------------ session

    def _connected(self) -> _Session:
        """The live session (on this loop or another running one), started here when there is none."""
        _mcp()  # a missing SDK is the caller's to fix: say so before starting anything
        loop = asyncio.get_running_loop()
        with self._guard:
            session = self._session
            if session is None or not session.usable_from(loop):
                session = self._session = _Session(loop)
                session.task = loop.create_task(session.own(self.server), name=f"mcp {self.server}")
        return session

    async def _ready(self, session: _Session) -> Any:
        """The session's client, once connected; runs on the session's own loop."""
        try:
            async with asyncio.timeout(self.connect_timeout):
                await asyncio.shield(session.ready)
        except TimeoutError:
            self._discard(session)
            raise ToolError(
                f"The MCP server {self.server} did not start within {self.connect_timeout:g} s."
            ) from None
        except (UsageError, asyncio.CancelledError):
            raise
        except Exception as exc:
            self._discard(session)
            raise ToolError(
                f"Cannot connect to the MCP server {self.server}: {_say(exc)}."
            ) from exc
        return session.client

    def _discard(self, session: _Session) -> None:
        session.dead = True
        with self._guard:
            if self._session is session:
                self._session = None
        _stop(session)

    async def _on_owner(self, session: _Session, coro: Any) -> Any:
        """Run ``coro`` on the loop that owns ``session`` (here, or there through a future)."""
        if session.loop is asyncio.get_running_loop():
            return await coro
        future = asyncio.run_coroutine_threadsafe(coro, session.loop)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            future.cancel()
            raise

    # ------------------------------------------------------------------ tools

    async def list_tools(self) -> list[Any]:
        """The server's tool descriptions (MCP ``Tool`` objects), every page."""
        session = self._connected()
        return list(await self._on_owner(session, self._list(session)))

    async def _list(self, session: _Session) -> list[Any]:
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
            self._discard(session)
            raise ToolError(
                f"The MCP server {self.server} failed to list its tools: {_say(exc)}."
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

        async def call(**arguments: Any) -> str | list[ContentPart]:
            return await self.call(name, arguments)

        text = described.description or getattr(described, "title", None) or f"MCP tool {name}."
        schema = dict(described.input_schema or {"type": "object"})
        return SchemaTool(
            call,
            name=tool_name(self.prefix, name),
            description=" ".join(str(text).split()),
            parameters=schema,
            category="mcp",
        )

    async def call(self, name: str, arguments: Mapping[str, Any]) -> str | list[ContentPart]:
        """Call the server's tool ``name``; a failure of any kind raises ToolError."""
        session = self._connected()
        result: str | list[ContentPart] = await self._on_owner(
            session, self._call(session, name, dict(arguments))
        )
        return result

    async def _call(
        self, session: _Session, name: str, arguments: dict[str, Any]
    ) -> str | list[ContentPart]:
        client = await self._ready(session)
        try:
            async with asyncio.timeout(self.timeout):
                result = await client.call_tool(name, arguments)
        except TimeoutError:
            raise ToolError(
                f"The MCP tool {name!r} did not answer within {self.timeout:g} s."
            ) from None
        except Exception as exc:
            if _lost(exc):
                self._discard(session)
                raise ToolError(
                    f"The connection to the MCP server {self.server} was lost during {name!r} "
                    "(the server may have crashed); the next call reconnects."
                ) from exc
            raise ToolError(f"The MCP tool {name!r} failed: {_say(exc)}.") from exc
        return result_content(result, name)

    # ------------------------------------------------------------------ closing

    async def aclose(self) -> None:
        """Close the session (a subprocess server is stopped). The toolset can connect again."""
        with self._guard:
            session, self._session = self._session, None
        if session is None or session.task is None or session.loop.is_closed():
            return  # a loop that has ended took its session down with it
        _stop(session)
        if session.loop is asyncio.get_running_loop():
            await asyncio.shield(session.task)
        elif not session.loop.is_closed():

            async def wait() -> None:
                assert session.task is not None
                await session.task

            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(wait(), session.loop))

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


def _stop(session: _Session) -> None:
    """Ask the owner task of ``session`` to close it (from any thread)."""
    with contextlib.suppress(RuntimeError):  # its loop is closed: the session closed with it
        session.loop.call_soon_threadsafe(session.stop.set)


def _lost(exc: BaseException) -> bool:
    """Whether ``exc`` says the connection is gone (rather than that one call failed)."""
    import anyio

    if isinstance(exc, anyio.ClosedResourceError | anyio.BrokenResourceError | anyio.EndOfStream):
        return True
    if isinstance(exc, ConnectionError | EOFError):
        return True
    error = getattr(exc, "error", None)
    return getattr(error, "code", None) == -32000  # CONNECTION_CLOSED in the MCP SDK


def _say(exc: BaseException) -> str:
    text = str(getattr(exc, "message", "") or exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

"""llmkit tools and agents served to any MCP client: :class:`MCPToolServer`.

::

    from llmkit.serve import MCPToolServer

    server = MCPToolServer([add, search_box, support_agent], name="support")
    await server.serve_stdio()                     # a subprocess of an MCP client
    await server.serve_http(port=8000)             # streamable HTTP on 127.0.0.1:8000/mcp

What always holds:

- the tools are gathered once, when the server is built: a :class:`Toolbox`
  (every tool in it), a :class:`Tool`, a plain function (made a tool), an
  :class:`Agent` (served as ``agent.as_tool()``: one text argument, ``input``),
  or a list of these; two tools with one name, a tool that requires approval
  (MCP has no approval step to hold it for) and an empty list are
  :class:`~llmkit.errors.UsageError` before anything is served;
- a call runs as an agent runs a tool call (``llmkit._agent.calls``): the
  arguments are checked against the tool's schema, then the tool runs under
  its own timeout, and its value is serialised as for a model. Whatever goes
  wrong (arguments that do not fit, ``ToolError``, any exception, a timeout,
  a value that cannot be sent) is an MCP result with ``isError`` set whose
  text says what to fix or what the tool raised: never a traceback, which is
  logged on the ``llmkit`` logger (stderr) instead;
- an unknown tool name is a JSON-RPC error (-32602, invalid params) that
  lists the tools served;
- the MCP SDK (the ``mcp`` extra) is imported when a server is served or
  :meth:`MCPToolServer.sdk_server` is asked for, not when one is built;
- :meth:`MCPToolServer.serve_http` binds 127.0.0.1 unless told otherwise; on
  a loopback host the SDK's DNS-rebinding protection (Host and Origin
  checks) is on;
- over stdio, stdout carries only the protocol: while it serves, the SDK
  points file descriptor 1 at stderr and ``sys.stdout`` is ``sys.stderr``, so
  a stray ``print`` in a tool lands on stderr at once.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TextIO, TypeAlias

from llmkit._agent.calls import PlannedCall, execute, plan_tool_call
from llmkit._optional import require
from llmkit._uvicorn import UvicornServer
from llmkit._version import __version__
from llmkit.context import RunContext
from llmkit.errors import ToolExecutionError, UsageError
from llmkit.serve._mcp_content import call_result, error_call_result
from llmkit.tools._tool import Tool
from llmkit.tools._toolbox import Toolbox
from llmkit.types import JSONDict, ToolCall, ToolResult

if TYPE_CHECKING:
    from llmkit.agent import Agent

__all__ = ["MCPToolServer", "ServedTools", "gather_tools"]

ServedTools: TypeAlias = (
    "Toolbox | Tool[..., Any] | Agent[Any] | Callable[..., Any] | Iterable[ServedTools]"
)
"""What a server serves: a toolbox, a tool, an agent, a function, or a list of these."""

_log = logging.getLogger("llmkit")


def _mcp() -> Any:
    return require("mcp", extra="mcp", feature="Serving tools over MCP", package="mcp (v2)")


def gather_tools(source: object) -> list[Tool[..., Any]]:
    """The tools ``source`` names (see :data:`ServedTools`), in order; UsageError when it names none."""
    found: list[Tool[..., Any]] = []
    _gather(source, found, depth=0)
    if not found:
        raise UsageError(
            "There is no tool to serve: pass a Toolbox, a tool, an agent, a function, or a "
            "list of them."
        )
    names: dict[str, Tool[..., Any]] = {}
    for tool in found:
        if tool.name in names:
            raise UsageError(
                f"Two tools are named {tool.name!r}: rename one (@tool(name=...), or "
                "agent.as_tool(name=...)) so a client can tell them apart."
            )
        if tool.requires_approval:
            raise UsageError(
                f"Tool {tool.name!r} requires approval, and an MCP client calls tools without "
                "one: serve a version without requires_approval=True, or leave it out."
            )
        names[tool.name] = tool
    return found


def _gather(source: object, found: list[Tool[..., Any]], *, depth: int) -> None:
    from llmkit.agent import Agent

    if isinstance(source, Tool):
        found.append(source)
    elif isinstance(source, Toolbox):
        found.extend(source.tools())
    elif isinstance(source, Agent):
        found.append(source.as_tool())
    elif isinstance(source, str | bytes | dict) or depth > 3:
        raise UsageError(
            f"Cannot serve a {type(source).__name__} as a tool: pass a Toolbox, a tool, an "
            "agent, a function, or a list of them."
        )
    elif callable(source):
        found.append(Tool(source))
    elif isinstance(source, Iterable):
        for item in source:
            _gather(item, found, depth=depth + 1)
    else:
        raise UsageError(
            f"Cannot serve a {type(source).__name__} as a tool: pass a Toolbox, a tool, an "
            "agent, a function, or a list of them."
        )


class MCPToolServer:
    """An MCP server offering llmkit tools, and agents as tools, to any MCP client.

    ``tools`` is a :data:`ServedTools`. Options:

    - ``name``, ``version``, ``instructions``: what the server tells a client
      about itself when it connects;
    - ``deps``: the ``deps`` of the :class:`~llmkit.context.RunContext` that
      tools taking one receive (an agent served as a tool gets them too,
      unless it has its own).
    """

    def __init__(
        self,
        tools: ServedTools,
        *,
        name: str = "llmkit",
        version: str = __version__,
        instructions: str | None = None,
        deps: Any = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise UsageError("MCPToolServer(name=...) takes a non-empty string.")
        self.tools: dict[str, Tool[..., Any]] = {t.name: t for t in gather_tools(tools)}
        """The tools served, by name, in the order they were given."""
        self.name = name
        self.version = version
        self.instructions = instructions
        self.deps = deps

    async def call(self, name: str, arguments: JSONDict) -> ToolResult:
        """Run tool ``name`` on ``arguments`` as a client's call would; the result (maybe an error).

        Raises :class:`~llmkit.errors.UsageError` when no tool is called ``name``.
        """
        tool = self.tools.get(name)
        if tool is None:
            raise UsageError(f"No tool named {name!r} here; the tools are: {self._known()}.")
        call = ToolCall(f"mcp_{uuid.uuid4().hex[:16]}", name, dict(arguments))
        planned: PlannedCall = plan_tool_call(call, tool, self._known())
        if planned.result is None:
            ctx: RunContext[Any] = RunContext(deps=self.deps, run_id=call.id, agent=self.name)
            try:
                await execute(planned, ctx, run_id=call.id, tool_errors="return")
            except ToolExecutionError as exc:  # a tool declared errors="raise": still its result
                return ToolResult(call.id, str(exc), is_error=True, name=name)
        assert planned.result is not None
        return planned.result

    def _known(self) -> str:
        return ", ".join(self.tools) or "none"

    # ------------------------------------------------------------------ the MCP SDK side

    def sdk_server(self) -> Any:
        """The MCP SDK's low-level ``Server`` serving these tools (for a transport of your own).

        Pass it to ``mcp.Client(server)`` to talk to it in process (tests), or
        run it on streams with ``server.run(read, write, server.create_initialization_options())``.
        """
        _mcp()
        import mcp_types
        from mcp.server.lowlevel import Server

        listed = mcp_types.ListToolsResult(tools=[_listed(tool) for tool in self.tools.values()])

        async def list_tools(ctx: Any, params: Any) -> Any:
            return listed

        async def call_tool(ctx: Any, params: Any) -> Any:
            from mcp.shared.exceptions import MCPError

            arguments = params.arguments if params.arguments is not None else {}
            if params.name not in self.tools:
                raise MCPError(
                    mcp_types.INVALID_PARAMS,
                    f"Unknown tool {params.name!r}; the tools are: {self._known()}.",
                )
            try:
                result = await self.call(params.name, arguments)
            except UsageError as exc:  # a value the tool machinery refused outright
                return error_call_result(str(exc))
            return call_result(result)

        return Server(
            self.name,
            version=self.version,
            instructions=self.instructions,
            on_list_tools=list_tools,
            on_call_tool=call_tool,
        )

    async def serve_stdio(self) -> None:
        """Serve one client over this process's stdin and stdout until stdin closes."""
        server = self.sdk_server()
        from mcp.server.stdio import stdio_server

        async with stdio_server() as (read, write):
            # The SDK serves the wire from its own copy of fd 1 and points fd 1 at stderr; a
            # print goes to sys.stdout's buffer first, which now writes to stderr at once.
            with contextlib.redirect_stdout(sys.stderr):
                await server.run(read, write, server.create_initialization_options())

    def http_app(self, *, path: str = "/mcp", host: str = "127.0.0.1") -> Any:
        """An ASGI app serving streamable HTTP at ``path`` (``host``: the one it will be reached on)."""
        if not isinstance(path, str) or not path.startswith("/"):
            raise UsageError(f"path={path!r}: give the URL path, starting with '/', e.g. '/mcp'.")
        return self.sdk_server().streamable_http_app(streamable_http_path=path, host=host)

    async def serve_http(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        path: str = "/mcp",
        announce: TextIO | None = None,
    ) -> None:
        """Serve streamable HTTP on ``host:port`` at ``path`` until cancelled.

        ``port=0`` takes a free port. Once it listens, the URL is written as one
        line to ``announce`` (default: stderr): ``MCP server at http://HOST:PORT/mcp``.
        """
        if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
            raise UsageError(f"port={port!r}: give a port number from 0 to 65535.")
        app = self.http_app(path=path, host=host)
        server = UvicornServer(
            app, host=host, port=port, name="llmkit-mcp-server", log_level="warning", lifespan="on"
        )
        out = announce if announce is not None else sys.stderr

        def listening(address: tuple[str, int]) -> None:
            shown = f"[{host}]" if ":" in host else host
            print(f"MCP server at http://{shown}:{address[1]}{path}", file=out, flush=True)

        await server.serve(ready=listening)

    def __repr__(self) -> str:
        return f"<MCPToolServer {self.name!r} tools={list(self.tools)}>"


def _listed(tool: Tool[..., Any]) -> Any:
    import mcp_types

    annotations = mcp_types.ToolAnnotations(idempotent_hint=True) if tool.idempotent else None
    return mcp_types.Tool(
        name=tool.name,
        description=tool.description or None,
        input_schema=tool.spec.parameters,
        annotations=annotations,
    )

"""``llmkit mcp serve TARGET``: serve tools, and agents as tools, to MCP clients.

::

    llmkit mcp serve app.py:tools                    # over stdio, for a client that starts it
    llmkit mcp serve app.py:tools --http --port 8000 # streamable HTTP at http://127.0.0.1:8000/mcp
    llmkit mcp serve mypkg.agents:support --name support

``TARGET`` is ``path/to/app.py:NAME`` or ``package.module:NAME`` naming a
``Toolbox``, a tool, an agent, a function, or a list of them (see
:class:`llmkit.serve.MCPToolServer`).

What it guarantees: over stdio, stdout carries only MCP messages (what the
app prints while it is imported goes to stderr, and so does everything
printed while serving); over HTTP, one line on stderr gives the URL once the
server listens (``--port 0`` takes a free port), and the server binds
127.0.0.1 unless ``--host`` says otherwise. Exit status: 0 the client went
away (stdin closed) or the server was stopped; 2 the command line or the
target is wrong (not a tool source, two tools with one name); 3 the setup is
wrong (the ``mcp`` extra is missing, the app fails to import); 130 Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from typing import Any

from llmkit._cli.codes import ExitCode
from llmkit._cli.workflow import import_object

__all__ = ["add_command", "load_quietly"]

_TARGET_HELP = (
    "what to serve: path/to/app.py:NAME or package.module:NAME, naming a Toolbox, a tool, an "
    "agent, a function, or a list of them"
)


def add_command(commands: Any) -> None:
    """Add ``llmkit mcp`` (``serve``) to the ``llmkit`` command's subparsers."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "mcp",
        help="serve tools and agents over the Model Context Protocol",
        description="MCP: serve llmkit tools, and agents as tools, to any MCP client.",
    )
    actions = parser.add_subparsers(dest="mcp_command", metavar="ACTION", required=True)
    serve = actions.add_parser(
        "serve",
        help="serve tools over stdio (default) or streamable HTTP",
        description=(
            "Serve tools, and agents as tools, to MCP clients: over stdio (for a client that "
            "starts this command) or, with --http, over streamable HTTP on 127.0.0.1."
        ),
    )
    serve.add_argument("target", metavar="TARGET", help=_TARGET_HELP)
    serve.add_argument("--http", action="store_true", help="streamable HTTP instead of stdio")
    serve.add_argument("--host", default="127.0.0.1", help="HTTP address to bind (127.0.0.1)")
    serve.add_argument(
        "--port", type=int, default=8000, help="HTTP port (8000; 0 takes a free one)"
    )
    serve.add_argument("--path", default="/mcp", help="HTTP path of the endpoint (/mcp)")
    serve.add_argument("--name", default="llmkit", help="the server's name, told to clients")
    serve.set_defaults(run=_serve)


def load_quietly(target: str, *, what: str, example: str) -> Any:
    """The object ``target`` names, imported with stdout pointed at stderr (it carries a protocol)."""
    with contextlib.redirect_stdout(sys.stderr):
        return import_object(target, what=what, example=example)


def _serve(args: argparse.Namespace) -> int:
    from llmkit.serve import MCPToolServer

    source = load_quietly(args.target, what="TARGET", example="app.py:tools")
    server = MCPToolServer(source, name=args.name)
    if args.http:
        asyncio.run(server.serve_http(host=args.host, port=args.port, path=args.path))
    else:
        asyncio.run(server.serve_stdio())
    return ExitCode.OK

"""A small MCP server for the tests: stdio by default, streamable HTTP with --http PORT."""

from __future__ import annotations

import asyncio
import os
import sys

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.utilities.types import Image

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16

server = MCPServer("llmkit-test")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
def echo(text: str, times: int = 1) -> str:
    """Repeat a text."""
    return " ".join([text] * times)


@server.tool()
def picture() -> Image:
    """A tiny PNG image."""
    return Image(data=PNG, format="png")


_waiting = 0
_everyone_here = asyncio.Event()


@server.tool()
async def wait(seconds: float) -> str:
    """Sleep, then answer."""
    global _waiting
    _waiting += 1
    try:
        await asyncio.sleep(seconds)
    finally:
        _waiting -= 1
    return f"waited {seconds}"


@server.tool()
async def meet(n: int) -> str:
    """Answer "met" once ``n`` calls are here at the same time ("alone" after 30 s)."""
    global _waiting
    _waiting += 1
    try:
        if _waiting >= n:
            _everyone_here.set()
        await asyncio.wait_for(_everyone_here.wait(), 30)
        return "met"
    except TimeoutError:
        return "alone"
    finally:
        _waiting -= 1


@server.tool()
def waiting() -> int:
    """How many calls of ``wait`` and ``meet`` are in progress."""
    return _waiting


@server.tool()
def crash() -> str:
    """Kill the server process mid-call."""
    os._exit(3)


@server.tool()
def fail(reason: str) -> str:
    """Fail with a message."""
    raise ValueError(reason)


@server.tool(name="files.read")
def files_read(path: str) -> str:
    """A dotted name, as some servers use."""
    return f"contents of {path}"


@server.tool()
async def slow_steps(steps: int, ctx: Context) -> str:
    """Report progress after each of ``steps`` short steps."""
    for step in range(1, steps + 1):
        await asyncio.sleep(0.01)
        await ctx.report_progress(step, steps, f"step {step}")
    return f"{steps} steps"


@server.tool()
def pid() -> int:
    """The server's process id."""
    return os.getpid()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--http":
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        server.run()

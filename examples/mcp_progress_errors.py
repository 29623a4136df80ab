"""An MCP tool that reports progress, and what a server that cannot start says.

The example starts its own MCP server (this file, run with --serve, spoken to
over stdio). Its ``index`` tool reports progress as it works: each report
reaches ``on_progress`` and the event bus as a ``tool.progress`` event, naming
the run and the call. Then a server that exits at once shows the error a tool
gets: the exit code and the last lines the server wrote to stderr. The model
is scripted, so it runs offline; needs pip install 'llmkit[mcp]'.

    python examples/mcp_progress_errors.py
"""

# No ``from __future__ import annotations`` here: the server reads its tool's annotations,
# and ``Context`` is imported inside serve(), where they must be evaluated.
import asyncio
import os
import sys

import llmkit
from llmkit import Agent
from llmkit.errors import ToolError
from llmkit.events import ToolProgress
from llmkit.testing import ScriptedModel, tool_call
from llmkit.tools.mcp import MCPToolset


def serve() -> None:
    """The MCP server: one tool that indexes a few files and says how far it is."""
    from mcp.server.mcpserver import Context, MCPServer

    server = MCPServer("indexer")

    @server.tool()
    async def index(files: list[str], ctx: Context) -> str:
        """Index the files, reporting progress after each one."""
        for done, name in enumerate(files, start=1):
            await asyncio.sleep(0.05)
            await ctx.report_progress(done, len(files), f"indexed {name}")
        return f"{len(files)} files indexed"

    server.run()


def show(event: ToolProgress) -> None:
    print(f"[progress] {event.tool}: {event.progress:g}/{event.total:g} {event.message}")


async def main() -> None:
    bus = llmkit.bus()
    steps: list[str] = []
    bus.on("tool.progress", lambda e: steps.append(e.call_id), inline=True)

    toolset = MCPToolset.stdio(sys.executable, [__file__, "--serve"], on_progress=show)
    try:
        model = ScriptedModel(
            [tool_call("index", files=["a.md", "b.md", "c.md"]), "All three files are indexed."]
        )
        result = await Agent(model, tools=await toolset.tools()).run("Index my notes.")
        print(f"[tool result] {result.steps[0].tool_results[0].text}")
        print(f"[bus] {len(steps)} tool.progress events for call {steps[0]}")
        print(f"[answer] {result.output}")
    finally:
        await toolset.aclose()

    broken = MCPToolset.stdio(
        sys.executable,
        ["-c", "import sys; sys.exit('config.toml: no such file')"],
        env={"API_KEY": os.environ.get("API_KEY", "sk-never-shown-in-errors")},
        errlog=open(os.devnull, "w"),  # noqa: SIM115  (its stderr is quoted in the error)
    )
    try:
        await broken.tools()
    except ToolError as exc:
        print(f"[error] {exc}")


if __name__ == "__main__":
    if "--serve" in sys.argv:
        serve()
    else:
        asyncio.run(main())

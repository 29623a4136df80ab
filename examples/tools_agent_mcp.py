"""One agent, several tool families and an MCP server.

The agent gets the file tools (confined to a temporary directory), the
calculator, the data tools and the tools of an MCP server that this example
starts itself (the same file, run with --serve, spoken to over stdio). The
model is scripted, so it runs offline; needs pip install 'llmkit[mcp]'.

    python examples/tools_agent_mcp.py
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from llmkit import Agent, Request
from llmkit.events import RunEnd, ToolCallEvent, ToolResultEvent
from llmkit.testing import FunctionModel, tool_call
from llmkit.tools.builtin import calculator, data, files
from llmkit.tools.mcp import MCPToolset

PRICES = {"apple": 0.5, "bread": 2.25, "coffee": 7.0}


def serve() -> None:
    """The MCP server: a price list with one tool."""
    from mcp.server.mcpserver import MCPServer

    server = MCPServer("shop")

    @server.tool()
    def price_list(items: list[str]) -> dict[str, float]:
        """Unit prices in euros of the given grocery items."""
        return {item: PRICES[item] for item in items if item in PRICES}

    server.run()


def scripted(request: Request) -> object:
    """What the model does: ask the MCP server, compute, save a receipt, answer."""
    done = [r for m in request.messages for r in m.tool_results]
    if not done:
        return tool_call("shop_price_list", items=["apple", "bread"])
    if len(done) == 1:
        return tool_call("calculator", expression="3 * 0.5 + 2 * 2.25")
    if len(done) == 2:
        return tool_call(
            "write_file", path="receipt.txt", content=f"3 apples, 2 breads: {done[1].text} EUR\n"
        )
    if len(done) == 3:
        return tool_call("read_file", path="../outside.txt")
    return f"Three apples and two breads cost {done[1].text} EUR; the receipt is saved."


async def main() -> None:
    shop = MCPToolset.stdio(sys.executable, [__file__, "--serve"], prefix="shop_")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "work"
        root.mkdir()
        try:
            agent = Agent(
                FunctionModel(scripted),
                instructions="You are a shop assistant.",
                tools=[*files(root=root), calculator, *data(), *await shop.tools()],
            )
            print("Tools:", ", ".join(t.name for t in agent.tools))
            async for event in agent.stream(
                "What do three apples and two breads cost? Save a receipt."
            ):
                if isinstance(event, ToolCallEvent):
                    print(f"[tool call] {event.call.name}({event.call.arguments})")
                elif isinstance(event, ToolResultEvent):
                    flag = " (error)" if event.result.is_error else ""
                    print(f"[tool result{flag}] {' '.join(event.result.text.split())}")
                elif isinstance(event, RunEnd):
                    print("[answer]", event.result.output)
            print("Receipt:", (root / "receipt.txt").read_text().strip())
        finally:
            await shop.aclose()


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve()
    else:
        asyncio.run(main())

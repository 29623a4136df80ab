"""An llmkit agent using tools that another llmkit process serves over MCP.

This file is both sides. Its module-level ``tools`` (a tool and an agent
served as a tool) are what ``llmkit mcp serve`` offers:

    llmkit mcp serve examples/serve_mcp_tools.py:tools               # stdio
    llmkit mcp serve examples/serve_mcp_tools.py:tools --http --port 8000

and ``main()`` starts that command as a subprocess and gives its tools to an
agent through ``MCPToolset``. Both agents' model is the fake provider server
of ``llmkit.testing``, so it runs offline; needs pip install 'llmkit[mcp,testing]'.

    python examples/serve_mcp_tools.py
"""

from __future__ import annotations

import asyncio
import os
import sys

from llmkit import Agent, model, tool
from llmkit.events import RunEnd, ToolCallEvent, ToolResultEvent
from llmkit.testing import FakeProviderServer, fake_model, tool_call
from llmkit.tools.mcp import MCPToolset

PRICES = {"apple": 0.5, "bread": 2.25, "coffee": 7.0}


@tool
def price_list(items: list[str]) -> dict[str, float]:
    """Unit prices in euros of the given grocery items."""
    return {item: PRICES[item] for item in items if item in PRICES}


# The served process reads its model's address from the environment (the fake server's here).
baker = Agent(
    model(
        "openai/gpt-4.1-mini",
        base_url=os.environ.get("SHOP_MODEL_URL", "http://127.0.0.1:9/v1"),
        api_key="offline",
    ),
    name="ask_baker",
    description="Ask the baker about bread: what is fresh, what it goes with.",
    instructions="You are the shop's baker. Be brief.",
)

tools = [price_list, baker]


async def main() -> None:
    script = [
        tool_call("price_list", items=["apple", "bread"]),  # the shopper's model
        tool_call("ask_baker", input="Which bread is fresh today?"),
        "The sourdough came out of the oven at seven.",  # the baker's model, in the server
        "Apples are 0.50 EUR, bread 2.25 EUR; the sourdough is fresh from this morning.",
    ]
    with FakeProviderServer(script) as fake:
        shop = MCPToolset.stdio(
            sys.executable,
            ["-m", "llmkit", "mcp", "serve", f"{__file__}:tools", "--name", "shop"],
            env={"SHOP_MODEL_URL": fake.openai_base_url},
        )
        try:
            served = await shop.tools()
            print("Served tools:", ", ".join(t.name for t in served))
            shopper = Agent(fake_model(fake), instructions="You help people shop.", tools=served)
            async for event in shopper.stream("What do apples and bread cost? Is bread fresh?"):
                if isinstance(event, ToolCallEvent):
                    print(f"[tool call] {event.call.name}({event.call.arguments})")
                elif isinstance(event, ToolResultEvent):
                    print(f"[tool result] {event.result.text}")
                elif isinstance(event, RunEnd):
                    print("[answer]", event.result.output)
        finally:
            await shop.aclose()


if __name__ == "__main__":
    asyncio.run(main())

"""The agent examples/rpc/client.mjs talks to: ``llmkit rpc examples/rpc/app.py:support``.

A support agent with an order lookup and a refund that needs approval. Its
model is a FunctionModel from llmkit.testing, so the example runs offline;
put a real model string in its place ("openai/gpt-4.1-mini") to use one.
"""

from __future__ import annotations

from llmkit import Agent, Request, tool
from llmkit.testing import FunctionModel, tool_call

ORDERS = {42: "shipped on Monday, arriving Thursday"}


@tool
def lookup_order(order: int) -> str:
    """Where an order is."""
    return ORDERS.get(order, "no such order")


@tool(requires_approval=True)
def refund(order: int) -> str:
    """Refund an order (a person approves it first)."""
    return f"order {order} refunded"


def scripted(request: Request) -> object:
    """What the model does: look the order up, or refund it, then say what happened."""
    asked = [m.text for m in request.messages if m.role == "user"][-1]
    results = request.messages[-1].tool_results
    if results:
        return f"Order 42: {results[-1].text}."
    if "refund" in asked.lower():
        return tool_call("refund", order=42)
    return tool_call("lookup_order", order=42)


support = Agent(
    FunctionModel(scripted),
    name="support",
    instructions="You answer questions about orders.",
    tools=[lookup_order, refund],
)

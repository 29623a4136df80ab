"""The agent the support evaluation scores: a shop's support desk with two tools.

Named from ``support.yaml`` as ``support_agent:agent``; ``llmkit eval``
replaces its model with the one given by ``--model``.
"""

from __future__ import annotations

from llmkit import Agent, ToolError, tool

ORDERS = {
    42: {"item": "espresso machine", "status": "delivered", "total_eur": 189.0},
    77: {"item": "coffee grinder", "status": "shipped", "total_eur": 59.5},
}


@tool
def lookup_order(order_id: int) -> dict:
    """Look up an order: its item, status and total."""
    order = ORDERS.get(order_id)
    if order is None:
        raise ToolError(f"There is no order {order_id}; ask the customer to check the number.")
    return {"order_id": order_id, **order}


@tool
def refund(order_id: int, amount_eur: float) -> str:
    """Refund a delivered order."""
    return f"Refund of {amount_eur:.2f} EUR for order {order_id} started."


agent = Agent(
    "openai/gpt-4.1-mini",
    name="support",
    instructions=(
        "You are the support desk of a coffee-equipment shop. Look orders up before "
        "answering about them; refund only delivered orders; be brief and friendly."
    ),
    tools=[lookup_order, refund],
)

"""A stand-in for a real model, served by llmkit's fake provider server, so the evaluation runs offline.

It plays the support agent the way a good model would (look the order up,
refund delivered orders, answer from the tool results) and grades answers
when asked to judge. One case is answered less well on purpose, so the
report shows scores below 1.
"""

from __future__ import annotations

import json
import re

from llmkit import Request
from llmkit.testing import tool_call


def _judge(request: Request) -> str:
    answer = re.search(r"<answer>\n(.*?)\n</answer>", request.messages[-1].text, re.S)
    text = answer.group(1) if answer else ""
    if " is shipped" in text:
        return json.dumps(
            {"reasoning": "Correct, but it does not say when it arrives.", "score": 4}
        )
    return json.dumps({"reasoning": "Correct, brief and says what happens next.", "score": 5})


def reply(request: Request) -> object:
    """Answer one request of the support agent, or of the judge."""
    if request.messages and request.messages[0].text.startswith("You grade"):
        return _judge(request)
    last = request.messages[-1]
    if last.role == "tool":
        result = last.tool_results[0].text
        if result.startswith("Refund"):
            return f"Done: {result} You will see the money in 3-5 days."
        try:
            order = json.loads(result)
        except ValueError:  # the tool's error message, not an order
            return "I could not find that order. Could you check the order number?"
        if order["status"] == "delivered" and "refund" in _question(request).lower():
            return tool_call("refund", order_id=order["order_id"], amount_eur=order["total_eur"])
        return f"Your {order['item']} (order {order['order_id']}) is {order['status']}."
    number = re.search(r"\d+", last.text)
    if number:
        return tool_call("lookup_order", order_id=int(number.group()))
    return "Hello! How can I help with your order?"


def _question(request: Request) -> str:
    users = [m for m in request.messages if m.role == "user"]
    return users[-1].text if users else ""

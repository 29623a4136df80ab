"""Several agents: a triage agent hands the conversation over, a specialist uses another agent as a tool.

Runs offline against llmkit's fake provider server; set LLMKIT_MODEL
(e.g. "openai/gpt-4.1-mini") or OPENAI_API_KEY to use a real model.

    python examples/handoffs.py
"""

from __future__ import annotations

import asyncio
import os
import sys

import llmkit
from llmkit import Agent, Message, Model, Request, tool
from llmkit.events import Handoff, RunEnd, ToolCallEvent

ORDERS = {"A17": 49.90}


@tool
def refund(order: str) -> str:
    """Refund an order in full."""
    if order not in ORDERS:
        return f"There is no order {order}."
    return f"Refunded {ORDERS[order]:.2f} EUR for order {order}."


def offline_reply(request: Request) -> object:
    """Each agent's answers, told apart by its instructions."""
    from llmkit.testing import tool_call

    system = request.messages[0].text
    last = request.messages[-1]
    if system.startswith("You route"):
        return tool_call("transfer_to_billing")
    if system.startswith("You read policies"):
        return "Refunds are allowed within 30 days of delivery."
    if system.startswith("You handle billing"):
        if last.role == "user":  # it sees the user's message only (see last_user_turns)
            return tool_call("policy", input="May order A17 be refunded?")
        results = " ".join(r.text for r in last.tool_results)
        if "30 days" in results:
            return tool_call("refund", order="A17")
        return f"Done: {results} It will reach your card in 3-5 days."
    return "How can I help?"


def pick_model() -> tuple[Model, object]:
    name = os.environ.get("LLMKIT_MODEL")
    if not name and os.environ.get("OPENAI_API_KEY"):
        name = "openai/gpt-4.1-mini"
    if name:
        print(f"Using {name}.\n")
        return llmkit.model(name), None
    from llmkit.testing import FakeProviderServer

    server = FakeProviderServer(offline_reply).start()
    print("Running offline against llmkit's fake provider server.\n")
    return llmkit.model("openai/gpt-4.1-mini", base_url=server.openai_base_url, api_key="x"), server


def last_user_turns(messages: list[Message]) -> list[Message]:
    """What the billing agent sees: the user's messages only (no triage chatter)."""
    return [m for m in messages if m.role == "user"]


async def main() -> None:
    model, server = pick_model()
    policy = Agent(
        model, name="policy", instructions="You read policies and answer in one sentence."
    )
    billing = Agent(
        model,
        name="billing",
        description="Refunds, invoices and payments.",
        instructions="You handle billing. Check the refund policy before refunding.",
        tools=[refund, policy.as_tool(description="Ask the policy expert a question.")],
    )
    tech = Agent(model, name="tech", description="Technical problems with the app.")
    triage = Agent(
        model,
        name="triage",
        instructions="You route customers to the right team. Do not answer yourself.",
        handoffs=[llmkit.handoff(billing, input_filter=last_user_turns), tech],
    )
    try:
        async for event in triage.stream("I was charged for order A17 but returned it."):
            if isinstance(event, Handoff):
                print(f"[handoff] {event.source} -> {event.target}")
            elif isinstance(event, ToolCallEvent):
                print(f"[tool call] {event.call.name}({event.call.arguments})")
            elif isinstance(event, RunEnd):
                result = event.result
                print(f"\n{result.agent}: {result.output}")
                print(f"{result.usage.requests} model calls in all, the policy agent's included.")
    finally:
        if server is not None:
            server.stop()  # type: ignore[attr-defined]


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except llmkit.LLMKitError as exc:
        sys.exit(f"error: {exc}")

"""Serve a support agent over HTTP and call it with the official OpenAI client, then the runs API.

The agent looks orders up with its own tool on the server; the client only
sends the conversation. Runs offline: the agent's model is llmkit's fake
provider server, and the agent is served on 127.0.0.1 at a free port.

    pip install 'llmkit[serve,testing]' openai
    python examples/serve_support_agent.py
"""

from __future__ import annotations

import httpx
from openai import OpenAI

import llmkit
from llmkit import Agent, tool
from llmkit.serve import Server, app_for
from llmkit.testing import FakeProviderServer, tool_call

ORDERS = {42: "left the warehouse this morning", 7: "is waiting for payment"}


@tool
def order_status(order: int) -> str:
    """Where an order is."""
    return f"Order {order} {ORDERS.get(order, 'is unknown')}."


def main() -> None:
    script = [
        tool_call("order_status", order=42),
        "Order 42 left the warehouse this morning.",
        "Order 7 is waiting for payment.",
        "Order 7 is waiting for payment; you can pay it from your account page.",
    ]
    with FakeProviderServer(script) as provider:
        model = llmkit.model(
            "openai/gpt-4.1-mini", base_url=provider.openai_base_url, api_key="offline"
        )
        agent = Agent(
            model, name="support-agent", instructions="Answer about orders.", tools=[order_status]
        )
        app = app_for(agent, tokens=["token-1"])
        with Server(app) as server:
            print(f"serving on {server.url}/v1")
            client = OpenAI(base_url=f"{server.url}/v1", api_key="token-1")

            answer = client.chat.completions.create(
                model="support-agent",
                messages=[{"role": "user", "content": "Where is order 42?"}],
            )
            print("answer:", answer.choices[0].message.content)

            stream = client.chat.completions.create(
                model="support-agent",
                messages=[{"role": "user", "content": "And order 7?"}],
                stream=True,
            )
            text = "".join(
                chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices
            )
            print("streamed:", text)

            headers = {"Authorization": "Bearer token-1"}
            run = httpx.post(
                f"{server.url}/v1/runs",
                json={"agent": "support-agent", "input": "Can I pay order 7?", "wait": True},
                headers=headers,
            ).json()
            print("run:", run["status"], "-", run["output"])
            with httpx.stream(
                "GET", f"{server.url}/v1/runs/{run['id']}/events", headers=headers
            ) as events:
                topics = [
                    line.split(": ", 1)[1]
                    for line in events.iter_lines()
                    if line.startswith("event:")
                ]
            print(f"{len(topics)} events, from {topics[0]} to {topics[-1]}")


if __name__ == "__main__":
    main()

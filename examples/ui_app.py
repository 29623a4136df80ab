"""An app for the web dev UI: a support agent (one tool needs approval) and a small workflow.

Browse it in a browser (offline: the agent's model is a scripted stand-in unless
LLMKIT_MODEL names a real one):

    pip install 'llmkit[serve]'
    llmkit ui examples/ui_app.py:targets         # opens http://127.0.0.1:8000/ui/
    llmkit ui --recordings runs/                 # recordings and evaluation reports

Run as a script, it serves the same app on a free port and does what the page
does, through the same API: starts a run, reads its events, approves the
pending refund, reads the answer, times the model call by the server's clock
(each event's "time"), and lists the token's runs as the Runs panel does.

    python examples/ui_app.py
"""

from __future__ import annotations

import json
import os
from typing import Any

import httpx

import llmkit
from llmkit import Agent, Request, tool
from llmkit.testing import FunctionModel, tool_call
from llmkit.workflow import sequence, step

ORDERS = {42: "left the warehouse this morning", 7: "is waiting for payment"}


@tool
def order_status(order: int) -> str:
    """Where an order is."""
    return f"Order {order} {ORDERS.get(order, 'is unknown')}."


@tool(requires_approval=True)
def refund(order: int, amount_eur: float) -> str:
    """Refund an order; a person approves each refund first."""
    return f"Refunded {amount_eur:.2f} EUR on order {order}."


def offline_answer(request: Request) -> Any:
    """The stand-in model: looks orders up, asks for refunds, answers in markdown."""
    last = request.messages[-1]
    if last.role == "user":
        text = last.text.lower()
        number = next((int(w) for w in text.replace("?", " ").split() if w.isdigit()), 42)
        if "refund" in text:
            return tool_call("refund", order=number, amount_eur=19.5)
        return tool_call("order_status", order=number)
    result = last.tool_results[-1].text
    return f"Here is what I found:\n\n- **{result}**\n\nAnything else?"


def make_model() -> Any:
    name = os.environ.get("LLMKIT_MODEL")
    return llmkit.model(name) if name else FunctionModel(offline_answer)


agent = Agent(
    make_model(),
    name="support",
    instructions="Answer questions about orders; refund only when asked.",
    tools=[order_status, refund],
)


@step(output="words")
def count_words(state: dict[str, Any]) -> int:
    """How many words the notes have."""
    return len(state["notes"].split())


flow = sequence(
    step(agent, input=lambda s: f"Where is order {s['order']}?", output="notes"),
    count_words,
    name="order-notes",
)

targets = [agent, flow]


def main() -> None:
    from llmkit.serve import Server
    from llmkit.ui import ui_app

    token = "example-token"
    with Server(ui_app(*targets, tokens=[token])) as server:
        print(f"The UI is at {server.url}/ui/ (token: {token})")
        api = httpx.Client(
            base_url=f"{server.url}/v1", headers={"Authorization": f"Bearer {token}"}
        )
        run = api.post(
            "/runs", json={"agent": "support", "input": "Please refund order 7", "wait": True}
        ).json()
        print("run:", run["status"], "- pending:", [call["name"] for call in run["pending"]])
        call = run["pending"][0]
        run = api.post(
            f"/runs/{run['id']}/approvals", json={"approvals": {call["id"]: True}, "wait": True}
        ).json()
        print("after approval:", run["status"])
        print(run["output"])
        with api.stream("GET", f"/runs/{run['id']}/events") as stream:
            events = [
                json.loads(line[6:]) for line in stream.iter_lines() if line.startswith("data: ")
            ]
        print("events:", ", ".join(dict.fromkeys(event["topic"] for event in events)))
        # Each event carries the server's time: latencies hold when the run is read later.
        asked = next(e["time"] for e in events if e["topic"] == "model.request")
        answered = next(e["time"] for e in events if e["topic"] == "model.response")
        print(f"first model call: {(answered - asked) * 1000:.1f} ms by the server's clock")
        api.post("/runs", json={"agent": "support", "input": "Where is order 42?", "wait": True})
        listed = api.get("/runs", params={"limit": 10}).json()
        print("runs, newest first:", [(r["target"], r["status"]) for r in listed["data"]])
        page = httpx.get(f"{server.url}/ui/")
        print("page:", page.status_code, page.headers["content-type"])


if __name__ == "__main__":
    main()

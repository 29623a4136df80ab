"""Record an agent run to a file, replay it offline, and print it with ``llmkit replay``.

The recording holds every model request and response and every tool call
and result. Replaying answers from it: no network, no tool runs, the same
result. Runs offline against llmkit's fake provider server on 127.0.0.1
(set LLMKIT_MODEL or OPENAI_API_KEY to record a real model instead).

    python examples/record_replay.py [run.jsonl]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import llmkit
from llmkit import Agent, Model, Request, tool

sent: list[str] = []


@tool(run_in_thread=False)
def send_invoice(customer: str, amount_eur: float) -> str:
    """Send an invoice by e-mail (a side effect a replay must not repeat)."""
    sent.append(customer)
    return f"Invoice of {amount_eur:.2f} EUR sent to {customer}."


def offline_reply(request: Request) -> object:
    from llmkit.testing import tool_call

    if request.messages[-1].role == "user":
        return tool_call("send_invoice", customer="ACME", amount_eur=120)
    return "Done: the invoice of 120.00 EUR is on its way to ACME."


def pick_model() -> tuple[Model, Any]:
    name = os.environ.get("LLMKIT_MODEL")
    if not name and os.environ.get("OPENAI_API_KEY"):
        name = "openai/gpt-4.1-mini"
    if name:
        print(f"Recording {name}.\n")
        return llmkit.model(name), None
    from llmkit.testing import FakeProviderServer

    server = FakeProviderServer(offline_reply).start()
    print("Recording offline, against llmkit's fake provider server.\n")
    return llmkit.model("openai/gpt-4.1-mini", base_url=server.openai_base_url, api_key="x"), server


def build_agent(model: Model | str) -> Agent[str]:
    return Agent(model, name="billing", instructions="Be brief.", tools=[send_invoice])


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp()) / "run.jsonl"
    model, server = pick_model()

    with llmkit.record(path):
        original = build_agent(model).run_sync("Invoice ACME for 120 EUR.")
    print(f"[recorded] {original.output}")
    print(
        f"[recorded] {len(path.read_text().splitlines())} lines in {path.name}; invoices sent: {sent}"
    )
    if server is not None:
        server.stop()  # from here on, nothing answers on the network

    # Another agent object, as a test or another process would build it; its model string is
    # never resolved: the recording answers instead.
    replayed = llmkit.replay(path, build_agent(model.name))
    print(f"[replayed] {replayed.output}")
    print(f"[replayed] equal to the recorded result: {replayed == original}; invoices sent: {sent}")

    print("\n$ llmkit replay run.jsonl --speed 0")
    trace = subprocess.run(
        [sys.executable, "-m", "llmkit.cli", "replay", str(path), "--speed", "0"],
        capture_output=True,
        text=True,
        check=True,
    )
    print(trace.stdout, end="")


if __name__ == "__main__":
    main()

"""Human approval: a run pauses before sensitive tool calls and resumes in another process.

The run stops before ``send_money`` runs, its state goes to a JSON file, and
a second process (standing in for a reviewer's web request hours later)
reads it, approves one payment, denies the other, and finishes the run.
Runs offline against llmkit's fake provider server.

    python examples/approval.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import llmkit
from llmkit import Agent, Request, RunResult, tool

LIMIT_EUR = 1000


@tool(requires_approval=True)
def send_money(to: str, amount_eur: float) -> str:
    """Send money from the company account."""
    return f"Sent {amount_eur:.2f} EUR to {to}."


@tool
def balance() -> str:
    """The company account's balance."""
    return "12,400.00 EUR"


def offline_reply(request: Request) -> object:
    from llmkit.testing import tool_call

    last = request.messages[-1]
    if last.role == "user":
        return [
            tool_call("balance"),
            tool_call("send_money", to="Alice (supplier)", amount_eur=250),
            tool_call("send_money", to="Mallory", amount_eur=9000),
        ]
    outcomes = "; ".join(r.text for r in last.tool_results)
    return f"Payments handled: {outcomes}"


def make_agent(base_url: str) -> Agent:
    model = llmkit.model("openai/gpt-4.1-mini", base_url=base_url, api_key="x")
    return Agent(model, instructions="You pay the bills.", tools=[balance, send_money])


def review(path: Path, base_url: str) -> None:
    """The second process: read the paused run, decide, resume."""
    paused = RunResult.from_dict(json.loads(path.read_text()))
    decisions: dict[str, bool | dict[str, object]] = {}
    for call in paused.pending:
        amount = call.arguments["amount_eur"]
        ok = amount <= LIMIT_EUR
        print(f"[reviewer] {call.name}{call.arguments}: {'approved' if ok else 'denied'}")
        decisions[call.id] = ok
    done = make_agent(base_url).resume_sync(paused, approvals=decisions)
    for message in done.new_messages:
        for result in message.tool_results:
            print(f"[tool result] {result.text}")
    print(f"[{done.status}] {done.output}")


def main() -> None:
    from llmkit.testing import FakeProviderServer

    with FakeProviderServer(offline_reply) as server, tempfile.TemporaryDirectory() as tmp:
        print("Running offline against llmkit's fake provider server.\n")
        agent = make_agent(server.openai_base_url)
        paused = agent.run_sync("Pay Alice's invoice (250 EUR) and Mallory's (9000 EUR).")
        print(f"[{paused.status}] waiting for approval of {len(paused.pending)} calls:")
        for call in paused.pending:
            print(f"  {call.id}: {call.name}({call.arguments})")
        path = Path(tmp) / "paused-run.json"
        path.write_text(json.dumps(paused.to_dict()))
        print(f"saved to {path.name} ({path.stat().st_size} bytes); resuming in a new process\n")
        done = subprocess.run(
            [sys.executable, __file__, "--review", str(path), server.openai_base_url],
            capture_output=True,
            text=True,
            check=False,
        )
        print(done.stdout, end="")
        if done.returncode:
            sys.exit(done.stderr)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--review":
        review(Path(sys.argv[2]), sys.argv[3])
    else:
        main()

"""A durable agent run killed halfway (SIGKILL, inside a tool) and resumed by a new process.

The first process charges a card, then starts packing the order and is
killed while it packs. A second process resumes the run from its checkpoints
in a SQLite file: the card is not charged again (its result was kept), and
packing, declared idempotent, is simply done again. No model call is repeated.
Runs offline against llmkit's fake provider server.

    python examples/durable_agent_resume.py
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import llmkit
from llmkit import Agent, Request, tool
from llmkit.durable import SQLiteStore


def tally(event: str) -> None:
    """The tools' own record of what they did (a file, so it survives the kill)."""
    with open(os.environ["TALLY"], "a", encoding="utf-8") as f:
        f.write(event + "\n")


@tool
def charge_card(order: int, amount_eur: float) -> str:
    """Charge the customer's card for an order (never twice!)."""
    tally("charge_card")
    print(f"[run] charge_card: charged {amount_eur:.2f} EUR for order {order}", flush=True)
    return f"charged {amount_eur:.2f} EUR"


@tool(idempotent=True)
def pack_order(order: int) -> str:
    """Pack an order (doing it again does no harm)."""
    tally("pack_order started")
    if os.environ.get("STALL") == "pack_order":
        print("[run] pack_order: packing...", flush=True)
        sys.stdin.readline()  # the parent kills this process while it waits here
    tally("pack_order")
    return f"order {order} packed"


def offline_reply(request: Request) -> object:
    from llmkit.testing import tool_call

    done = sum(1 for m in request.messages if m.role == "tool")
    if done == 0:
        return tool_call("charge_card", order=7, amount_eur=42.0)
    if done == 1:
        return tool_call("pack_order", order=7)
    return "Order 7 is paid and packed."


def make_agent(base_url: str) -> Agent:
    model = llmkit.model("openai/gpt-4.1-mini", base_url=base_url, api_key="x")
    return Agent(model, name="shop", tools=[charge_card, pack_order])


def child(mode: str, db: str, base_url: str) -> None:
    """A process of its own: start the run, or resume it."""
    agent, store = make_agent(base_url), SQLiteStore(db)
    if mode == "--run":
        agent.run_sync("Charge and pack order 7.", store=store, run_id="order-7")
    else:
        result = agent.resume_sync("order-7", store=store)
        print(f"[resume] {result.output}", flush=True)


def main() -> None:
    from llmkit.testing import FakeProviderServer

    with FakeProviderServer(offline_reply) as server, tempfile.TemporaryDirectory() as tmp:
        print("Running offline against llmkit's fake provider server.\n")
        db, tally_file = str(Path(tmp) / "runs.db"), Path(tmp) / "tally.txt"
        env = {**os.environ, "TALLY": str(tally_file)}
        command = [sys.executable, __file__, "--run", db, server.openai_base_url]
        first = subprocess.Popen(
            command,
            env={**env, "STALL": "pack_order"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert first.stdout is not None
        for line in first.stdout:  # wait until it is inside pack_order
            print(line, end="")
            if line.startswith("[run] pack_order"):
                break
        first.send_signal(signal.SIGKILL)
        first.wait()
        print(
            f"[killed] the first process with SIGKILL inside pack_order (exit {first.returncode})"
        )
        command[2] = "--resume"
        second = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        print(second.stdout, end="")
        if second.returncode:
            sys.exit(second.stderr)
        events = tally_file.read_text().split("\n")
        print(f"charge_card ran {events.count('charge_card')} time(s)")
        print(
            f"pack_order finished {events.count('pack_order')} time(s) (started "
            f"{events.count('pack_order started')} times: it is idempotent)"
        )
        bodies = [r.body for r in server.requests]
        repeated = len(bodies) - len(set(bodies))
        print(f"model requests: {len(bodies)}, repeated: {repeated}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] in ("--run", "--resume"):
        child(*sys.argv[1:])
    else:
        main()

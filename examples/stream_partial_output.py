"""A structured answer printed live: partial Invoice objects while the JSON arrives.

Runs offline against llmkit's fake provider server, which streams the answer
in small pieces as a real provider does; set LLMKIT_MODEL (e.g.
"openai/gpt-4.1-mini") to use a real model.

    python examples/stream_partial_output.py
"""

from __future__ import annotations

import asyncio
import json
import os

from pydantic import BaseModel

from llmkit import Agent
from llmkit.testing import FakeProviderServer, fake_model


class Line(BaseModel):
    description: str
    amount: float


class Invoice(BaseModel):
    number: str
    lines: list[Line]
    total: float


ANSWER = {
    "number": "INV-77",
    "lines": [
        {"description": "3 hours of consulting", "amount": 360.0},
        {"description": "travel", "amount": 45.0},
    ],
    "total": 405.0,
}


async def main() -> None:
    with FakeProviderServer() as server:
        server.script([json.dumps(ANSWER)])
        model = os.environ.get("LLMKIT_MODEL") or fake_model(server, "openai")
        agent = Agent(model, instructions="Read the invoice in the email.")
        count = 0
        final = None
        async for invoice in agent.stream_output(
            "Invoice INV-77: 3 hours of consulting (360 USD), travel 45 USD.", output_type=Invoice
        ):
            count += 1
            final = invoice
            lines = ", ".join(f"{line.description}={line.amount}" for line in invoice.lines or [])
            print(f"\r{invoice.number} [{lines}] total={invoice.total}", end="", flush=True)
        print()
        assert final is not None
        print(f"validated: {final.number}, {len(final.lines)} lines, total {final.total}")
        print(f"{count} values, the last one validated")


if __name__ == "__main__":
    asyncio.run(main())

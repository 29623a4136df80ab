"""Check that an agent's tools and output type fit together, with no model and no script.

``TestModel`` calls every tool once with arguments valid for its schema, then
answers with a value valid for the output type. If a tool's signature and
its schema disagree, or the output type cannot be produced, this fails here,
offline, before any real model is asked. The same in pytest::

    @pytest.mark.anyio
    async def test_travel_agent_fits():
        with travel.override(model=TestModel()):
            assert (await travel.run("Plan a trip")).status == "complete"

At the end, the ``llmkit`` command answers a prompt offline (``--fake``).

    python examples/testmodel_agent.py
"""

from __future__ import annotations

import datetime
import subprocess
import sys
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from llmkit import Agent, tool
from llmkit.testing import TestModel


class Leg(BaseModel):
    """One flight of the trip."""

    origin: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    destination: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    price_eur: Annotated[float, Field(gt=0)]


class Itinerary(BaseModel):
    """What the agent must answer with."""

    travellers: Annotated[int, Field(ge=1, le=9)]
    legs: list[Leg]
    note: str | None = None


@tool
def search_flights(
    origin: Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="IATA code")],
    destination: Annotated[str, Field(pattern=r"^[A-Z]{3}$")],
    day: datetime.date,
    cabin: Literal["economy", "business"] = "economy",
) -> list[dict[str, object]]:
    """Flights between two airports on a day."""
    return [{"flight": "LK101", "from": origin, "to": destination, "day": day.isoformat()}]


@tool
def convert(amount: Annotated[float, Field(ge=0)], currency: Literal["USD", "GBP"]) -> float:
    """Convert euros to another currency."""
    return round(amount * {"USD": 1.08, "GBP": 0.85}[currency], 2)


travel = Agent(
    "openai/gpt-4.1-mini",
    instructions="Plan trips.",
    tools=[search_flights, convert],
    output_type=Itinerary,
)


def main() -> None:
    model = TestModel()
    with travel.override(model=model):
        result = travel.run_sync("Plan a trip from Paris to Lisbon for two.")
    for message in result.messages:
        for call in message.tool_calls:
            print(f"[tool call] {call.name}({call.arguments})")
        for answer in message.tool_results:
            print(f"[tool result] {answer.name}: {answer.text}")
    print(f"[output] {result.output!r}")
    print(f"{result.status} after {len(model.requests)} model calls")

    command = [sys.executable, "-m", "llmkit", "prompt", "--fake", "Hello"]
    done = subprocess.run(command, capture_output=True, text=True, input="", check=False)
    print(f"$ llmkit prompt --fake Hello\n{done.stdout.strip()}\n(exit status {done.returncode})")


if __name__ == "__main__":
    main()

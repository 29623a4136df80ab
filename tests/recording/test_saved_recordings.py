"""Recordings saved by an earlier llmkit still load and replay to the result they recorded.

The files in ``saved/`` were written against the fake OpenAI server by
:func:`write_saved`; they are kept as written, so a change to the reader or to
replay that would break a user's old recordings fails here. Run this module as a
script (``python tests/recording/test_saved_recordings.py``) to write them again,
only when the recorded requests are meant to change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import llmkit
from llmkit import Agent, Message, RunContext, tool
from llmkit.errors import ReplayDivergence
from llmkit.recording import Recording, record, replay
from llmkit.testing import FakeProviderServer, tool_call

pytestmark = pytest.mark.anyio

SAVED = Path(__file__).parent / "saved"
HANDOFF = SAVED / "handoff-with-deps.jsonl"
TWO_RUNS = SAVED / "structured-then-plain.jsonl"
DEPS = {"customer": "alice"}
ran: list[str] = []


@pytest.fixture(autouse=True)
def _clear() -> None:
    ran.clear()


@tool(run_in_thread=False)
def lookup_order(order_id: int) -> dict[str, Any]:
    """Look up an order."""
    ran.append(f"lookup:{order_id}")
    return {"order_id": order_id, "status": "delivered", "total_eur": 42.5}


@tool(run_in_thread=False)
def refund(ctx: RunContext[dict[str, str]], order_id: int) -> str:
    """Refund an order for the customer of the run."""
    ran.append(f"refund:{order_id}")
    return f"Refunded order {order_id} to {ctx.deps['customer']}."


def billing_instructions(ctx: RunContext[dict[str, str]]) -> str:
    return f"You handle refunds for {ctx.deps['customer']}."


class Weather(BaseModel):
    city: str
    temperature_c: int


@tool(run_in_thread=False)
def get_weather(city: str) -> dict[str, Any]:
    """Current weather in a city."""
    ran.append(f"weather:{city}")
    return {"city": city, "temperature_c": 18}


def support_agents(model: Any) -> Agent[Any]:
    """Triage, which hands off to billing; billing's instructions and tool read the run's deps."""
    billing = Agent(
        model,
        name="billing",
        instructions=billing_instructions,
        tools=[refund],
    )
    return Agent(
        model,
        name="triage",
        instructions="Route the customer.",
        tools=[lookup_order],
        handoffs=[billing],
        deps={"customer": "nobody"},
    )


def weather_agent(model: Any, **options: Any) -> Agent[Any]:
    return Agent(model, name="weather", instructions="Be brief.", tools=[get_weather], **options)


HISTORY = [Message.user("Hi"), Message.assistant("Hello! How can I help?")]


def write_saved(folder: Path = SAVED) -> None:
    """Write the saved recordings again, against the fake OpenAI server."""
    folder.mkdir(exist_ok=True)
    with FakeProviderServer() as server:
        model = llmkit.model(
            "openai/gpt-4.1-mini",
            base_url=server.openai_base_url,
            api_key="sk-saved-0123456789abcdef",
        )
        server.script(
            [
                tool_call("lookup_order", order_id=42),
                tool_call("transfer_to_billing"),
                tool_call("refund", order_id=42),
                "Order 42 is refunded.",
            ]
        )
        with record(folder / HANDOFF.name):
            support_agents(model).run_sync(
                "Refund order 42, please.", message_history=HISTORY, deps=DEPS
            )
        server.script(
            [
                tool_call("get_weather", city="Paris"),
                '{"city": "Paris", "temperature_c": 18}',
                "You are welcome.",
            ]
        )
        with record(folder / TWO_RUNS.name):
            first = weather_agent(model, output_type=Weather).run_sync("Weather in Paris?")
            weather_agent(model).run_sync("Thanks!", message_history=first.messages)


async def test_a_saved_handoff_run_with_deps_replays_to_its_recorded_result() -> None:
    recording = Recording.load(HANDOFF)
    recorded = recording.run()
    assert [run.agent for run in recording.runs] == ["triage"]
    assert [m.text for m in recorded.history] == [m.text for m in HISTORY]
    assert [m.text for m in recorded.input] == ["Refund order 42, please."]
    triage = support_agents("openai/gpt-4.1-mini")
    replayed = await recording.replay(triage, deps=DEPS)
    assert replayed == recorded.result_for(triage) == recorded.result
    assert replayed.run_id == recorded.run_id and replayed.agent == "billing"
    assert replayed.output == "Order 42 is refunded."
    assert ran == []  # the recorded results answered every tool call
    assert replay(HANDOFF, support_agents("openai/gpt-4.1-mini"), deps=DEPS) == replayed


async def test_replay_passes_the_deps_the_recording_was_made_with() -> None:
    # Without them billing's instructions name triage's default customer: the request differs.
    with pytest.raises(ReplayDivergence) as caught:
        await Recording.load(HANDOFF).replay(support_agents("openai/gpt-4.1-mini"))
    assert caught.value.line == 9  # billing's first request
    assert caught.value.diff == (
        'messages[0].parts[0].text: recorded "You handle refunds for alice.", '
        'now "You handle refunds for nobody."'
    )
    assert ran == []


async def test_saved_runs_replay_one_by_one_structured_output_included() -> None:
    recording = Recording.load(TWO_RUNS)
    first, second = recording.runs
    structured = weather_agent("openai/gpt-4.1-mini", output_type=Weather)
    replayed = await recording.replay(structured)
    assert replayed.output == Weather(city="Paris", temperature_c=18)
    assert replayed == first.result_for(structured)
    plain = weather_agent("openai/gpt-4.1-mini")
    again = await recording.replay(plain, run=second.run_id)
    assert again == second.result_for(plain) == second.result == recording.replay_sync(plain, run=1)
    assert again.output == "You are welcome." and again.run_id == second.run_id
    assert ran == []


if __name__ == "__main__":
    write_saved()

"""Structured answers streamed as partial values, over real HTTP on every protocol and mode."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from pydantic import BaseModel

from llmkit import Agent, Model
from llmkit.bus import Bus
from llmkit.errors import OutputValidationError, UsageError
from llmkit.events import ModelRequest, PartialOutput, RunEnd
from llmkit.http import RetryPolicy
from llmkit.output import OutputMode
from llmkit.testing import FakeProviderServer, ScriptedModel, fake_model, tool_call

pytestmark = pytest.mark.anyio

PROTOCOLS = ["anthropic", "gemini", "ollama", "openai"]


class Item(BaseModel):
    name: str
    qty: int = 1


class Invoice(BaseModel):
    number: str
    items: list[Item]
    total: float


FIELDS: dict[str, Any] = {
    "number": "A-17",
    "items": [{"name": "bolts", "qty": 3}, {"name": "nuts and washers", "qty": 12}],
    "total": 41.25,
}
INVOICE = Invoice.model_validate(FIELDS)


def answer(mode: OutputMode) -> Any:
    """The scripted answer of a model asked for an Invoice in ``mode``."""
    if mode == "tool":
        return tool_call("final_result", **FIELDS)
    if mode == "prompted":
        return "Here is the invoice:\n```json\n" + json.dumps(FIELDS, indent=1) + "\n```\n"
    return json.dumps(FIELDS)


def model_for(server: FakeProviderServer, protocol: str) -> Model:
    return fake_model(server, protocol, retry=RetryPolicy(max_retries=0))


@pytest.mark.parametrize("mode", ["native", "tool", "prompted"])
@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_partial_values_then_the_validated_one(
    llmkit_fake_server: FakeProviderServer, protocol: str, mode: OutputMode
) -> None:
    llmkit_fake_server.script([answer(mode)])
    agent = Agent(model_for(llmkit_fake_server, protocol), output_type=Invoice, output_mode=mode)
    values = [v async for v in agent.stream_output("the invoice")]
    *partials, final = values
    assert final == INVOICE and type(final) is Invoice
    assert all(isinstance(v, Invoice) for v in partials)
    whole = mode == "tool" and protocol in ("gemini", "ollama")  # arguments come whole there
    if not whole:
        assert len(partials) >= 4
        assert any(v.number == "A-17" and v.items is None for v in partials)
    if (
        protocol != "gemini" and not whole
    ):  # Gemini streams text by words, the others in pieces of characters
        names = {v.items[-1].name for v in partials if v.items and len(v.items) == 2}
        assert any(n and n != "nuts and washers" for n in names)  # a string in progress
    assert partials[-1] == INVOICE  # the last partial is the whole answer
    assert not llmkit_fake_server.errors


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_stream_gives_partial_events_in_order(
    llmkit_fake_server: FakeProviderServer, protocol: str
) -> None:
    llmkit_fake_server.script([answer("native")])
    agent = Agent(model_for(llmkit_fake_server, protocol), output_type=Invoice)
    events = [e async for e in agent.stream("the invoice")]
    partials = [e for e in events if isinstance(e, PartialOutput)]
    assert partials and all(e.step == 1 for e in partials)
    outputs = [e.output.model_dump() for e in partials]
    assert all(a != b for a, b in itertools.pairwise(outputs))
    end = events[-1]
    assert isinstance(end, RunEnd) and end.result.output == INVOICE


async def test_partials_can_be_turned_off_and_runs_build_none(
    llmkit_fake_server: FakeProviderServer,
) -> None:
    agent = Agent(model_for(llmkit_fake_server, "openai"), output_type=Invoice)
    llmkit_fake_server.script([answer("native")])
    events = [e async for e in agent.stream("x", partial_output=False)]
    assert not any(isinstance(e, PartialOutput) for e in events)
    seen: list[Any] = []
    bus = Bus()
    bus.on("*", seen.append, inline=True)
    listened = Agent(model_for(llmkit_fake_server, "openai"), output_type=Invoice, bus=bus)
    llmkit_fake_server.script([answer("native")])
    assert (await listened.run("x")).output == INVOICE
    assert seen and not any(isinstance(e, PartialOutput) for e in seen)  # run() does not stream


async def test_bus_gets_the_partial_events_the_stream_gives(
    llmkit_fake_server: FakeProviderServer,
) -> None:
    seen: list[Any] = []
    bus = Bus()
    bus.on("output.partial", seen.append, inline=True)
    model = model_for(llmkit_fake_server, "anthropic")
    agent = Agent(model, output_type=Invoice, output_mode="tool", bus=bus)
    llmkit_fake_server.script([answer("tool")])
    streamed = [e async for e in agent.stream("x") if isinstance(e, PartialOutput)]
    assert streamed and seen == streamed


async def test_an_invalid_answer_is_asked_again_and_partials_start_over(
    llmkit_fake_server: FakeProviderServer,
) -> None:
    bad = dict(FIELDS, total="a lot")
    llmkit_fake_server.script([json.dumps(bad), answer("native")])
    agent = Agent(model_for(llmkit_fake_server, "openai"), output_type=Invoice)
    events = [e async for e in agent.stream("x")]
    steps = [e.step for e in events if isinstance(e, PartialOutput)]
    assert 1 in steps and 2 in steps and steps == sorted(steps)
    second = [e for e in events if isinstance(e, PartialOutput) and e.step == 2]
    assert second[0].output.number is None  # from nothing again
    result = events[-1].result  # type: ignore[union-attr]
    assert result.output == INVOICE
    assert "a lot" in result.messages[1].text  # the conversation keeps the invalid answer
    requests = [e for e in events if isinstance(e, ModelRequest)]
    assert len(requests) == 2


async def test_output_type_for_one_call_and_the_errors_a_wrong_call_gets(
    llmkit_fake_server: FakeProviderServer,
) -> None:
    agent = Agent(model_for(llmkit_fake_server, "ollama"))
    llmkit_fake_server.script([answer("native")])
    values = [v async for v in agent.stream_output("x", output_type=Invoice)]
    assert values[-1] == INVOICE
    llmkit_fake_server.script(['{"number": 1}'] * 3)
    with pytest.raises(OutputValidationError) as caught:
        async for _ in agent.stream_output("x", output_type=Invoice):
            pass
    assert len(caught.value.messages) == 6  # every invalid answer and the re-asks, kept
    with pytest.raises(UsageError, match="output_type=Invoice"):
        agent.stream_output("x")
    with pytest.raises(UsageError, match="stream\\(\\) for text"):
        agent.stream_output("x", output_type=str)


def test_stream_output_sync_and_a_scripted_model() -> None:
    model = ScriptedModel([json.dumps(FIELDS)])
    values = list(Agent(model, output_type=Invoice).stream_output_sync("x"))
    assert values[-1] == INVOICE and len(values) >= 2

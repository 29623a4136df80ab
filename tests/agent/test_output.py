"""Structured output through the agent: the three strategies, retries, recovery, tools together."""

from __future__ import annotations

import dataclasses
import json

import pytest
from pydantic import BaseModel

from llmkit import Agent, RunResult, ToolCall, tool
from llmkit.errors import OutputValidationError
from llmkit.providers import Capabilities
from llmkit.testing import ScriptedModel, tool_call
from llmkit.types import Request

pytestmark = pytest.mark.anyio

NO_NATIVE = Capabilities(structured_output=False)
NO_TOOLS = Capabilities(structured_output=False, tools=False)


class Invoice(BaseModel):
    total: float
    currency: str


@dataclasses.dataclass
class Point:
    x: int
    y: int


@tool
def lookup_rate(currency: str) -> float:
    """Exchange rate to EUR."""
    return 0.5


async def test_native_mode_sends_the_schema_and_validates_the_answer() -> None:
    model = ScriptedModel(['{"total": 12.5, "currency": "EUR"}'])
    result = await Agent(model, output_type=Invoice).run("Invoice: 12.50 EUR")
    assert result.output == Invoice(total=12.5, currency="EUR")
    request: Request = model.requests[0]
    assert request.output_schema is not None and request.output_schema.name == "Invoice"
    assert request.tools == []


async def test_tools_and_structured_output_together() -> None:
    model = ScriptedModel(
        [tool_call("lookup_rate", currency="USD"), '{"total": 5, "currency": "EUR"}']
    )
    agent = Agent(model, output_type=Invoice, tools=[lookup_rate])
    result = await agent.run("10 USD in EUR")
    assert result.output == Invoice(total=5, currency="EUR")
    assert [t.name for t in model.requests[1].tools] == ["lookup_rate"]
    assert model.requests[1].output_schema is not None


async def test_tool_mode_uses_a_final_result_tool() -> None:
    model = ScriptedModel(
        [
            tool_call("lookup_rate", currency="USD"),
            tool_call("final_result", total=5, currency="EUR"),
        ],
        capabilities=NO_NATIVE,
    )
    result = await Agent(model, output_type=Invoice, tools=[lookup_rate]).run("x")
    assert result.output == Invoice(total=5, currency="EUR")
    assert [t.name for t in model.requests[0].tools] == ["lookup_rate", "final_result"]
    assert model.requests[0].output_schema is None
    # The final call is answered too, so the history can be continued.
    assert result.messages[-1].tool_results[0].text == "Final answer received."


async def test_tool_mode_wraps_non_object_types() -> None:
    model = ScriptedModel([tool_call("final_result", result=[1, 2, 3])], capabilities=NO_NATIVE)
    result = await Agent(model, output_type=list[int]).run("x")
    assert result.output == [1, 2, 3]
    schema = model.requests[0].tools[0].parameters
    assert schema["properties"]["result"]["type"] == "array"


async def test_tool_mode_skips_other_calls_in_the_final_turn() -> None:
    model = ScriptedModel(
        [[tool_call("final_result", x=1, y=2), tool_call("lookup_rate", currency="USD")]],
        capabilities=NO_NATIVE,
    )
    result = await Agent(model, output_type=Point, tools=[lookup_rate]).run("x")
    assert result.output == Point(1, 2)
    texts = [r.text for r in result.messages[-1].tool_results]
    assert texts == [
        "Final answer received.",
        "Not run: the final answer was given in the same turn.",
    ]


async def test_tool_mode_accepts_json_text_and_asks_for_the_tool_otherwise() -> None:
    model = ScriptedModel(["Let me think.", '{"x": 1, "y": 2}'], capabilities=NO_NATIVE)
    result = await Agent(model, output_type=Point).run("x")
    assert result.output == Point(1, 2)
    assert "Call the final_result tool" in result.messages[2].text


async def test_prompted_mode_puts_the_schema_in_the_instructions_and_recovers_json() -> None:
    model = ScriptedModel(
        ['Sure! Here it is:\n```json\n{"total": 3, "currency": \'EUR\',}\n```'],
        capabilities=NO_TOOLS,
    )
    result = await Agent(model, instructions="Extract.", output_type=Invoice).run("x")
    assert result.output == Invoice(total=3, currency="EUR")
    system = model.requests[0].messages[0].text
    assert system.startswith("Extract.\n\nReply with one JSON value")
    assert '"currency"' in system
    assert all(m.role != "system" for m in result.messages)


async def test_invalid_output_is_sent_back_and_retries_count_in_usage() -> None:
    model = ScriptedModel(['{"total": "a lot"}', '{"total": 12, "currency": "EUR"}'])
    result = await Agent(model, output_type=Invoice).run("x")
    assert result.output.total == 12
    retry = result.messages[2]
    assert retry.role == "user" and "total" in retry.text and "currency" in retry.text
    assert result.usage.requests == 2
    assert result.usage == result.steps[0].usage + result.steps[1].usage


async def test_output_that_stays_invalid_raises_with_the_last_raw_output() -> None:
    model = ScriptedModel(["no json here", '{"total": 1}', '{"currency": "EUR"}'])
    with pytest.raises(OutputValidationError) as info:
        await Agent(model, output_type=Invoice, output_retries=2).run("x")
    err = info.value
    assert err.raw_output == '{"currency": "EUR"}'
    assert "total" in err.errors
    assert err.usage.requests == 3
    assert [m.role for m in err.messages] == [
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
        "assistant",
    ]
    assert err.messages[-1].text == '{"currency": "EUR"}'


async def test_invalid_final_result_call_in_tool_mode() -> None:
    bad = tool_call("final_result", total="?", currency="EUR")
    model = ScriptedModel(
        [bad, ToolCall("", "final_result", {}, raw_arguments="{oops")], capabilities=NO_NATIVE
    )
    with pytest.raises(OutputValidationError) as info:
        await Agent(model, output_type=Invoice, output_retries=1).run("x")
    assert info.value.raw_output == "{oops"
    first_error = info.value.messages[2].tool_results[0]
    assert first_error.is_error and "The final answer is not valid" in first_error.text
    last = info.value.messages[-1]
    assert last.role == "tool" and last.tool_results[0].is_error


async def test_result_json_round_trip_revalidates_the_output() -> None:
    agent = Agent(ScriptedModel(['{"total": 2, "currency": "USD"}']), output_type=Invoice)
    result = await agent.run("x")
    data = json.loads(json.dumps(result.to_dict()))
    assert data["output"] == {"total": 2.0, "currency": "USD"}
    again = agent.load_result(data)
    assert again.output == Invoice(total=2, currency="USD")
    plain = RunResult.from_dict(data)
    assert plain.output == {"total": 2.0, "currency": "USD"}
    typed = RunResult.from_dict(data, output_type=Invoice)
    assert typed.output == result.output
    assert typed.messages == result.messages and typed.usage == result.usage

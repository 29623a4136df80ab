"""Agents over real HTTP against the fake provider server, once per wire protocol.

Add a protocol by adding an entry to ``PROTOCOLS``: its name (``fake_model``
builds a model speaking it to the fake server) and how to tell a streamed request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from pydantic import BaseModel

import llmkit
from llmkit import Agent, Model, ToolCall, tool
from llmkit.events import RunEnd, TextDelta, ToolResultEvent
from llmkit.http import RetryPolicy
from llmkit.providers import Capabilities
from llmkit.testing import FakeProviderServer, RecordedRequest, fake_model, tool_call

pytestmark = pytest.mark.anyio

NO_RETRY = RetryPolicy(max_retries=0)


@dataclass(frozen=True)
class Protocol:
    """A protocol of the fake server, and how to tell a streamed request in it."""

    name: str
    streamed: Callable[[RecordedRequest], bool]


PROTOCOLS: dict[str, Protocol] = {
    "openai": Protocol("openai", lambda r: r.json.get("stream") is True),
    "anthropic": Protocol("anthropic", lambda r: r.json.get("stream") is True),
    "gemini": Protocol("gemini", lambda r: r.path.endswith(":streamGenerateContent")),
    "ollama": Protocol("ollama", lambda r: r.json.get("stream", True) is not False),
}


@pytest.fixture(params=sorted(PROTOCOLS))
def protocol(request: pytest.FixtureRequest) -> Protocol:
    return PROTOCOLS[request.param]


@pytest.fixture
def make_model(protocol: Protocol, llmkit_fake_server: FakeProviderServer) -> Callable[..., Model]:
    return lambda **options: fake_model(
        llmkit_fake_server, protocol.name, retry=NO_RETRY, **options
    )


@pytest.fixture
def server(llmkit_fake_server: FakeProviderServer) -> FakeProviderServer:
    return llmkit_fake_server


class Invoice(BaseModel):
    total: float
    currency: str


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


async def test_tool_loop(server: FakeProviderServer, make_model: Callable[..., Model]) -> None:
    server.script(
        [[tool_call("add", a=2, b=3), tool_call("add", a=1, b=1)], "5 and 2.", "Welcome."]
    )
    result = await Agent(make_model(), instructions="Be brief.", tools=[add]).run("sums")
    assert result.output == "5 and 2."
    assert [r.text for r in result.messages[2].tool_results] == ["5", "2"]
    assert result.usage.requests == 2 and result.usage.output_tokens > 0
    assert len(server.requests) == 2
    follow = await Agent(make_model()).run("thanks", message_history=result.messages)
    assert follow.output == "Welcome."  # the strict server accepts the history as is
    assert not server.errors


async def test_bad_calls_are_answered_and_accepted_by_the_server(
    server: FakeProviderServer, make_model: Callable[..., Model]
) -> None:
    server.script(
        [
            [
                tool_call("nope"),
                ToolCall("", "add", {}, raw_arguments='{"a": 1,'),
                tool_call("add", a="x", b=1),
            ],
            "recovered",
        ]
    )
    result = await Agent(make_model(), tools=[add]).run("x")
    assert result.output == "recovered"
    assert all(r.is_error for r in result.messages[2].tool_results)
    assert not server.errors


async def test_structured_output_native(
    server: FakeProviderServer, make_model: Callable[..., Model]
) -> None:
    server.script(['{"total": 12.5, "currency": "EUR"}'])
    result = await Agent(make_model(), output_type=Invoice).run("12.50 EUR")
    assert result.output == Invoice(total=12.5, currency="EUR")
    assert '"currency"' in server.requests[0].body.decode()  # the schema went to the provider


async def test_structured_output_tool_mode_with_retry(
    server: FakeProviderServer, make_model: Callable[..., Model]
) -> None:
    server.script(
        [
            tool_call("final_result", total="?", currency="EUR"),
            tool_call("final_result", total=3, currency="EUR"),
        ]
    )
    model = make_model(capabilities=Capabilities(structured_output=False))
    result = await Agent(model, output_type=Invoice).run("x")
    assert result.output == Invoice(total=3, currency="EUR")
    assert result.usage.requests == 2
    assert '"final_result"' in server.requests[0].body.decode()


async def test_stream(
    server: FakeProviderServer, make_model: Callable[..., Model], protocol: Protocol
) -> None:
    server.script([tool_call("add", a=1, b=2), "The answer is three."])
    events = [e async for e in Agent(make_model(), tools=[add]).stream("x")]
    assert any(isinstance(e, ToolResultEvent) and e.result.text == "3" for e in events)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "The answer is three."
    assert isinstance(events[-1], RunEnd) and events[-1].result.output == "The answer is three."
    assert all(protocol.streamed(r) for r in server.requests)


async def test_handoff_and_approval(
    server: FakeProviderServer, make_model: Callable[..., Model]
) -> None:
    @tool(requires_approval=True)
    def refund(order: str) -> str:
        """Refund an order."""
        return f"refunded {order}"

    billing = Agent(make_model(), name="billing", tools=[refund])
    triage = Agent(make_model(), name="triage", handoffs=[billing])
    server.script([tool_call("transfer_to_billing"), tool_call("refund", order="A1"), "Refunded."])
    paused = await triage.run("refund A1")
    assert paused.paused and paused.agent == "billing"
    restored = llmkit.RunResult.from_dict(paused.to_dict())
    done = await triage.resume(restored, approvals={restored.pending[0].id: True})
    assert done.output == "Refunded." and done.agent == "billing"
    assert done.messages[-2].tool_results[0].text == "refunded A1"
    assert not server.errors

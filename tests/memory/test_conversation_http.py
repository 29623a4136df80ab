"""ConversationMemory on every wire protocol of the fake server, run and streamed.

The fake server is as strict as the real APIs: a trimmed history that separated
a tool call from its result, or started with the wrong role, would be refused.
"""

from __future__ import annotations

import pytest

from llmkit import Agent, tool
from llmkit.errors import HookError, UsageError
from llmkit.http import RetryPolicy
from llmkit.memory import ConversationMemory
from llmkit.testing import FakeProviderServer, fake_model, tool_call
from llmkit.types import Message, ModelSettings, ToolCall, ToolResult

pytestmark = pytest.mark.anyio

WIRE_MESSAGES = {
    "openai": "messages",
    "anthropic": "messages",
    "gemini": "contents",
    "ollama": "messages",
}


def history(turns: int) -> list[Message]:
    """Turns that each call a tool, then answer."""
    out: list[Message] = []
    for i in range(turns):
        out += [
            Message.user(f"Weather in town {i}? " + "be precise " * 10),
            Message.assistant(tool_calls=[ToolCall(f"old_{i}", "weather", {"town": i})]),
            Message.tool(ToolResult(f"old_{i}", "sunny and mild " * 8, name="weather")),
            Message.assistant(f"Sunny in town {i}. " + "nice day " * 10),
        ]
    return out


@tool
def weather(town: int) -> str:
    """The weather in a town."""
    return "sunny and mild"


@pytest.mark.parametrize("protocol", sorted(WIRE_MESSAGES))
@pytest.mark.parametrize("streamed", [False, True])
async def test_memory_trims_what_each_protocol_receives(
    llmkit_fake_server: FakeProviderServer, protocol: str, streamed: bool
) -> None:
    llmkit_fake_server.script([tool_call("weather", town=99), "It is sunny."])
    model = fake_model(llmkit_fake_server, protocol, retry=RetryPolicy(max_retries=0))
    agent = Agent(model, tools=[weather], hooks=[ConversationMemory(max_tokens=700)])
    past = history(20)
    if streamed:
        events = [e async for e in agent.stream("And in town 99?", message_history=past)]
        result = events[-1].result  # type: ignore[attr-defined]  # run.end carries the result
    else:
        result = await agent.run("And in town 99?", message_history=past)
    assert result.output == "It is sunny."
    assert result.messages[: len(past)] == past
    bodies = [r.json for r in llmkit_fake_server.requests if r.json is not None]
    assert len(bodies) == 2
    for body in bodies:
        assert 0 < len(body[WIRE_MESSAGES[protocol]]) < len(past) // 2
    assert llmkit_fake_server.errors == []


async def test_an_ollama_model_is_budgeted_by_num_ctx_not_its_model_card(
    llmkit_fake_server: FakeProviderServer,
) -> None:
    model = fake_model(llmkit_fake_server, "ollama", retry=RetryPolicy(max_retries=0))
    assert model.name.startswith("ollama/")
    with pytest.raises(HookError) as caught:
        await Agent(model, hooks=[ConversationMemory()]).run("q", message_history=history(20))
    assert isinstance(caught.value.__cause__, UsageError)
    assert "num_ctx" in str(caught.value.__cause__)
    assert "max_tokens=" in str(caught.value.__cause__)
    llmkit_fake_server.script(["ok"])
    settings: ModelSettings = {"extra": {"options": {"num_ctx": 1000}}}
    agent = Agent(model, hooks=[ConversationMemory()], model_settings=settings)
    past = history(40)
    await agent.run("q", message_history=past)
    (body,) = [r.json for r in llmkit_fake_server.requests if r.json is not None]
    assert body["options"]["num_ctx"] == 1000
    assert 0 < len(body["messages"]) < len(past) // 2

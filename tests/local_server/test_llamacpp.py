"""The OpenAI protocol against a real OpenAI-compatible server nobody on this project wrote.

llama-cpp-python's server, serving Gemma 3 270M. The model is tiny, so these
tests check the protocol (what the server accepts, what llmkit reads back),
never the quality of an answer: a tool loop is steered with ``tool_choice``,
structured output is held to its schema by the server's grammar.
"""

from __future__ import annotations

import asyncio
import math

import pytest
from pydantic import BaseModel

import llmkit
from llmkit import Agent, Message, Request, UsageLimits, tool
from llmkit.errors import StreamInterruptedError, UsageLimitExceeded
from llmkit.events import ModelResponse, TextDelta
from llmkit.hooks import Hook, HookContext
from llmkit.providers.base import Model
from llmkit.types import ToolResult

from .conftest import LocalServers

pytestmark = pytest.mark.anyio

LONG = "Write a long story about a lighthouse keeper and the sea, with many details."
# Both ways a user reaches such a server: the preset, and the OpenAI provider with an address.
VIA = ["llamacpp", "openai"]


def chat_model(servers: LocalServers, via: str) -> Model:
    return llmkit.model(
        f"{via}/{servers.model}", base_url=servers.chat_url, api_key="local", max_retries=0
    )


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


class City(BaseModel):
    name: str
    country: str


class Steer(Hook):
    """Ask for a call of ``add`` on the first model call and for text on the next ones."""

    def __init__(self) -> None:
        self.sent: list[object] = []

    def before_model(self, ctx: HookContext, request: Request) -> Request:
        first = not any(m.role == "tool" for m in request.messages)
        request.tool_choice = "add" if first else "none"
        self.sent.append(request.tool_choice)
        return request


# ------------------------------------------------------------------ text


@pytest.mark.parametrize("via", VIA)
async def test_the_token_limit_reaches_the_server(llama_servers: LocalServers, via: str) -> None:
    model = chat_model(llama_servers, via)
    response = await model.generate(Request([Message.user(LONG)], max_tokens=8, temperature=0))
    assert not response.usage.estimated
    assert 0 < response.usage.output_tokens <= 8
    assert response.finish_reason in ("length", "stop")


@pytest.mark.parametrize("via", VIA)
async def test_a_stream_delivers_the_text_it_ends_with(
    llama_servers: LocalServers, via: str
) -> None:
    model = chat_model(llama_servers, via)
    deltas: list[str] = []
    final = None
    async for event in model.stream(Request([Message.user(LONG)], max_tokens=8, temperature=0)):
        if isinstance(event, TextDelta):
            deltas.append(event.text)
        elif isinstance(event, ModelResponse):
            final = event.response
    assert final is not None
    assert "".join(deltas) == final.text
    assert final.text
    assert final.finish_reason in ("length", "stop")
    usage = final.usage
    assert usage.output_tokens > 0
    if not usage.estimated:
        assert usage.output_tokens <= 8


async def test_an_output_token_limit_stops_a_streamed_run_as_it_stops_a_run(
    llama_servers: LocalServers,
) -> None:
    agent = Agent(chat_model(llama_servers, "openai"), model_settings={"max_tokens": 40})
    limits = UsageLimits(max_output_tokens=3)
    with pytest.raises(UsageLimitExceeded):
        await agent.run(LONG, usage_limits=limits)
    with pytest.raises(UsageLimitExceeded) as caught:
        async for _ in agent.stream(LONG, usage_limits=limits):
            pass
    assert caught.value.usage is not None and caught.value.usage.output_tokens > 3


# ----------------------------------------------------------------- tools


@pytest.mark.parametrize("via", VIA)
async def test_a_tool_loop_runs_to_the_end(llama_servers: LocalServers, via: str) -> None:
    steer = Steer()
    agent = Agent(chat_model(llama_servers, via), tools=[add], hooks=[steer])
    result = await agent.run("What is 2 + 3? Use the add tool.", max_steps=4)
    assert result.output == result.messages[-1].text
    assert steer.sent == ["add", "none"]
    [assistant_call, tool_message] = [
        m for m in result.messages if m.role == "tool" or m.tool_calls
    ]
    [call] = assistant_call.tool_calls
    assert call.name == "add"
    assert set(call.arguments) == {"a", "b"}
    [answer] = [p for p in tool_message.parts if isinstance(p, ToolResult)]
    assert not answer.is_error
    assert answer.text == str(call.arguments["a"] + call.arguments["b"])


async def test_a_tool_loop_streams_to_the_end(llama_servers: LocalServers) -> None:
    agent = Agent(chat_model(llama_servers, "llamacpp"), tools=[add], hooks=[Steer()])
    topics = [event.topic async for event in agent.stream("Add 4 and 5.", max_steps=4)]
    assert topics.count("tool.result") == 1
    assert topics[-1] == "run.end"


async def test_tool_choice_in_model_settings_reaches_the_server(
    llama_servers: LocalServers,
) -> None:
    agent = Agent(
        chat_model(llama_servers, "openai"),
        tools=[add],
        model_settings={"tool_choice": "none", "max_tokens": 16, "temperature": 0},
    )
    result = await agent.run("What is 2 + 3?")
    assert len(result.messages) == 2
    assert not result.messages[-1].tool_calls


# -------------------------------------------------------- structured output


async def test_structured_output_in_auto_mode_uses_what_llamacpp_takes(
    llama_servers: LocalServers,
) -> None:
    agent = Agent(
        chat_model(llama_servers, "llamacpp"),
        output_type=City,
        model_settings={"max_tokens": 60, "temperature": 0},
    )
    result = await agent.run("Name a city in France and its country, as JSON.")
    assert isinstance(result.output, City)


async def test_structured_output_of_a_stream(llama_servers: LocalServers) -> None:
    agent = Agent(
        chat_model(llama_servers, "llamacpp"),
        output_type=City,
        model_settings={"max_tokens": 60, "temperature": 0},
    )
    ends = [e async for e in agent.stream("A city in Italy, as JSON.") if e.topic == "run.end"]
    assert isinstance(ends[0].result.output, City)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- embeddings


async def test_embeddings_are_one_vector_per_input(llama_servers: LocalServers) -> None:
    model = llmkit.model(
        f"openai/{llama_servers.model}", base_url=llama_servers.embed_url, api_key="local"
    )
    texts = ["The sea is calm tonight.", "Tax forms are due in April.", "The ocean is quiet."]
    result = await model.embed(texts)
    assert len(result) == 3
    sizes = {len(v) for v in result}
    assert len(sizes) == 1 and sizes.pop() > 100
    assert all(isinstance(x, float) and math.isfinite(x) for v in result for x in v)
    assert result[0] != result[1]


# ------------------------------------------------------- overlapping streams


async def test_a_stream_the_server_cuts_short_is_never_taken_for_an_answer(
    llama_servers: LocalServers,
) -> None:
    """llama.cpp ends an earlier stream with a bare [DONE] when a new request arrives."""
    model = chat_model(llama_servers, "llamacpp")
    first = model.stream(Request([Message.user(LONG)], max_tokens=200, temperature=0))
    started = await anext(first)
    assert started is not None
    second = asyncio.ensure_future(
        model.generate(Request([Message.user("Say hi.")], max_tokens=4, temperature=0))
    )
    final = None
    broken: StreamInterruptedError | None = None
    try:
        async for event in first:
            if isinstance(event, ModelResponse):
                final = event.response
    except StreamInterruptedError as exc:
        broken = exc
    if broken is not None:
        assert broken.retryable
        assert final is None
    else:
        # The first stream got to its end before the second request arrived.
        assert final is not None
        assert final.text
        assert final.finish_reason in ("length", "stop")
    assert (await second).usage.output_tokens > 0

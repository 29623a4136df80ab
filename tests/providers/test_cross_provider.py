"""A conversation held with one provider continues on another, over each real wire protocol."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

import llmkit
from llmkit import ImagePart, Message, Model, Request, ToolResult, ToolSpec
from llmkit.events import ModelResponse, TextDelta
from llmkit.testing import FakeProviderServer, tool_call

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
WEATHER = ToolSpec(
    "get_weather",
    "Current weather in a city.",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)


def openai(server: FakeProviderServer) -> Model:
    return llmkit.model(
        "openai/gpt-4.1-mini", base_url=server.openai_base_url, api_key="sk-test-0001"
    )


def anthropic(server: FakeProviderServer) -> Model:
    return llmkit.model(
        "anthropic/claude-sonnet-4-5", base_url=server.anthropic_base_url, api_key="sk-ant-test-1"
    )


def gemini(server: FakeProviderServer) -> Model:
    return llmkit.model(
        "gemini/gemini-2.5-flash", base_url=server.gemini_base_url, api_key="gm-test-0001"
    )


def gemini3(server: FakeProviderServer) -> Model:
    return llmkit.model(
        "gemini/gemini-3-pro-preview", base_url=server.gemini_base_url, api_key="gm-test-0001"
    )


def ollama(server: FakeProviderServer) -> Model:
    return llmkit.model("ollama/llama3.2-vision", base_url=server.ollama_base_url)


PROVIDERS: dict[str, Callable[[FakeProviderServer], Model]] = {
    "openai": openai,
    "anthropic": anthropic,
    "gemini": gemini,
    "gemini3": gemini3,
    "ollama": ollama,
}
PAIRS = [(a, b) for a in PROVIDERS for b in PROVIDERS if a != b]


def first_half(model: Model) -> list[Message]:
    """System prompt, an image, a tool call and its result, and an answer, held with ``model``."""
    messages = [
        Message.system("You are a weather assistant."),
        Message.user(
            "Where was this photo taken, and what is the weather there?",
            ImagePart(data=PNG, media_type="image/png"),
        ),
    ]
    request = Request(messages=messages, tools=[WEATHER])
    first = model.generate_sync(request)
    assert first.tool_calls, "the script asked for a tool call"
    messages.append(first.message)
    messages.append(
        Message.tool(
            *(ToolResult(c.id, json.dumps({"sky": "sunny"}), name=c.name) for c in first.tool_calls)
        )
    )
    second = model.generate_sync(Request(messages=messages, tools=[WEATHER]))
    messages.append(second.message)
    return messages


def wire_text(server: FakeProviderServer) -> str:
    return server.requests[-1].body.decode()


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{a}-to-{b}" for a, b in PAIRS])
def test_conversation_continues_on_another_provider(
    source: str, target: str, llmkit_fake_server: FakeProviderServer
) -> None:
    server = llmkit_fake_server
    server.script(
        [[tool_call("get_weather", city="Paris")], "It is sunny in Paris.", "Yes, take sunglasses."]
    )
    history = first_half(PROVIDERS[source](server))
    history.append(Message.user("Should I take sunglasses?"))

    answer = PROVIDERS[target](server).generate_sync(Request(messages=history, tools=[WEATHER]))

    # The strict fake accepted the carried-over history, and the answer came back.
    assert answer.text == "Yes, take sunglasses."
    sent = wire_text(server)
    assert "You are a weather assistant." in sent  # system prompt
    assert "iVBORw0KGgo" in sent  # the image, as base64
    assert "get_weather" in sent and "Paris" in sent  # the tool call
    assert "sunny" in sent  # its result
    assert "It is sunny in Paris." in sent  # the earlier answer


@pytest.mark.parametrize("target", list(PROVIDERS))
def test_streamed_answer_is_the_same_on_every_provider(
    target: str, llmkit_fake_server: FakeProviderServer
) -> None:
    llmkit_fake_server.script(["The same words on every wire."])
    events = list(
        PROVIDERS[target](llmkit_fake_server).stream_sync(Request(messages=[Message.user("hi")]))
    )
    assert isinstance(events[-1], ModelResponse)
    assert (
        "".join(e.text for e in events if isinstance(e, TextDelta))
        == "The same words on every wire."
    )
    assert events[-1].response.finish_reason == "stop"
    assert events[-1].response.usage.output_tokens > 0

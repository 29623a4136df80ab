"""``count_tokens_by_provider``: the provider's count endpoint, over real HTTP to the fake server."""

from __future__ import annotations

import pytest

from llmkit.errors import AuthenticationError, NotFoundError, UnsupportedError, UsageError
from llmkit.memory import count_tokens, count_tokens_by_provider, count_tokens_by_provider_sync
from llmkit.testing import FakeProviderServer, fake_model
from llmkit.types import Message, Request, ToolSpec

pytestmark = pytest.mark.anyio

HISTORY = [
    Message.system("Answer in one short sentence."),
    Message.user("What is the capital of France, and why is it there?"),
]
ADD = ToolSpec(
    "add",
    "Add two integers.",
    {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}},
)


@pytest.mark.parametrize("protocol", ["anthropic", "gemini"])
async def test_the_count_matches_the_input_tokens_a_call_reports(
    llmkit_fake_server: FakeProviderServer, protocol: str
) -> None:
    model = fake_model(llmkit_fake_server, protocol)
    counted = await count_tokens_by_provider(model, HISTORY)
    llmkit_fake_server.script(["Paris."])
    response = await model.generate(Request(HISTORY))
    assert counted == response.usage.input_tokens > 10
    # The request went to the count route, through the model's own address and key.
    paths = [r.path for r in llmkit_fake_server.requests]
    assert paths[0].endswith(
        "/v1/messages/count_tokens" if protocol == "anthropic" else ":countTokens"
    )


@pytest.mark.parametrize("protocol", ["anthropic", "gemini"])
async def test_text_a_message_and_a_request_with_tools_are_counted(
    llmkit_fake_server: FakeProviderServer, protocol: str
) -> None:
    model = fake_model(llmkit_fake_server, protocol)
    text = await count_tokens_by_provider(model, "What is the capital of France?")
    one = await count_tokens_by_provider(model, Message.user("What is the capital of France?"))
    assert text == one > 0
    with_tools = await count_tokens_by_provider(model, Request(HISTORY, tools=[ADD]))
    assert with_tools > 0
    sent = llmkit_fake_server.requests[-1].body
    assert sent is not None and b"Add two integers." in sent  # the tools went to be counted


def test_the_sync_twin(llmkit_fake_server: FakeProviderServer) -> None:
    model = fake_model(llmkit_fake_server, "anthropic")
    assert count_tokens_by_provider_sync(model, HISTORY) > 10


async def test_provider_errors_map_like_any_call() -> None:
    with FakeProviderServer(api_key="right-key", models={"claude-haiku-4-5"}) as server:
        wrong_key = fake_model(server, "anthropic", model_id="claude-haiku-4-5", api_key="nope")
        with pytest.raises(AuthenticationError):
            await count_tokens_by_provider(wrong_key, HISTORY)
        unknown = fake_model(server, "anthropic", model_id="claude-sonnet-4-5", api_key="right-key")
        with pytest.raises(NotFoundError):
            await count_tokens_by_provider(unknown, HISTORY)
    with FakeProviderServer(api_key="right-key") as server:
        gemini = fake_model(server, "gemini", api_key="nope")
        with pytest.raises(AuthenticationError):
            await count_tokens_by_provider(gemini, HISTORY)


async def test_openai_models_are_counted_exactly_offline(
    llmkit_fake_server: FakeProviderServer,
) -> None:
    pytest.importorskip("tiktoken")
    model = fake_model(llmkit_fake_server, "openai", model_id="gpt-4.1-mini")
    assert await count_tokens_by_provider(model, HISTORY) == count_tokens(model, HISTORY)
    assert llmkit_fake_server.requests == []


async def test_a_model_without_a_count_endpoint_is_refused(
    llmkit_fake_server: FakeProviderServer,
) -> None:
    model = fake_model(llmkit_fake_server, "ollama")
    with pytest.raises(UnsupportedError, match="count_tokens"):
        await count_tokens_by_provider(model, HISTORY)


async def test_content_it_cannot_count_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="str"):
        await count_tokens_by_provider("anthropic/claude-sonnet-4-5", 42)  # type: ignore[arg-type]  # a wrong type on purpose

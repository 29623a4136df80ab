"""Model constructors and request bodies: wrong types and values JSON cannot carry are UsageErrors."""

from __future__ import annotations

import pytest

import llmkit
from llmkit import Message, Request
from llmkit.errors import UsageError
from llmkit.testing import FakeProviderServer

pytestmark = pytest.mark.anyio

MODELS = [
    "openai/gpt-4.1-mini",
    "llamacpp/gemma",
    "anthropic/claude-sonnet-4-5",
    "gemini/gemini-2.5-flash",
    "ollama/llama3.2",
]
KEY = "sk-test-0123456789"


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"api_key": 123}, "api_key for"),
        ({"api_key": KEY, "headers": {"x-team": 5}}, "the value of 'x-team' must be a string"),
        ({"api_key": KEY, "headers": ["x-team"]}, "takes a dict of header names"),
        ({"api_key": KEY, "timeout": "5"}, "timeout must be a positive number"),
        ({"api_key": KEY, "timeout": float("nan")}, "timeout must be a positive number"),
        ({"api_key": KEY, "max_retries": "2"}, "max_retries must be a whole number"),
        ({"api_key": KEY, "retry": 3}, "retry= takes a RetryPolicy"),
        ({"api_key": KEY, "proxy": 3128}, "proxy= takes a proxy URL"),
        ({"api_key": KEY, "capabilities": {"tools": False}}, "capabilities= for"),
    ],
)
def test_wrong_option_types_are_usage_errors_that_say_what_to_pass(
    model: str, options: dict[str, object], message: str
) -> None:
    with pytest.raises(UsageError) as info:
        llmkit.model(model, base_url="http://127.0.0.1:9", **options)
    assert message in str(info.value)


def test_a_header_value_is_never_echoed_in_the_error() -> None:
    with pytest.raises(UsageError) as info:
        llmkit.model("openai/gpt-4.1-mini", api_key=KEY, headers={"x-secret": b"s3cret-bytes"})
    assert "s3cret" not in str(info.value)


@pytest.mark.parametrize("model", ["openai/gpt-4.1-mini", "anthropic/claude-sonnet-4-5"])
async def test_non_finite_numbers_in_extra_are_refused_before_anything_is_sent(
    model: str, llmkit_fake_server: FakeProviderServer
) -> None:
    server = llmkit_fake_server
    server.script(["never sent"])
    provider = model.split("/")[0]
    base_url = getattr(server, f"{provider}_base_url")
    chat = llmkit.model(model, base_url=base_url, api_key=KEY)
    request = Request([Message.user("hi")], extra={"frequency_penalty": float("nan")})
    with pytest.raises(UsageError, match="NaN or infinity"):
        await chat.generate(request)
    with pytest.raises(UsageError, match="NaN or infinity"):
        [e async for e in chat.stream(request)]
    assert server.requests == []


async def test_a_value_json_cannot_carry_in_extra_is_a_usage_error(
    llmkit_fake_server: FakeProviderServer,
) -> None:
    chat = llmkit.model(
        "openai/gpt-4.1-mini", base_url=llmkit_fake_server.openai_base_url, api_key=KEY
    )
    with pytest.raises(UsageError, match="extra= and model_settings values must be JSON"):
        await chat.generate(Request([Message.user("hi")], extra={"logit_bias": {1, 2}}))
    assert llmkit_fake_server.requests == []


@pytest.mark.parametrize(
    ("name", "variables"),
    [
        ("openai/gpt-4.1-mini", ("OPENAI_API_KEY",)),
        ("groq/llama-3.3-70b", ("GROQ_API_KEY",)),
        ("anthropic/claude-sonnet-4-5", ("ANTHROPIC_API_KEY",)),
        ("gemini/gemini-2.5-flash", ("GEMINI_API_KEY", "GOOGLE_API_KEY")),
        ("ollama/llama3.2", ("OLLAMA_API_KEY",)),
    ],
)
def test_key_env_names_the_variables_the_model_reads_its_key_from(
    name: str, variables: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("GEMINI_API_KEY", "GOOGLE_API_KEY", *variables):
        monkeypatch.delenv(variable, raising=False)
    for variable in reversed(variables):  # each one is read when the ones before it are unset
        monkeypatch.setenv(variable, f"{KEY}-{variable}")
        model = llmkit.model(name, base_url="http://127.0.0.1:9")
        assert model.key_env == variables  # type: ignore[attr-defined]  # an HTTP model
        assert model.holds_key(f"{KEY}-{variable}")  # type: ignore[attr-defined]
    assert llmkit.model("llamacpp/gemma").key_env == ("LLAMACPP_API_KEY",)  # type: ignore[attr-defined]

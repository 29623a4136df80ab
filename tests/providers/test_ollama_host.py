"""Where an Ollama model connects: OLLAMA_HOST and base_url, read the way the ollama command reads them."""

from __future__ import annotations

import pytest

import llmkit
from llmkit.errors import UsageError
from llmkit.http import RetryPolicy
from llmkit.providers.ollama import OllamaModel, ollama_capabilities, parse_host


@pytest.mark.parametrize(
    ("value", "url"),
    [
        (None, "http://127.0.0.1:11434"),
        ("", "http://127.0.0.1:11434"),
        ("   ", "http://127.0.0.1:11434"),
        ("0.0.0.0", "http://127.0.0.1:11434"),
        ("0.0.0.0:11434", "http://127.0.0.1:11434"),
        ("[::]:11434", "http://[::1]:11434"),
        ("myhost", "http://myhost:11434"),
        ("myhost:8080", "http://myhost:8080"),
        (":56789", "http://127.0.0.1:56789"),
        ("1.2.3.4", "http://1.2.3.4:11434"),
        ("http://x:1234", "http://x:1234"),
        ("HTTP://x:1234", "http://x:1234"),
        ("http://example.com", "http://example.com:80"),
        ("https://example.com", "https://example.com:443"),
        ("https://example.com:56789/path/", "https://example.com:56789/path"),
        ("example.com/ollama", "http://example.com:11434/ollama"),
        ("ollama.com", "https://ollama.com:443"),
        ("[0001:002:003:0004::1]", "http://[1:2:3:4::1]:11434"),
        ("[::1]:56789/", "http://[::1]:56789"),
        ("::1", "http://[::1]:11434"),
        ('"myhost:1"', "http://myhost:1"),
        (" 'myhost' ", "http://myhost:11434"),
    ],
)
def test_parse_host(value: str | None, url: str) -> None:
    assert parse_host(value) == url


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("myhost:port", "'port' is not a port number"),
        ("myhost:99999", "'99999' is not a port number"),
        ("ftp://myhost", "scheme must be http or https"),
    ],
)
def test_unusable_addresses_are_usage_errors(value: str, words: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_host(value)
    assert type(caught.value) is UsageError
    assert words in str(caught.value) and "OLLAMA_HOST" in str(caught.value)


def test_environment_then_option(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    assert OllamaModel("llama3.2").base_url == "http://127.0.0.1:11434"
    monkeypatch.setenv("OLLAMA_HOST", "gpu-box:11500")
    assert OllamaModel("llama3.2").base_url == "http://gpu-box:11500"
    assert OllamaModel("llama3.2", base_url="other").base_url == "http://other:11434"
    monkeypatch.setenv("OLLAMA_HOST", "gpu-box:nope")
    with pytest.raises(UsageError, match="not a port number"):
        llmkit.model("ollama/llama3.2")


def test_no_key_is_needed_and_a_key_is_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OLLAMA_API_KEY", raising=False)
    model = llmkit.model("ollama/llama3.2")
    assert model.provider == "ollama" and model.model_id == "llama3.2"
    secret = "ollama-key-0123456789"
    keyed = OllamaModel("llama3.2", api_key=secret)
    assert secret not in repr(keyed) and secret not in repr(vars(keyed))


def test_ollama_is_a_known_provider_with_its_options() -> None:
    assert "ollama" in llmkit.providers.known_providers()
    with pytest.raises(UsageError, match="keep_alive"):
        llmkit.model("ollama/llama3.2", organization="x")
    with pytest.raises(UsageError, match="model id is required"):
        OllamaModel("")
    with pytest.raises(UsageError, match="not both"):
        OllamaModel("llama3.2", max_retries=1, retry=RetryPolicy())


def test_capabilities_from_the_name() -> None:
    assert ollama_capabilities("nomic-embed-text").embeddings
    assert not ollama_capabilities("nomic-embed-text").tools
    assert ollama_capabilities("mxbai-embed-large:latest").embeddings
    chat = ollama_capabilities("llama3.2:3b")
    assert chat.tools and chat.reasoning and not chat.embeddings
    assert chat.token_limit_param == "num_predict"

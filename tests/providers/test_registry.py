"""Resolving "provider/model" strings, options and environment variables."""

from __future__ import annotations

import pytest

import llmkit
from llmkit.errors import MissingAPIKeyError, UsageError
from llmkit.providers import known_providers
from llmkit.providers.openai import PRESETS, OpenAIModel

KEY_VARS = (
    [p.key_env for p in PRESETS.values() if p.key_env]
    + [p.base_url_env for p in PRESETS.values() if p.base_url_env]
    + ["OPENAI_ORG_ID", "OPENAI_PROJECT_ID"]
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in KEY_VARS:
        monkeypatch.delenv(name, raising=False)


def test_openai_model_from_string_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env-123456")
    m = llmkit.model("openai/gpt-4.1-mini")
    assert isinstance(m, OpenAIModel)
    assert (m.provider, m.model_id, m.name) == ("openai", "gpt-4.1-mini", "openai/gpt-4.1-mini")
    assert m.base_url == "https://api.openai.com/v1"
    assert m.capabilities.token_limit_param == "max_tokens"
    assert llmkit.model("openai/o3").capabilities.token_limit_param == "max_completion_tokens"
    assert "sk-from-env" not in repr(m) and "sk-from-env" not in repr(m._endpoint)


def test_missing_key_names_the_variable() -> None:
    with pytest.raises(MissingAPIKeyError, match="OPENAI_API_KEY"):
        llmkit.model("openai/gpt-4.1-mini")
    with pytest.raises(MissingAPIKeyError, match="GROQ_API_KEY"):
        llmkit.model("groq/llama-3.3-70b")


def test_own_base_url_needs_no_key() -> None:
    m = llmkit.model("openai/qwen2.5", base_url="http://127.0.0.1:8080/v1/")
    assert m.base_url == "http://127.0.0.1:8080/v1"  # type: ignore[attr-defined]


def test_base_url_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9999/v1")
    assert llmkit.model("openai/x").base_url == "http://127.0.0.1:9999/v1"  # type: ignore[attr-defined]


def test_presets_keep_slashes_in_the_model_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", "or-key-123456")
    m = llmkit.model("openrouter/anthropic/claude-sonnet-4.5")
    assert (m.provider, m.model_id) == ("openrouter", "anthropic/claude-sonnet-4.5")
    assert m.base_url == "https://openrouter.ai/api/v1"  # type: ignore[attr-defined]
    assert m.capabilities.token_limit_param == "max_tokens"


def test_local_presets_work_without_a_key() -> None:
    assert llmkit.model("llamacpp/any").base_url == "http://127.0.0.1:8080/v1"  # type: ignore[attr-defined]
    assert llmkit.model("vllm/any").base_url == "http://127.0.0.1:8000/v1"  # type: ignore[attr-defined]
    assert llmkit.model("lmstudio/any").base_url == "http://127.0.0.1:1234/v1"  # type: ignore[attr-defined]


def test_azure_address_comes_from_its_endpoint_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UsageError, match="AZURE_OPENAI_ENDPOINT"):
        llmkit.model("azure/my-deployment", api_key="k" * 10)
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://res.openai.azure.com/")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "azure-key-123")
    m = llmkit.model("azure/my-deployment")
    assert m.base_url == "https://res.openai.azure.com/openai/v1"  # type: ignore[attr-defined]
    assert m._endpoint._headers["api-key"] == "azure-key-123"  # type: ignore[attr-defined]


def test_every_issue_named_preset_exists() -> None:
    for name in [
        "azure",
        "llamacpp",
        "vllm",
        "lmstudio",
        "openrouter",
        "groq",
        "together",
        "deepseek",
        "mistral",
    ]:
        assert name in known_providers()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("gpt-4", "look like 'provider/model'"),
        ("openai/", "look like 'provider/model'"),
        ("/gpt-4", "look like 'provider/model'"),
        ("nosuch/model", "Unknown provider 'nosuch'.*Known providers: .*openai"),
    ],
)
def test_bad_model_strings(spec: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        llmkit.model(spec)


def test_unknown_option_lists_the_accepted_ones() -> None:
    with pytest.raises(UsageError, match="Unknown option.*temprature.*Accepted: api_key"):
        llmkit.model("openai/x", api_key="k" * 8, temprature=1)


def test_invalid_base_url() -> None:
    with pytest.raises(UsageError, match="Invalid base URL"):
        llmkit.model("openai/x", base_url="localhost:8080")
    with pytest.raises(UsageError, match="Invalid base URL"):
        llmkit.model("openai/x", base_url="ftp://host/v1")


def test_a_model_object_passes_through() -> None:
    m = llmkit.model("llamacpp/x")
    assert llmkit.model(m) is m
    with pytest.raises(UsageError):
        llmkit.model(m, api_key="x")


def test_organization_and_project_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_ORG_ID", "org-1")
    m = llmkit.model("openai/x", api_key="k" * 8, project="proj-1")
    headers = m._endpoint._headers  # type: ignore[attr-defined]
    assert headers["openai-organization"] == "org-1"
    assert headers["openai-project"] == "proj-1"
    assert headers["authorization"] == "Bearer " + "k" * 8

"""Named presets for OpenAI-compatible services (default address and key variable), and the names
of the providers that speak a protocol of their own.

Pure data, cheap to import: the registry and the price lookup list these names
without loading any protocol module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["NATIVE_PROVIDERS", "PRESETS", "Preset", "known_providers"]


@dataclass(frozen=True, slots=True)
class Preset:
    """How to reach one OpenAI-compatible service."""

    name: str
    """The provider segment of the model string (``"groq"`` in ``"groq/llama-3.3-70b"``)."""
    base_url: str | None
    """Default API address; None when it must come from an argument or variable."""
    key_env: str | None
    """Environment variable holding the API key."""
    base_url_env: str | None
    """Environment variable that overrides the address."""
    key_required: bool = True
    """Whether the service refuses calls without a key (local servers do not)."""
    auth: Literal["bearer", "api-key"] = "bearer"
    """How the key is sent: ``Authorization: Bearer`` or an ``api-key`` header."""
    official: bool = False
    """OpenAI's own models: capabilities come from the OpenAI model table."""
    stream_usage: bool = True
    """Whether to ask for usage in streams (``stream_options.include_usage``)."""
    base_url_suffix: str = ""
    """Appended to an address taken from ``base_url_env`` (Azure's ``/openai/v1``)."""
    output_schema: Literal["json_schema", "json_object", "none"] = "json_schema"
    """How the service takes an output schema (``response_format``): OpenAI's ``json_schema``
    form, ``json_object`` with a ``schema`` field (llama.cpp), or ``none`` when not every
    model it serves takes one (structured output then goes by a tool call)."""
    tool_call_content: Literal["null", "empty"] = "null"
    """The ``content`` of an assistant turn that only calls tools: ``null`` (OpenAI's form)
    or ``""`` (``empty``: what local servers such as llama.cpp accept)."""


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "openai",
            "https://api.openai.com/v1",
            "OPENAI_API_KEY",
            "OPENAI_BASE_URL",
            official=True,
        ),
        Preset(
            "azure",
            None,
            "AZURE_OPENAI_API_KEY",
            "AZURE_OPENAI_ENDPOINT",
            auth="api-key",
            official=True,
            base_url_suffix="/openai/v1",
        ),
        # Gateways and hosts whose models differ in what they take: schemas go by tool call.
        Preset(
            "openrouter",
            "https://openrouter.ai/api/v1",
            "OPENROUTER_API_KEY",
            "OPENROUTER_BASE_URL",
            output_schema="none",
        ),
        Preset(
            "groq",
            "https://api.groq.com/openai/v1",
            "GROQ_API_KEY",
            "GROQ_BASE_URL",
            output_schema="none",
        ),
        Preset(
            "together",
            "https://api.together.xyz/v1",
            "TOGETHER_API_KEY",
            "TOGETHER_BASE_URL",
            output_schema="none",
        ),
        # DeepSeek's JSON mode takes no schema.
        Preset(
            "deepseek",
            "https://api.deepseek.com/v1",
            "DEEPSEEK_API_KEY",
            "DEEPSEEK_BASE_URL",
            output_schema="none",
        ),
        Preset(
            "mistral",
            "https://api.mistral.ai/v1",
            "MISTRAL_API_KEY",
            "MISTRAL_BASE_URL",
            stream_usage=False,
        ),
        Preset(
            "fireworks",
            "https://api.fireworks.ai/inference/v1",
            "FIREWORKS_API_KEY",
            "FIREWORKS_BASE_URL",
        ),
        Preset("xai", "https://api.x.ai/v1", "XAI_API_KEY", "XAI_BASE_URL"),
        Preset("cerebras", "https://api.cerebras.ai/v1", "CEREBRAS_API_KEY", "CEREBRAS_BASE_URL"),
        # llama.cpp (llama-server and llama-cpp-python) refuses json_schema and a null content.
        Preset(
            "llamacpp",
            "http://127.0.0.1:8080/v1",
            "LLAMACPP_API_KEY",
            "LLAMACPP_BASE_URL",
            key_required=False,
            output_schema="json_object",
            tool_call_content="empty",
        ),
        Preset(
            "vllm",
            "http://127.0.0.1:8000/v1",
            "VLLM_API_KEY",
            "VLLM_BASE_URL",
            key_required=False,
            tool_call_content="empty",
        ),
        Preset(
            "lmstudio",
            "http://127.0.0.1:1234/v1",
            "LMSTUDIO_API_KEY",
            "LMSTUDIO_BASE_URL",
            key_required=False,
            tool_call_content="empty",
        ),
    )
}

NATIVE_PROVIDERS = ("anthropic", "gemini", "ollama")
"""The providers with a wire protocol of their own; every other name is an OpenAI-compatible preset."""


def known_providers() -> list[str]:
    """Every provider name :func:`llmkit.providers.model` understands, sorted."""
    return sorted({*PRESETS, *NATIVE_PROVIDERS})

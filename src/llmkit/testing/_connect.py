"""Models pointed at the fake provider server, one per wire protocol."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llmkit.errors import UsageError

if TYPE_CHECKING:
    from llmkit.providers.base import Model
    from llmkit.testing.server import FakeProviderServer

__all__ = ["FAKE_KEY", "PROTOCOL_MODELS", "fake_model", "named_fake_model"]

PROTOCOL_MODELS: dict[str, str] = {
    "openai": "gpt-4.1-mini",
    "anthropic": "claude-sonnet-4-5",
    "gemini": "gemini-2.5-flash",
    "ollama": "llama3.2",
}
"""The wire protocols the fake server speaks, and the model id used for each by default."""

FAKE_KEY = "sk-llmkit-fake-key"
"""The API key models pointed at the fake server send (it accepts any key by default)."""


def fake_model(
    server: FakeProviderServer,
    protocol: str = "openai",
    *,
    model_id: str | None = None,
    **options: Any,
) -> Model:
    """A model talking to ``server`` over real HTTP in ``protocol`` (openai, anthropic, gemini, ollama).

    ``options`` go to :func:`llmkit.model` (``retry=``, ``capabilities=`` …);
    the base URL and a test key are filled in.
    """
    default = PROTOCOL_MODELS.get(protocol)
    if default is None:
        raise UsageError(
            f"The fake server speaks {', '.join(PROTOCOL_MODELS)}; there is no {protocol!r} protocol."
        )
    from llmkit.providers import model as make_model

    return make_model(f"{protocol}/{model_id or default}", **_options(server, protocol, options))


def named_fake_model(server: FakeProviderServer, spec: str, **options: Any) -> Model:
    """The model ``spec`` names (``"groq/llama-3.3-70b"``), talking to ``server`` instead.

    Anthropic, Gemini and Ollama models speak their own protocol; every other
    provider is OpenAI-compatible and speaks OpenAI's. The model keeps its
    name (and so its capabilities and prices).
    """
    from llmkit.providers import model as make_model
    from llmkit.providers._presets import PRESETS

    provider = spec.partition("/")[0]
    protocol = provider if provider in PROTOCOL_MODELS else "openai"
    preset = PRESETS.get(provider)
    if preset is not None and preset.auth != "bearer":
        # The server checks keys the OpenAI way; Azure's api-key header alone would be refused.
        options.setdefault("headers", {"authorization": f"Bearer {FAKE_KEY}"})
    return make_model(spec, **_options(server, protocol, options))


def _options(server: FakeProviderServer, protocol: str, options: dict[str, Any]) -> dict[str, Any]:
    base_url = {
        "openai": server.openai_base_url,
        "anthropic": server.anthropic_base_url,
        "gemini": server.gemini_base_url,
        "ollama": server.ollama_base_url,
    }[protocol]
    options.setdefault("base_url", base_url)
    if protocol != "ollama":
        options.setdefault("api_key", FAKE_KEY)
    return options

"""The fake server's own per-model tables agree with the client's model profiles.

The fake keeps its own tables (what each model accepts, written from the
providers' documentation) so that a wrong client profile meets a refusal in
tests, as it would meet one from the real API. This test is the one place the
two meet: for every model id either table names, they say the same thing. When
it fails, check the provider's documentation and fix whichever table is wrong.
"""

from __future__ import annotations

import pytest

from llmkit.providers._profiles import anthropic as anthropic_profiles
from llmkit.providers._profiles import gemini as gemini_profiles
from llmkit.providers.ollama import ollama_capabilities
from llmkit.testing._fake.anthropic import limits as anthropic_limits
from llmkit.testing._fake.gemini import limits as gemini_limits
from llmkit.testing._fake.ollama.limits import PATTERNS, OllamaCapabilities


def _ids(fake: tuple[str, ...], client: tuple[tuple[str, object], ...], *more: str) -> list[str]:
    """Every prefix either table names, a dated snapshot of each, and ids neither names."""
    named = dict.fromkeys([*fake, *(prefix for prefix, _ in client)])
    return sorted({*named, *(f"{p}-20991231" for p in named), *more})


ANTHROPIC_IDS = _ids(
    anthropic_limits.PREFIXES, anthropic_profiles._ANTHROPIC_TABLE, "claude-unknown-9", "other"
)
GEMINI_IDS = _ids(gemini_limits.PREFIXES, gemini_profiles._GEMINI_TABLE, "gemini-9-ultra", "other")
OLLAMA_IDS = sorted({prefix for prefixes, _ in PATTERNS for prefix in prefixes} | {"mistral"})


@pytest.mark.parametrize("model", ANTHROPIC_IDS)
def test_anthropic_limits_agree_with_the_client_profile(model: str) -> None:
    profile = anthropic_profiles.anthropic_profile(model)
    fake = anthropic_limits.limits_for(model)
    assert (fake.max_output_tokens, fake.mid_conversation_system) == (
        profile.max_output_tokens,
        profile.mid_conversation_system,
    )


@pytest.mark.parametrize("model", [*GEMINI_IDS, "models/gemini-3-pro-preview"])
def test_gemini_limits_agree_with_the_client_profile(model: str) -> None:
    profile = gemini_profiles.gemini_profile(model)
    fake = gemini_limits.limits_for(model)
    assert fake.embedding == profile.capabilities.embeddings
    assert fake.thought_signatures == profile.thought_signatures
    assert fake.thinking == profile.thinking
    assert fake.thinking_levels == profile.thinking_levels
    assert fake.budget_range == profile.budget_range
    assert fake.can_disable_thinking == profile.can_disable_thinking


@pytest.mark.parametrize("model", OLLAMA_IDS)
def test_ollama_embedding_models_agree_with_the_client(model: str) -> None:
    fake = OllamaCapabilities().of(model)
    assert ("embedding" in fake) == ollama_capabilities(model).embeddings
    assert ("completion" in fake) != ollama_capabilities(model).embeddings

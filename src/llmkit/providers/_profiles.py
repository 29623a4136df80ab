"""Model capabilities as data, looked up by model id.

A table of (id prefix, capabilities) per provider family. The first matching
prefix wins; unknown ids get permissive defaults, so a new model works on
day one and the provider itself rejects what it cannot do.
"""

from __future__ import annotations

from llmkit.providers.base import Capabilities

__all__ = ["compatible_capabilities", "openai_capabilities"]

_OPENAI_DEFAULT = Capabilities(documents=True, token_limit_param="max_completion_tokens")
_OPENAI_REASONING = Capabilities(
    documents=True, reasoning=True, sampling=False, token_limit_param="max_completion_tokens"
)
_OPENAI_EMBEDDING = Capabilities(
    tools=False,
    parallel_tool_calls=False,
    images=False,
    structured_output=False,
    embeddings=True,
    token_limit_param="max_completion_tokens",
)

# Ordered: more specific prefixes first.
_OPENAI_TABLE: tuple[tuple[str, Capabilities], ...] = (
    ("text-embedding-", _OPENAI_EMBEDDING),
    ("gpt-5-chat", _OPENAI_DEFAULT),
    ("gpt-5", _OPENAI_REASONING),
    ("o1", _OPENAI_REASONING),
    ("o3", _OPENAI_REASONING),
    ("o4", _OPENAI_REASONING),
    ("gpt-4o-audio", Capabilities(audio=True, token_limit_param="max_completion_tokens")),
    (
        "gpt-4.1",
        Capabilities(
            documents=True, token_limit_param="max_completion_tokens", max_context=1_047_576
        ),
    ),
    (
        "gpt-4o",
        Capabilities(
            documents=True, token_limit_param="max_completion_tokens", max_context=128_000
        ),
    ),
)

# OpenAI-compatible servers: pass through what the caller asks and let the server decide.
_COMPATIBLE = Capabilities(reasoning=True)


def openai_capabilities(model_id: str) -> Capabilities:
    """Capabilities of an OpenAI (or Azure OpenAI) model id."""
    for prefix, caps in _OPENAI_TABLE:
        if model_id.startswith(prefix):
            return caps
    return _OPENAI_DEFAULT


def compatible_capabilities(model_id: str) -> Capabilities:
    """Capabilities of a model on an OpenAI-compatible server (permissive)."""
    return _COMPATIBLE

"""Anthropic models' capabilities and wire details as data, looked up by model id.

A table of (id prefix, profile); the first matching prefix wins (dated
snapshots match their family); an id the table does not know is taken to be
a current model.
"""

from __future__ import annotations

from dataclasses import dataclass

from llmkit.providers.base import Capabilities

__all__ = ["AnthropicProfile", "anthropic_profile"]

_ANTHROPIC_ANSWER = 8192  # max_tokens sent when the caller sets none (within the model's maximum)


@dataclass(frozen=True, slots=True)
class AnthropicProfile:
    """What an Anthropic model takes on the wire, beyond :class:`Capabilities`.

    ``capabilities.reasoning`` says whether it has extended thinking and
    ``capabilities.structured_output`` whether it takes ``output_config.format``.
    """

    capabilities: Capabilities
    max_output_tokens: int | None = None
    """The largest ``max_tokens`` the model accepts; None when not known."""
    mid_conversation_system: bool = False
    """Takes ``role: "system"`` messages inside the conversation."""

    @property
    def default_max_tokens(self) -> int:
        """``max_tokens`` when the caller sets none: 8192, or the model's maximum if lower."""
        ceiling = self.max_output_tokens
        return _ANTHROPIC_ANSWER if ceiling is None else min(_ANTHROPIC_ANSWER, ceiling)


def _claude(
    max_output: int | None,
    *,
    thinking: bool = True,
    structured: bool = False,
    mid_system: bool = False,
) -> AnthropicProfile:
    caps = Capabilities(
        documents=True,
        reasoning=thinking,
        structured_output=structured,
        max_context=200_000,
    )
    return AnthropicProfile(caps, max_output, mid_system)


# Ordered: more specific prefixes first ("claude-opus-4-1" before "claude-opus-4").
_ANTHROPIC_TABLE: tuple[tuple[str, AnthropicProfile], ...] = (
    ("claude-opus-4-8", _claude(None, structured=True, mid_system=True)),
    ("claude-opus-4-7", _claude(None, structured=True)),
    ("claude-opus-4-6", _claude(None, structured=True)),
    ("claude-sonnet-4-6", _claude(64_000, structured=True)),
    ("claude-opus-4-5", _claude(64_000, structured=True)),
    ("claude-opus-4-1", _claude(32_000)),
    ("claude-opus-4", _claude(32_000)),
    ("claude-sonnet-4-5", _claude(64_000, structured=True)),
    ("claude-sonnet-4", _claude(64_000)),
    ("claude-haiku-4-5", _claude(64_000, structured=True)),
    ("claude-3-7-sonnet", _claude(64_000)),
    ("claude-3-5-haiku", _claude(8192, thinking=False)),
    ("claude-3-5-sonnet", _claude(8192, thinking=False)),
    ("claude-3-", _claude(4096, thinking=False)),
)
# An id not in the table is taken to be a current model with every feature but
# mid-conversation system turns, which the table names explicitly.
_ANTHROPIC_DEFAULT = _claude(None, structured=True)


def anthropic_profile(model_id: str) -> AnthropicProfile:
    """The wire profile of an Anthropic model id (dated snapshots match their family)."""
    for prefix, profile in _ANTHROPIC_TABLE:
        if model_id.startswith(prefix):
            return profile
    return _ANTHROPIC_DEFAULT

"""The fake Anthropic API's own per-model limits: largest ``max_tokens``, system turns inside.

Written from the providers' documentation (the models overview and the
Messages API reference; the rules are collected in ``WIRE.md``), not taken
from the client's model profiles: a client profile that says a model takes
more than it does is refused here, as the real API would refuse it.
``tests/testing/test_fake_limits.py`` checks that the two tables agree.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PREFIXES", "AnthropicLimits", "limits_for"]


@dataclass(frozen=True, slots=True)
class AnthropicLimits:
    """What one Anthropic model family accepts, as far as the fake checks it."""

    max_output_tokens: int | None = None
    """The largest ``max_tokens`` the model accepts; None when the fake does not check it."""
    mid_conversation_system: bool = False
    """Whether ``role: "system"`` messages may stand inside the conversation."""


# Ordered: more specific prefixes first ("claude-opus-4-1" before "claude-opus-4").
_TABLE: tuple[tuple[str, AnthropicLimits], ...] = (
    ("claude-opus-4-8", AnthropicLimits(None, mid_conversation_system=True)),
    ("claude-opus-4-7", AnthropicLimits(None)),
    ("claude-opus-4-6", AnthropicLimits(None)),
    ("claude-sonnet-4-6", AnthropicLimits(64_000)),
    ("claude-opus-4-5", AnthropicLimits(64_000)),
    ("claude-opus-4-1", AnthropicLimits(32_000)),
    ("claude-opus-4", AnthropicLimits(32_000)),
    ("claude-sonnet-4-5", AnthropicLimits(64_000)),
    ("claude-sonnet-4", AnthropicLimits(64_000)),
    ("claude-haiku-4-5", AnthropicLimits(64_000)),
    ("claude-3-7-sonnet", AnthropicLimits(64_000)),
    ("claude-3-5-haiku", AnthropicLimits(8192)),
    ("claude-3-5-sonnet", AnthropicLimits(8192)),
    ("claude-3-", AnthropicLimits(4096)),
)
# A model the table does not name: no output ceiling checked, no system turns inside.
_DEFAULT = AnthropicLimits()

PREFIXES: tuple[str, ...] = tuple(prefix for prefix, _ in _TABLE)
"""The model-id prefixes the table names, most specific first."""


def limits_for(model: str) -> AnthropicLimits:
    """The limits of ``model`` (a dated snapshot matches its family's prefix)."""
    for prefix, limits in _TABLE:
        if model.startswith(prefix):
            return limits
    return _DEFAULT

"""The fake Gemini API's own per-model table: embedding models, thought signatures, thinking.

Written from the providers' documentation (the Gemini models page, the
thinking and thought-signature guides; the rules are collected in ``WIRE.md``),
never imported from the client's model profiles: a client profile that gets
a model wrong meets the fake's refusal, as it would meet the real API's.
``tests/testing/test_fake_limits.py`` checks that the two tables agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["PREFIXES", "GeminiLimits", "embedding_size", "limits_for"]


@dataclass(frozen=True, slots=True)
class GeminiLimits:
    """What one Gemini model family accepts, as far as the fake checks it."""

    embedding: bool = False
    """An embedding model: it serves the embed methods, not ``generateContent``."""
    thought_signatures: bool = False
    """Signs its function calls; refuses a call turn sent back without its signature (Gemini 3)."""
    thinking: Literal["none", "budget", "level"] = "budget"
    """How thinking is set: not at all, by ``thinkingBudget`` tokens, or by ``thinkingLevel``."""
    thinking_levels: tuple[str, ...] = ()
    """The ``thinkingLevel`` values it takes, lowest first."""
    budget_range: tuple[int, int] | None = None
    """Smallest and largest positive ``thinkingBudget``; None: any up to 32768."""
    can_disable_thinking: bool = True
    """Whether ``thinkingBudget: 0`` turns thinking off."""


_EMBEDDING = GeminiLimits(embedding=True, thinking="none")
_NO_THINKING = GeminiLimits(thinking="none")

# Ordered: more specific prefixes first.
_TABLE: tuple[tuple[str, GeminiLimits], ...] = (
    ("gemini-embedding", _EMBEDDING),
    ("text-embedding", _EMBEDDING),
    ("embedding-", _EMBEDDING),
    (
        "gemini-3-pro",
        GeminiLimits(
            thought_signatures=True,
            thinking="level",
            thinking_levels=("low", "high"),
            can_disable_thinking=False,
        ),
    ),
    (
        "gemini-3",
        GeminiLimits(
            thought_signatures=True,
            thinking="level",
            thinking_levels=("minimal", "low", "medium", "high"),
            can_disable_thinking=False,
        ),
    ),
    ("gemini-2.5-pro", GeminiLimits(budget_range=(128, 32768), can_disable_thinking=False)),
    ("gemini-2.5-flash-lite", GeminiLimits(budget_range=(512, 24576))),
    ("gemini-2.5-flash", GeminiLimits(budget_range=(1, 24576))),
    ("gemini-2.0", _NO_THINKING),
    ("gemini-1.5", _NO_THINKING),
    ("gemma-", _NO_THINKING),
)
# A model the table does not name is taken to be a current model that thinks by budget.
_DEFAULT = GeminiLimits()

PREFIXES: tuple[str, ...] = tuple(prefix for prefix, _ in _TABLE)
"""The model-id prefixes the table names, most specific first."""

_EMBEDDING_SIZES = {"text-embedding-004": 768, "embedding-001": 768}


def limits_for(model: str) -> GeminiLimits:
    """The limits of ``model`` (``"models/"`` prefix allowed)."""
    name = model.removeprefix("models/")
    for prefix, limits in _TABLE:
        if name.startswith(prefix):
            return limits
    return _DEFAULT


def embedding_size(model: str) -> int:
    """The longest vector the embedding ``model`` gives (``outputDimensionality`` at most)."""
    return _EMBEDDING_SIZES.get(model, 3072)

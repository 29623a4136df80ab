"""Gemini models' capabilities and wire details as data, looked up by model id.

A table of (id prefix, profile); the first matching prefix wins; an id the
table does not know is taken to be a current model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from llmkit.providers.base import Capabilities

__all__ = ["GeminiProfile", "gemini_profile"]


@dataclass(frozen=True, slots=True)
class GeminiProfile:
    """What a Gemini model takes on the wire, beyond :class:`Capabilities`."""

    capabilities: Capabilities
    json_schema: bool = True
    """Takes plain JSON Schema (``parametersJsonSchema``, ``responseJsonSchema``);
    otherwise schemas are rewritten into the OpenAPI subset (``parameters``, ``responseSchema``)."""
    thought_signatures: bool = False
    """Rejects a function-call turn sent back without its ``thoughtSignature`` (Gemini 3)."""
    thinking: Literal["none", "budget", "level"] = "budget"
    """How thinking is controlled: not at all, ``thinkingBudget`` tokens, or ``thinkingLevel``."""
    thinking_levels: tuple[str, ...] = ()
    """The ``thinkingLevel`` values the model takes, lowest first."""
    budget_range: tuple[int, int] | None = None
    """Smallest and largest ``thinkingBudget`` (a positive budget); None when unknown."""
    can_disable_thinking: bool = True
    """Whether ``thinkingBudget: 0`` turns thinking off."""


_GEMINI_CAPS = Capabilities(
    documents=True, audio=True, reasoning=True, token_limit_param="maxOutputTokens"
)
_GEMINI_EMBEDDING = GeminiProfile(
    Capabilities(
        tools=False,
        parallel_tool_calls=False,
        images=False,
        structured_output=False,
        embeddings=True,
        token_limit_param="maxOutputTokens",
    ),
    thinking="none",
)
_GEMINI_OLD = GeminiProfile(
    Capabilities(
        documents=True, audio=True, token_limit_param="maxOutputTokens", max_context=1_048_576
    ),
    json_schema=False,
    thinking="none",
)

# Ordered: more specific prefixes first.
_GEMINI_TABLE: tuple[tuple[str, GeminiProfile], ...] = (
    ("gemini-embedding", _GEMINI_EMBEDDING),
    ("text-embedding", _GEMINI_EMBEDDING),
    ("embedding-", _GEMINI_EMBEDDING),
    (
        "gemini-3-pro",
        GeminiProfile(
            _GEMINI_CAPS,
            thought_signatures=True,
            thinking="level",
            thinking_levels=("low", "high"),
            can_disable_thinking=False,
        ),
    ),
    (
        "gemini-3",
        GeminiProfile(
            _GEMINI_CAPS,
            thought_signatures=True,
            thinking="level",
            thinking_levels=("minimal", "low", "medium", "high"),
            can_disable_thinking=False,
        ),
    ),
    (
        "gemini-2.5-pro",
        GeminiProfile(_GEMINI_CAPS, budget_range=(128, 32768), can_disable_thinking=False),
    ),
    ("gemini-2.5-flash-lite", GeminiProfile(_GEMINI_CAPS, budget_range=(512, 24576))),
    ("gemini-2.5-flash", GeminiProfile(_GEMINI_CAPS, budget_range=(1, 24576))),
    ("gemini-2.0", _GEMINI_OLD),
    ("gemini-1.5", _GEMINI_OLD),
    (
        "gemma-",
        GeminiProfile(
            Capabilities(
                tools=False,
                parallel_tool_calls=False,
                structured_output=False,
                token_limit_param="maxOutputTokens",
            ),
            json_schema=False,
            thinking="none",
        ),
    ),
)
# A Gemini id not in the table is taken to be a current model.
_GEMINI_DEFAULT = GeminiProfile(_GEMINI_CAPS)


def gemini_profile(model_id: str) -> GeminiProfile:
    """The wire profile of a Gemini model id (``"models/"`` prefix allowed)."""
    name = model_id.removeprefix("models/")
    for prefix, profile in _GEMINI_TABLE:
        if name.startswith(prefix):
            return profile
    return _GEMINI_DEFAULT

"""Which tokenizer each OpenAI model uses, and how each encoding is built: data, no code.

What always holds:

- :data:`ENCODINGS` describes every encoding llmkit builds offline: its split
  pattern, special tokens, and the SHA-256 of its rank file exactly as
  tiktoken checks it (so a bundled file that differs by a byte is refused);
- :data:`MODEL_ENCODINGS` maps model-id prefixes to encodings, most specific
  first; the first prefix that matches wins, and ids no prefix matches have no
  known encoding (their counts are estimates).

The patterns and special tokens are those of tiktoken's ``openai_public``
definitions; ``tests/memory/test_tokens.py`` checks the token ids this data
produces against tiktoken's own encodings.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ENCODINGS", "MODEL_ENCODINGS", "EncodingSpec", "encoding_for_model"]


@dataclass(frozen=True, slots=True)
class EncodingSpec:
    """How to build one tiktoken encoding from its bundled rank file."""

    name: str
    """The encoding's name (``"o200k_base"``), also the stem of its rank file."""
    pattern: str
    """The regular expression that splits text into pieces before BPE merges."""
    special_tokens: dict[str, int]
    """Special tokens and their ids (never produced from ordinary text)."""
    sha256: str
    """SHA-256 of the uncompressed rank file, as tiktoken expects it."""


_O200K_PATTERN = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)

_CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)

ENCODINGS: dict[str, EncodingSpec] = {
    "o200k_base": EncodingSpec(
        "o200k_base",
        _O200K_PATTERN,
        {"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
    "cl100k_base": EncodingSpec(
        "cl100k_base",
        _CL100K_PATTERN,
        {
            "<|endoftext|>": 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            "<|endofprompt|>": 100276,
        },
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
}
"""The encodings llmkit counts exactly, by name."""

# Ordered: more specific prefixes first ("gpt-4o" and "gpt-4.1" before "gpt-4").
MODEL_ENCODINGS: tuple[tuple[str, str], ...] = (
    ("gpt-5", "o200k_base"),
    ("gpt-4.5", "o200k_base"),
    ("gpt-4.1", "o200k_base"),
    ("gpt-4o", "o200k_base"),
    ("chatgpt-4o", "o200k_base"),
    ("gpt-oss", "o200k_base"),
    ("o1", "o200k_base"),
    ("o3", "o200k_base"),
    ("o4", "o200k_base"),
    ("codex-", "o200k_base"),
    ("gpt-4", "cl100k_base"),
    ("gpt-3.5", "cl100k_base"),
    ("gpt-35", "cl100k_base"),
    ("text-embedding-3", "cl100k_base"),
    ("text-embedding-ada-002", "cl100k_base"),
)
"""Model-id prefix -> encoding name, for OpenAI's models."""

# Providers whose model ids name OpenAI models (Azure deployments, routers).
_OPENAI_HOSTS = frozenset({"openai", "azure", "openrouter"})


def encoding_for_model(model: str) -> str | None:
    """The encoding name of ``model`` (``"openai/gpt-4.1-mini"`` or a bare id), None if unknown.

    A model string whose provider is not OpenAI (or a host of OpenAI's models)
    has no known encoding: ``"anthropic/claude-..."`` -> None. OpenRouter ids
    are read after their ``openai/`` segment; a fine-tuned id
    (``ft:gpt-4o-mini:org::id``) has its base model's encoding.
    """
    provider, _, model_id = model.partition("/")
    if not model_id:
        model_id, provider = provider, "openai"
    elif provider not in _OPENAI_HOSTS:
        return None
    if provider == "openrouter":
        owner, _, model_id = model_id.partition("/")
        if owner != "openai":
            return None
    model_id = model_id.removeprefix("ft:")  # a fine-tuned model has its base's encoding
    for prefix, name in MODEL_ENCODINGS:
        if model_id.startswith(prefix):
            return name
    return None

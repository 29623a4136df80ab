"""Context-window sizes of well-known models, as data: ``context_window("openai/gpt-4.1-mini")``.

What always holds: the table maps (provider, model-id prefix) to the number of
tokens the model's context window holds (prompt and answer together); the
most specific prefix is listed first and the first match wins; a model the
table does not know gives None, never a guess; a fine-tuned OpenAI id
(``ft:gpt-4o-mini:org::id``) has its base model's window. A :class:`Model` whose
capabilities declare ``max_context`` is taken at its word before the table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmkit.errors import UsageError

if TYPE_CHECKING:
    from llmkit.providers.base import Model

__all__ = ["CONTEXT_WINDOWS", "context_window"]

CONTEXT_WINDOWS: dict[str, tuple[tuple[str, int], ...]] = {
    "openai": (
        ("gpt-5", 400_000),
        ("gpt-4.1", 1_047_576),
        ("gpt-4.5", 128_000),
        ("gpt-4o", 128_000),
        ("chatgpt-4o", 128_000),
        ("gpt-4-turbo", 128_000),
        ("gpt-4-32k", 32_768),
        ("gpt-4", 8_192),
        ("gpt-3.5-turbo", 16_385),
        ("gpt-oss", 131_072),
        ("o1-mini", 128_000),
        ("o1-preview", 128_000),
        ("o1", 200_000),
        ("o3", 200_000),
        ("o4-mini", 200_000),
    ),
    "anthropic": (
        ("claude-3-5-haiku", 200_000),
        ("claude-", 200_000),
    ),
    "gemini": (
        ("gemini-1.5-pro", 2_097_152),
        ("gemini-1.5-flash", 1_048_576),
        ("gemini-2.0-flash", 1_048_576),
        ("gemini-2.5", 1_048_576),
        ("gemini-3", 1_048_576),
    ),
    "ollama": (
        ("llama3.1", 131_072),
        ("llama3.2", 131_072),
        ("llama3.3", 131_072),
        ("llama3", 8_192),
        ("qwen2.5", 32_768),
        ("qwen3", 40_960),
        ("mistral", 32_768),
        ("gemma3", 131_072),
        ("phi4", 16_384),
    ),
}
"""Provider -> (model-id prefix, context window in tokens), most specific prefix first."""

# Model strings of these providers name models of another provider's table.
_SAME_MODELS = {"azure": "openai", "vertex": "gemini", "google": "gemini"}


def context_window(model: str | Model) -> int | None:
    """The context window of ``model`` in tokens, or None when it is not known.

    ``model`` is a model string (``"openai/gpt-4.1-mini"``, ``"anthropic/claude-sonnet-4-5"``;
    OpenRouter strings are read after their first segment) or a Model.
    """
    if not isinstance(model, str):
        declared = getattr(getattr(model, "capabilities", None), "max_context", None)
        if isinstance(declared, int):
            return declared
        name = getattr(model, "name", None)
        if not isinstance(name, str):
            raise UsageError(
                'context_window() takes a model string such as "openai/gpt-4.1-mini" or a '
                f"Model, not {type(model).__name__}."
            )
        model = name
    provider, _, model_id = model.partition("/")
    if provider == "openrouter":
        provider, _, model_id = model_id.partition("/")
        provider = {"google": "gemini"}.get(provider, provider)
    table = CONTEXT_WINDOWS.get(_SAME_MODELS.get(provider, provider), ())
    # A fine-tuned OpenAI model (ft:gpt-4o-mini:org::id) has its base model's window.
    model_id = model_id.removeprefix("models/").removeprefix("ft:")
    for prefix, size in table:
        if model_id.startswith(prefix):
            return size
    return None

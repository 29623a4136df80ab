"""Memory: token counting, context windows and conversation memory.

::

    from llmkit.memory import ConversationMemory, context_window, count_tokens

    count_tokens("openai/gpt-4.1-mini", "some text")   # exact and offline (llmkit[tokens])
    context_window("openai/gpt-4.1-mini")              # 1047576, None when unknown
    memory = ConversationMemory(max_tokens=8_000, keep_last=6)
    agent = Agent("openai/gpt-4.1-mini", hooks=[memory])  # what reaches the model fits

This module only re-exports, lazily: tiktoken is imported when a count for an
OpenAI model first needs it, never by ``import llmkit.memory``.
:func:`count_tokens` and :class:`TokenCounter` are defined in
``llmkit.memory._tokens``, :func:`context_window` in ``llmkit.memory._windows``,
:class:`ConversationMemory` in ``llmkit.memory._conversation``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmkit._lazy import lazy_exports

if TYPE_CHECKING:
    from llmkit.memory._conversation import ConversationMemory
    from llmkit.memory._tokens import TokenCounter, count_tokens, counter_for
    from llmkit.memory._windows import context_window

__all__ = [
    "ConversationMemory",
    "TokenCounter",
    "context_window",
    "count_tokens",
    "counter_for",
]

# Where each name is defined; nothing is imported until a name is first read.
_LAZY: dict[str, str] = {
    "ConversationMemory": "llmkit.memory._conversation",
    "TokenCounter": "llmkit.memory._tokens",
    "context_window": "llmkit.memory._windows",
    "count_tokens": "llmkit.memory._tokens",
    "counter_for": "llmkit.memory._tokens",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)

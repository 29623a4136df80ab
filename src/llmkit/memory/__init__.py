"""Memory: token counting, conversation memory, and long-term vector memory with retrieval.

::

    from llmkit.memory import ConversationMemory, Knowledge, SQLiteVectorStore, count_tokens

    count_tokens("openai/gpt-4.1-mini", "some text")   # exact and offline (llmkit[tokens])
    await count_tokens_by_provider("anthropic/claude-sonnet-4-5", messages)   # the API counts
    context_window("openai/gpt-4.1-mini")              # 1047576, None when unknown
    memory = ConversationMemory(max_tokens=8_000, keep_last=6)
    store = SQLiteVectorStore("knowledge.db", embedder=local_embedder())   # or "openai/text-embedding-3-small"
    await store.add(["Paris is the capital of France."], metadata=[{"source": "atlas"}])
    hits = await store.search("capital of France", k=4, where={"source": "atlas"})
    agent = Agent(model, memory=memory, knowledge=store, retrieve_k=4)
    agent = Agent(model, tools=[*store.tools()])        # or the model decides: remember / recall

An agent's ``memory=`` (a :class:`ConversationMemory`) and ``knowledge=`` (a store, made
into ``Knowledge(store, k=retrieve_k)``) are hooks, added to its ``hooks``; only what is
sent to the model changes, never ``result.messages`` or a session's history.

This module only re-exports, lazily: tiktoken (``tokens`` extra), numpy
(``vectors``) and tokenizers (``local-embed``) are imported when a count, a
store or the local embedder first needs them, never by ``import llmkit.memory``.
Counting lives in ``_tokens``, context windows in ``_windows``, conversation
memory in ``_conversation``; every vector store is a :class:`VectorStore` (its
guarantees are in ``_vector``): :class:`VectorMemory` keeps the items in
memory, :class:`SQLiteVectorStore` in a file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmkit._lazy import lazy_exports

if TYPE_CHECKING:
    from llmkit.memory._chunk import Chunk, chunk_markdown, chunk_text
    from llmkit.memory._conversation import ConversationMemory
    from llmkit.memory._embed import Embedder, ModelEmbedder
    from llmkit.memory._errors import (
        EmbedderFilesMissingError,
        EmbedderMismatchError,
        UnknownFieldError,
        VectorStoreFormatError,
    )
    from llmkit.memory._knowledge import Knowledge
    from llmkit.memory._local import LocalEmbedder, local_embedder
    from llmkit.memory._sqlite_vectors import SQLiteVectorStore
    from llmkit.memory._tokens import TokenCounter, count_tokens, counter_for
    from llmkit.memory._tokens_provider import (
        count_tokens_by_provider,
        count_tokens_by_provider_sync,
    )
    from llmkit.memory._vector import VectorMemory, VectorStore
    from llmkit.memory._vector_hit import Hit
    from llmkit.memory._windows import context_window

__all__ = [
    "Chunk",
    "ConversationMemory",
    "Embedder",
    "EmbedderFilesMissingError",
    "EmbedderMismatchError",
    "Hit",
    "Knowledge",
    "LocalEmbedder",
    "ModelEmbedder",
    "SQLiteVectorStore",
    "TokenCounter",
    "UnknownFieldError",
    "VectorMemory",
    "VectorStore",
    "VectorStoreFormatError",
    "chunk_markdown",
    "chunk_text",
    "context_window",
    "count_tokens",
    "count_tokens_by_provider",
    "count_tokens_by_provider_sync",
    "counter_for",
    "local_embedder",
]

# Where each name is defined; nothing is imported until a name is first read.
_LAZY: dict[str, str] = {
    "Chunk": "llmkit.memory._chunk",
    "chunk_markdown": "llmkit.memory._chunk",
    "chunk_text": "llmkit.memory._chunk",
    "ConversationMemory": "llmkit.memory._conversation",
    "Embedder": "llmkit.memory._embed",
    "ModelEmbedder": "llmkit.memory._embed",
    "EmbedderFilesMissingError": "llmkit.memory._errors",
    "EmbedderMismatchError": "llmkit.memory._errors",
    "UnknownFieldError": "llmkit.memory._errors",
    "VectorStoreFormatError": "llmkit.memory._errors",
    "Knowledge": "llmkit.memory._knowledge",
    "LocalEmbedder": "llmkit.memory._local",
    "local_embedder": "llmkit.memory._local",
    "SQLiteVectorStore": "llmkit.memory._sqlite_vectors",
    "TokenCounter": "llmkit.memory._tokens",
    "count_tokens": "llmkit.memory._tokens",
    "counter_for": "llmkit.memory._tokens",
    "count_tokens_by_provider": "llmkit.memory._tokens_provider",
    "count_tokens_by_provider_sync": "llmkit.memory._tokens_provider",
    "Hit": "llmkit.memory._vector_hit",
    "VectorMemory": "llmkit.memory._vector",
    "VectorStore": "llmkit.memory._vector",
    "context_window": "llmkit.memory._windows",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)

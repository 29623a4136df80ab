"""Memory at scale: an approximate index, token-sized chunks, and counts from the provider.

1. A store of 20,000 vectors searched through an HNSW graph (``index="hnsw"``, from
   ``pip install 'llmkit[ann]'``), checked against the exact search of the same vectors.
   The vectors come from a small table (a mixture of Gaussians standing in for real
   embeddings), so it runs in seconds with no model.
2. A document cut into chunks of at most 40 tokens of gpt-4.1-mini (``model=``).
3. The same conversation counted by Anthropic's and Gemini's count endpoints, here the fake
   provider server on 127.0.0.1, so it runs offline.

    python examples/memory_at_scale.py
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

import llmkit
from llmkit import Message
from llmkit.memory import (
    Embedder,
    VectorMemory,
    chunk_text,
    count_tokens,
    count_tokens_by_provider_sync,
)
from llmkit.testing import FakeProviderServer

ROWS, DIMENSION, QUERIES = 20_000, 64, 50
rng = np.random.default_rng(7)
centres = rng.standard_normal((100, DIMENSION))
vectors = centres[rng.integers(0, 100, ROWS + QUERIES)] + rng.standard_normal(
    (ROWS + QUERIES, DIMENSION)
)


class Table(Embedder):
    """Text ``"v12"`` is the 12th vector of the table (a stand-in for a real embedder)."""

    name = "example/table"
    batch_size = ROWS

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [vectors[int(t[1:])].tolist() for t in texts]


ids = [f"v{i}" for i in range(ROWS)]
metadata = [{"shelf": "even" if i % 2 == 0 else "odd"} for i in range(ROWS)]
exact = VectorMemory(embedder=Table())
approximate = VectorMemory(embedder=Table(), index="hnsw")
for store in (exact, approximate):
    store.add_sync(ids, ids=ids, metadata=metadata)

found = 0
filtered_ok = True
for q in range(ROWS, ROWS + QUERIES):
    truth = {h.id for h in exact.search_sync(f"v{q}", k=10)}
    found += len(truth & {h.id for h in approximate.search_sync(f"v{q}", k=10)})
    hits = approximate.search_sync(f"v{q}", k=10, where={"shelf": "odd"})
    filtered_ok &= len(hits) == 10 and all(h.metadata["shelf"] == "odd" for h in hits)
recall = found / (QUERIES * 10)
print(f"{approximate.count_sync():,} vectors, index={approximate.stats()['index']!r}")
print(f"recall@10 against the exact search is at least 0.9: {recall >= 0.9}")
print(f"every filtered hit matches the filter: {filtered_ok}")

text = " ".join(f"Tide tables list high water {i} times a month at every port." for i in range(30))
chunks = chunk_text(text, size=40, overlap=5, model="openai/gpt-4.1-mini")
longest = max(count_tokens("openai/gpt-4.1-mini", c.text) for c in chunks)
print(f"{len(chunks)} chunks of at most 40 tokens (the longest has {longest})")

conversation = [
    Message.system("Answer in one sentence."),
    Message.user("Why are there two high tides a day?"),
]
with FakeProviderServer() as server:
    claude = llmkit.model(
        "anthropic/claude-sonnet-4-5", base_url=server.anthropic_base_url, api_key="x"
    )
    gemini = llmkit.model("gemini/gemini-2.5-flash", base_url=server.url, api_key="x")
    for model in (claude, gemini):
        tokens = count_tokens_by_provider_sync(model, conversation)
        print(f"{model.name} counts {tokens} input tokens")

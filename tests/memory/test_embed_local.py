"""The offline local embedder: its vectors against sentence-transformers' reference, and search.

``data/minilm_reference.json`` holds all-MiniLM-L6-v2 vectors computed once with
sentence-transformers (torch, CPU) for a few sentences: long, short, empty, non-ASCII.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from llmkit.errors import UsageError
from llmkit.memory import EmbedderFilesMissingError, VectorMemory, local_embedder
from llmkit.memory._local import LocalEmbedder

pytestmark = pytest.mark.anyio

REFERENCE = json.loads((Path(__file__).parent / "data" / "minilm_reference.json").read_text())


@pytest.fixture(scope="module")
def embedder() -> LocalEmbedder:
    made = local_embedder()
    made.load()
    return made


def test_vectors_match_the_sentence_transformers_reference(embedder: LocalEmbedder) -> None:
    vectors = embedder.embed_now(REFERENCE["sentences"])
    reference = np.asarray(REFERENCE["vectors"], dtype=np.float32)
    assert vectors.shape == (len(REFERENCE["sentences"]), 384)
    assert np.abs(vectors - reference).max() < 1e-6


def test_batching_by_length_keeps_the_input_order(embedder: LocalEmbedder) -> None:
    texts = REFERENCE["sentences"][::-1]
    one_by_one = LocalEmbedder(batch_size=1).embed_now(texts)
    assert np.abs(embedder.embed_now(texts) - one_by_one).max() < 1e-5
    assert np.abs(one_by_one[-1] - np.asarray(REFERENCE["vectors"][0])).max() < 1e-6


async def test_search_finds_by_meaning_offline(embedder: LocalEmbedder) -> None:
    store = VectorMemory(embedder=embedder)
    ids = await store.add(
        [
            "Paris is the capital of France.",
            "Photosynthesis turns sunlight into chemical energy in plants.",
            "The stock market fell sharply on Tuesday.",
        ]
    )
    hits = await store.search("Which city is France's seat of government?", k=3)
    assert hits[0].id == ids[0]
    hits = await store.search("How do leaves make food from light?", k=1)
    assert hits[0].id == ids[1]


async def test_embed_returns_lists_in_a_worker_thread(embedder: LocalEmbedder) -> None:
    vectors = await embedder.embed(["one", "two"])
    assert len(vectors) == 2 and len(vectors[0]) == 384
    assert sum(x * x for x in vectors[0]) == pytest.approx(1.0, abs=1e-5)


def test_missing_weights_say_how_to_install_them(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(EmbedderFilesMissingError, match=r"lacks model.safetensors, tokenizer.json"):
        local_embedder(path=tmp_path).embed_now(["x"])


def test_bad_options_and_a_single_string_are_refused() -> None:
    with pytest.raises(UsageError, match="batch_size"):
        local_embedder(batch_size=0)
    with pytest.raises(UsageError, match="max_length"):
        local_embedder(max_length=100_000)
    with pytest.raises(UsageError, match="list of texts"):
        local_embedder().embed_now("one text")

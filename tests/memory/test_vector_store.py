"""Vector stores: add, search with filters, delete, count, persistence, and every refusal.

Embeddings come from the fake provider server over real HTTP (``ModelEmbedder`` on a fake
model); its vectors are hashes of the text, so a stored text is found by itself with score 1.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from llmkit.errors import UsageError
from llmkit.memory import (
    Embedder,
    EmbedderMismatchError,
    Hit,
    ModelEmbedder,
    SQLiteVectorStore,
    UnknownFieldError,
    VectorMemory,
    VectorStore,
    VectorStoreFormatError,
)
from llmkit.testing import FakeProviderServer, fake_model

pytestmark = pytest.mark.anyio

FACTS = [
    "Paris is the capital of France.",
    "Berlin is the capital of Germany.",
    "The Nile is the longest river in Africa.",
]
META = [{"source": "atlas"}, {"source": "atlas"}, {"source": "rivers", "continent": "Africa"}]


@pytest.fixture
def embedder(llmkit_fake_server: FakeProviderServer) -> Callable[..., ModelEmbedder]:
    def make(*, dimensions: int | None = None, model_id: str = "text-embedding-3-small", **kw: int):
        model = fake_model(llmkit_fake_server, "openai", model_id=model_id)
        return ModelEmbedder(model, dimensions=dimensions, **kw)

    return make


@pytest.fixture(params=["sqlite", "memory", "sqlite-hnsw", "memory-hnsw"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, embedder: Callable[..., ModelEmbedder]
) -> VectorStore:
    # Every store keeps the protocol's promises with the approximate index too.
    kind, _, index = str(request.param).partition("-")
    if kind == "sqlite":
        return SQLiteVectorStore(tmp_path / "kb.db", embedder=embedder(), index=index or "exact")
    return VectorMemory(embedder=embedder(), index=index or "exact")


class Failing(Embedder):
    """Embeds its first batch, then fails: an embedding call that breaks part-way."""

    name = "openai/text-embedding-3-small"
    batch_size = 2

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.calls = 0

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls += 1
        if self.calls > 1:
            raise ConnectionError("embedding service went away")
        return await self.inner.embed(texts)


async def test_add_search_count_delete(store: VectorStore) -> None:
    ids = await store.add(FACTS, metadata=META)
    assert len(ids) == 3 and len(set(ids)) == 3
    assert await store.count() == 3
    hits = await store.search(FACTS[2], k=2)
    assert hits[0].id == ids[2]
    assert hits[0].text == FACTS[2] and hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert hits[0].metadata == {"source": "rivers", "continent": "Africa"}
    assert hits[0].source == "rivers"
    assert hits[0].score >= hits[1].score and len(hits) == 2
    assert await store.delete([ids[2], "no-such-id"]) == 1
    assert await store.count() == 2
    assert ids[2] not in [h.id for h in await store.search(FACTS[2], k=5)]


async def test_where_filters_by_equality_and_by_any_of(store: VectorStore) -> None:
    ids = await store.add(FACTS, metadata=META)
    only_atlas = await store.search(FACTS[2], k=5, where={"source": "atlas"})
    assert sorted(h.id for h in only_atlas) == sorted(ids[:2])
    either = await store.search(FACTS[0], k=5, where={"source": {"$in": ["rivers", "x"]}})
    assert [h.id for h in either] == [ids[2]]
    both = await store.search(FACTS[0], k=5, where={"source": "rivers", "continent": "Asia"})
    assert both == []


async def test_a_filter_on_a_field_no_item_has_is_refused_by_name(store: VectorStore) -> None:
    await store.add(FACTS, metadata=META)
    with pytest.raises(UnknownFieldError, match=r"'sorce'.*'continent', 'source'") as caught:
        await store.search("x", where={"sorce": "atlas"})
    assert caught.value.field == "sorce"
    with pytest.raises(UsageError, match=r"\$in"):
        await store.search("x", where={"source": {"$ne": "atlas"}})
    assert await store.count() == 3


async def test_an_id_already_stored_is_replaced(store: VectorStore) -> None:
    await store.add(["old text"], ids=["fact-1"], metadata=[{"v": 1}])
    await store.add(["new text"], ids=["fact-1"], metadata=[{"v": 2}])
    assert await store.count() == 1
    assert await store.get(["fact-1"]) == [Hit("fact-1", "new text", 1.0, {"v": 2})]
    with pytest.raises(UnknownFieldError):
        await store.search("new text", where={"w": 1})  # the old item's fields went with it


async def test_an_empty_store_finds_nothing(store: VectorStore) -> None:
    assert await store.search("anything") == []
    assert await store.search("anything", where={"source": "atlas"}) == []  # no fields yet
    assert await store.count() == 0


async def test_bad_input_is_refused_and_nothing_is_written(store: VectorStore) -> None:
    await store.add(FACTS[:1])
    with pytest.raises(UsageError, match="list of texts"):
        await store.add("one text")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="one dict per text"):
        await store.add(FACTS, metadata=[{"a": 1}])
    with pytest.raises(UsageError, match="same id twice"):
        await store.add(FACTS[:2], ids=["a", "a"])
    with pytest.raises(UsageError, match="JSON data"):
        await store.add(FACTS[:1], metadata=[{"when": object()}])
    with pytest.raises(UsageError, match="positive int"):
        await store.search("x", k=0)
    with pytest.raises(UsageError, match="list of ids"):
        await store.delete("abc")  # type: ignore[arg-type]
    assert await store.count() == 1


async def test_an_embedder_of_another_size_is_refused_and_the_store_is_untouched(
    tmp_path: Path, embedder: Callable[..., ModelEmbedder]
) -> None:
    path = tmp_path / "kb.db"
    first = SQLiteVectorStore(path, embedder=embedder(dimensions=16), allow_embedder_change=True)
    await first.add(FACTS)
    await first.close()
    before = path.read_bytes()
    other = SQLiteVectorStore(path, embedder=embedder(dimensions=8), allow_embedder_change=True)
    with pytest.raises(EmbedderMismatchError, match="8 dimensions.*holds vectors of 16"):
        await other.add(["more"])
    with pytest.raises(EmbedderMismatchError):
        await other.search("Paris")
    await other.close()
    assert path.read_bytes() == before
    assert await SQLiteVectorStore(path).count() == 3


async def test_another_embedder_is_refused_unless_asked(
    tmp_path: Path, embedder: Callable[..., ModelEmbedder]
) -> None:
    path = tmp_path / "kb.db"
    await SQLiteVectorStore(path, embedder=embedder(dimensions=16)).add(FACTS)
    other = embedder(dimensions=16, model_id="text-embedding-3-large")
    with pytest.raises(EmbedderMismatchError, match="built with the embedder") as caught:
        await SQLiteVectorStore(path, embedder=other).count()
    assert caught.value.stored == "openai/text-embedding-3-small@16"
    assert await SQLiteVectorStore(path, embedder=other, allow_embedder_change=True).count() == 3


async def test_the_store_persists_and_reopens_with_its_recorded_embedder(
    tmp_path: Path, embedder: Callable[..., ModelEmbedder], llmkit_fake_server: FakeProviderServer
) -> None:
    path = tmp_path / "kb.db"
    first = SQLiteVectorStore(path, embedder=embedder())
    ids = await first.add(FACTS, metadata=META)
    await first.delete([ids[0]])
    await first.close()
    again = SQLiteVectorStore(path)
    assert again.embedder.name == "openai/text-embedding-3-small"
    assert await again.count() == 2
    assert again.stats()["fields"] == ["continent", "source"]
    with pytest.raises(UsageError, match="pass embedder="):
        await SQLiteVectorStore(tmp_path / "new.db").count()


async def test_a_failed_embedding_call_writes_nothing(
    tmp_path: Path, embedder: Callable[..., ModelEmbedder]
) -> None:
    path = tmp_path / "kb.db"
    store = SQLiteVectorStore(path, embedder=Failing(embedder()))
    with pytest.raises(ConnectionError):
        await store.add(FACTS)
    assert await store.count() == 0
    await store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM llmkit_vectors").fetchone() == (0,)


async def test_a_corrupt_file_is_a_format_error_naming_it_and_is_left_alone(
    tmp_path: Path, embedder: Callable[..., ModelEmbedder]
) -> None:
    path = tmp_path / "kb.db"
    path.write_bytes(b"this is not a database, just some bytes" * 100)
    before = path.read_bytes()
    with pytest.raises(VectorStoreFormatError, match="kb.db") as caught:
        await SQLiteVectorStore(path, embedder=embedder()).add(FACTS)
    assert caught.value.path == str(path)
    assert path.read_bytes() == before


async def test_a_vector_of_the_wrong_length_in_the_file_is_a_format_error(
    tmp_path: Path, embedder: Callable[..., ModelEmbedder]
) -> None:
    path = tmp_path / "kb.db"
    store = SQLiteVectorStore(path, embedder=embedder())
    await store.add(FACTS)
    await store.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE llmkit_vectors SET vector = x'0000' WHERE seq = 1")
    with pytest.raises(VectorStoreFormatError, match="does not fit"):
        await SQLiteVectorStore(path).count()


async def test_a_store_from_a_newer_schema_says_to_upgrade(
    tmp_path: Path, embedder: Callable[..., ModelEmbedder]
) -> None:
    path = tmp_path / "kb.db"
    await SQLiteVectorStore(path, embedder=embedder()).add(FACTS)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE llmkit_vector_info SET value = '99' WHERE key = 'schema'")
    with pytest.raises(VectorStoreFormatError, match="newer llmkit"):
        await SQLiteVectorStore(path).count()


async def test_add_reports_progress_per_batch_and_the_provider_batches_within_its_limit(
    tmp_path: Path, embedder: Callable[..., ModelEmbedder], llmkit_fake_server: FakeProviderServer
) -> None:
    store = SQLiteVectorStore(tmp_path / "kb.db", embedder=embedder(batch_size=2))
    seen: list[tuple[int, int]] = []
    await store.add([f"text {i}" for i in range(5)], progress=lambda d, t: seen.append((d, t)))
    assert seen == [(2, 5), (4, 5), (5, 5)]
    sizes = [len(r.json["input"]) for r in llmkit_fake_server.requests]
    assert sizes == [2, 2, 1]


async def test_a_gemini_embedding_model_serves_too(
    tmp_path: Path, llmkit_fake_server: FakeProviderServer
) -> None:
    model = fake_model(llmkit_fake_server, "gemini", model_id="gemini-embedding-001")
    store = SQLiteVectorStore(tmp_path / "kb.db", embedder=ModelEmbedder(model))
    ids = await store.add(FACTS)
    assert (await store.search(FACTS[1], k=1))[0].id == ids[1]
    assert llmkit_fake_server.requests[0].path.endswith(":batchEmbedContents")


async def test_concurrent_adds_all_land(store: VectorStore) -> None:
    await asyncio.gather(*(store.add([f"fact {i}"], ids=[f"id{i}"]) for i in range(8)))
    assert await store.count() == 8


def test_sync_twins(tmp_path: Path, embedder: Callable[..., ModelEmbedder]) -> None:
    store = SQLiteVectorStore(tmp_path / "kb.db", embedder=embedder())
    ids = store.add_sync(FACTS)
    assert store.search_sync(FACTS[0], k=1)[0].id == ids[0]
    assert store.count_sync() == 3 and store.delete_sync(ids) == 3
    store.close_sync()


async def test_two_handles_on_one_file_cannot_mix_vector_sizes(
    tmp_path: Path, embedder: Callable[..., ModelEmbedder]
) -> None:
    path = tmp_path / "kb.db"
    big = SQLiteVectorStore(path, embedder=embedder(dimensions=384), allow_embedder_change=True)
    small = SQLiteVectorStore(path, embedder=embedder(dimensions=8), allow_embedder_change=True)
    assert await big.count() == 0 and await small.count() == 0  # both opened the empty file
    await big.add(FACTS)
    with pytest.raises(EmbedderMismatchError, match="8 dimensions.*holds vectors of 384"):
        await small.add(["more"])
    await big.close()
    await small.close()
    again = SQLiteVectorStore(path)
    assert again.dimension == 384 and await again.count() == 3


async def test_a_handle_refuses_an_embedder_another_handle_recorded_since(
    tmp_path: Path, embedder: Callable[..., ModelEmbedder]
) -> None:
    path = tmp_path / "kb.db"
    first = SQLiteVectorStore(path, embedder=embedder(dimensions=8))
    other = embedder(dimensions=8, model_id="text-embedding-3-large")
    second = SQLiteVectorStore(path, embedder=other)
    assert await first.count() == 0 and await second.count() == 0
    await first.add(FACTS[:1])
    with pytest.raises(EmbedderMismatchError) as caught:
        await second.add(FACTS[1:])
    assert caught.value.stored == "openai/text-embedding-3-small@8"
    assert await first.count() == 1


async def test_a_handle_sees_rows_another_handle_added_or_deleted(
    tmp_path: Path, embedder: Callable[..., ModelEmbedder]
) -> None:
    path = tmp_path / "kb.db"
    first = SQLiteVectorStore(path, embedder=embedder(dimensions=8))
    second = SQLiteVectorStore(path, embedder=embedder(dimensions=8))
    ids = await first.add(FACTS[:1])
    assert await second.count() == 1
    await first.add(FACTS[1:])
    assert await second.count() == 3
    assert (await second.search(FACTS[2], k=1))[0].text == FACTS[2]
    await second.delete(ids)
    assert await first.count() == 2
    assert [h.id for h in await first.get(ids)] == []


async def test_opening_a_missing_file_without_an_embedder_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "typo.db"
    with pytest.raises(UsageError, match="does not exist.*pass embedder="):
        await SQLiteVectorStore(path).count()
    assert not path.exists()
    sqlite3.connect(path).close()  # an empty SQLite file, not a store yet
    before = path.read_bytes()
    with pytest.raises(UsageError, match="pass embedder="):
        await SQLiteVectorStore(path).count()
    assert path.read_bytes() == before


async def test_add_and_search_normalise_vectors_off_the_event_loop(
    tmp_path: Path, embedder: Callable[..., ModelEmbedder], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SQLiteVectorStore(tmp_path / "kb.db", embedder=embedder(dimensions=8))
    threads: list[int] = []
    unit_rows = VectorStore._unit_rows

    def recording(self: VectorStore, *args: object) -> object:
        threads.append(threading.get_ident())
        return unit_rows(self, *args)  # type: ignore[arg-type]  # passes the args through

    monkeypatch.setattr(VectorStore, "_unit_rows", recording)
    await store.add(FACTS)
    await store.search("Paris")
    assert len(threads) == 2
    assert threading.get_ident() not in threads

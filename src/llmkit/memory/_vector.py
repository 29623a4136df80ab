"""``VectorStore``, the protocol of long-term memory, and ``VectorMemory``, its in-memory store.

A store keeps texts with their metadata and one vector each (made by its embedder) and
finds the texts nearest in meaning to a query::

    ids = await store.add(["Paris is the capital of France."], metadata=[{"source": "atlas"}])
    hits = await store.search("capital of France", k=4, where={"source": "atlas"})
    await store.count(); await store.delete(ids)

What every store guarantees:

- ``add`` embeds every text first and writes only after all vectors arrived and fit the
  store: a failed embedding call, or an embedder whose vectors differ in size from the
  stored ones (:class:`~llmkit.memory.EmbedderMismatchError`), leaves the store untouched;
- an ``add`` is all or nothing, and an id already stored is replaced (upsert);
- ``search`` is exact by default: cosine similarity against every stored vector (see
  ``_vector_index``), best first; with ``index="hnsw"`` the candidates come from an
  approximate graph (``_ann``) and are then scored exactly, so a hit's score is exact and
  every hit matches ``where``, but a true neighbour may be missed; an empty store finds
  nothing, whatever its ``where`` (it knows no fields yet, and a filter written for the items
  to come, as a knowledge hook's, must not fail before the first ``add``); in a store that
  holds items, a ``where`` field no stored item has is an
  :class:`~llmkit.memory.UnknownFieldError`;
- embedding, file I/O, normalising the vectors and the numpy search run in worker threads,
  never on the event loop;
  one lock serialises changes, so a store can be shared by tasks and threads;
- every async method has a blocking twin (``add_sync`` ...) that also works inside a
  running event loop.

:class:`VectorMemory` keeps everything in memory (gone with the process); the SQLite store
(``_sqlite_vectors``) keeps the same in a file.
"""

from __future__ import annotations

import asyncio
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from llmkit._sync import run_sync
from llmkit.errors import UsageError
from llmkit.memory._ann import ANNIndex, approximate_search, check_index_kind, load_usearch
from llmkit.memory._embed import Embedder
from llmkit.memory._embed_resolve import as_embedder, embedder_named
from llmkit.memory._errors import EmbedderMismatchError
from llmkit.memory._vector_hit import Hit
from llmkit.memory._vector_index import VectorIndex, check_where, numpy
from llmkit.memory._vector_items import check_items
from llmkit.memory._vector_tools import memory_tools

if TYPE_CHECKING:
    from llmkit.providers.base import Model
    from llmkit.tools import Tool

__all__ = ["Hit", "Progress", "StoredItem", "VectorMemory", "VectorStore"]

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each batch of texts is embedded."""


@dataclass(frozen=True, slots=True)
class StoredItem:
    """One item as a store keeps it: id, text, metadata and its unit-length vector (bytes)."""

    id: str
    text: str
    metadata: dict[str, Any]
    vector: bytes


@dataclass(slots=True)
class StoredState:
    """What a store file holds when opened: its embedder, the vector size and the items."""

    embedder: str | None = None
    dimension: int | None = None
    items: list[StoredItem] = field(default_factory=list)


class VectorStore(ABC):
    """Texts with metadata and vectors, searched by meaning (see the module guarantees).

    Subclasses keep the items somewhere (:meth:`_open`, :meth:`_write`, :meth:`_erase`);
    everything else, the embedding, the checks and the search, lives here.
    """

    def __init__(
        self,
        *,
        embedder: str | Model | Embedder | None,
        allow_embedder_change: bool = False,
        index: str = "exact",
    ) -> None:
        self._kind = check_index_kind(index)
        if self._kind == "hnsw":
            load_usearch()  # a missing extra is said now, not at the first search
        self._embedder = None if embedder is None else as_embedder(embedder)
        self._allow_change = allow_embedder_change
        self._index = VectorIndex()
        self._ann: ANNIndex | None = None
        self._lock = threading.Lock()
        self._opened = False
        self._recorded: str | None = None

    # ------------------------------------------------------------------ storage, per subclass

    @abstractmethod
    def _open(self) -> StoredState:
        """Read what is stored (in a worker thread, once)."""

    @abstractmethod
    def _write(self, items: Sequence[StoredItem], embedder: str, dimension: int) -> None:
        """Store ``items`` (replacing equal ids) and the embedder, all or nothing."""

    @abstractmethod
    def _erase(self, ids: Sequence[str]) -> None:
        """Remove the items with these ids."""

    def _changed(self) -> StoredState | None:
        """What is stored now if another handle changed it since it was read, else None."""
        return None

    def _shut(self) -> None:  # noqa: B027 - optional: only a store with a file has one to close
        """Release what the store holds open (a file)."""

    # ------------------------------------------------------------------------- the protocol

    @property
    def embedder(self) -> Embedder:
        """The embedder (for a store opened without one: the one it recorded)."""
        self._ensure_open()
        assert self._embedder is not None
        return self._embedder

    @property
    def dimension(self) -> int | None:
        """The size of the stored vectors (None while nothing was added)."""
        self._ensure_open()
        return self._index.dimension

    async def add(
        self,
        texts: Sequence[str],
        *,
        metadata: Sequence[Mapping[str, Any]] | None = None,
        ids: Sequence[str] | None = None,
        progress: Progress | None = None,
    ) -> list[str]:
        """Embed and store ``texts``; their ids (new random ones unless ``ids`` is given).

        ``metadata`` is one JSON-able dict per text (``{"source": "atlas"}``); an id
        already stored is replaced. ``progress(done, total)`` is called after each batch.
        """
        texts, metas, ids = check_items(texts, metadata, ids)
        await asyncio.to_thread(self._refresh)
        embedder = self.embedder
        vectors: list[list[float]] = []
        step = max(1, embedder.batch_size)
        for start in range(0, len(texts), step):
            batch = await embedder.embed(texts[start : start + step])
            if len(batch) != len(texts[start : start + step]):
                raise UsageError(
                    f"The embedder {embedder.name!r} returned {len(batch)} vectors for "
                    f"{len(texts[start : start + step])} texts; it must return one per text."
                )
            vectors.extend(batch)
            if progress is not None:
                progress(len(vectors), len(texts))
        if not texts:
            return []
        await asyncio.to_thread(self._store, vectors, embedder, ids, texts, metas)
        return ids

    async def search(
        self, query: str, *, k: int = 4, where: Mapping[str, Any] | None = None
    ) -> list[Hit]:
        """The ``k`` stored texts closest in meaning to ``query``, best first.

        ``where`` keeps only items whose metadata matches: ``{"source": "atlas"}``
        (equality) or ``{"source": {"$in": ["atlas", "wiki"]}}`` (any of the values).
        """
        if not isinstance(query, str):
            raise UsageError(f"search() takes the query as a str, got {type(query).__name__}.")
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise UsageError(f"k= takes a positive int (how many hits), got {k!r}.")
        conditions = check_where(where)
        await asyncio.to_thread(self._refresh)
        if self._index.size == 0:
            return []
        embedder = self.embedder
        vectors = await embedder.embed([query])
        return await asyncio.to_thread(self._search, vectors, embedder, k, conditions)

    async def delete(self, ids: Sequence[str]) -> int:
        """Remove the items with these ids; how many there were (unknown ids are skipped)."""
        if isinstance(ids, str):
            raise UsageError("delete() takes a list of ids; wrap a single id in a list.")
        ids = list(ids)
        await asyncio.to_thread(self._refresh)
        return await asyncio.to_thread(self._remove, ids)

    async def count(self) -> int:
        """How many items the store holds."""
        await asyncio.to_thread(self._refresh)
        return self._index.size

    async def get(self, ids: Sequence[str]) -> list[Hit]:
        """The stored items with these ids, in that order (unknown ids are skipped; score 1.0)."""
        await asyncio.to_thread(self._refresh)
        with self._lock:
            index = self._index
            return [
                Hit(i, index.texts[r], 1.0, dict(index.metadata[r]))
                for i in ids
                if (r := index.rows.get(i)) is not None
            ]

    def ids(self) -> list[str]:
        """The ids of every stored item (in no particular order)."""
        self._ensure_open()
        with self._lock:
            return list(self._index.ids)

    async def close(self) -> None:
        """Release the store's file (a closed store reopens at its next use)."""
        await asyncio.to_thread(self._close_now)

    def tools(self, *, k: int = 4) -> list[Tool[..., Any]]:
        """``remember`` and ``recall`` tools over this store, for an agent's ``tools=``."""
        return memory_tools(self, k=k)

    def stats(self) -> dict[str, Any]:
        """Items, vector size, embedder and bytes the vectors take in memory."""
        self._ensure_open()
        with self._lock:
            return {
                "items": self._index.size,
                "dimension": self._index.dimension,
                "embedder": self._recorded or (self._embedder.name if self._embedder else None),
                "vector_bytes": self._index.nbytes,
                "index": self._kind,
                "index_bytes": 0 if self._ann is None else self._ann.nbytes,
                "fields": sorted(self._index.fields),
            }

    # -------------------------------------------------------------------------- sync twins

    def add_sync(
        self,
        texts: Sequence[str],
        *,
        metadata: Sequence[Mapping[str, Any]] | None = None,
        ids: Sequence[str] | None = None,
        progress: Progress | None = None,
    ) -> list[str]:
        """Blocking twin of :meth:`add`."""
        return run_sync(self.add(texts, metadata=metadata, ids=ids, progress=progress))

    def search_sync(
        self, query: str, *, k: int = 4, where: Mapping[str, Any] | None = None
    ) -> list[Hit]:
        """Blocking twin of :meth:`search`."""
        return run_sync(self.search(query, k=k, where=where))

    def delete_sync(self, ids: Sequence[str]) -> int:
        """Blocking twin of :meth:`delete`."""
        return run_sync(self.delete(ids))

    def count_sync(self) -> int:
        """Blocking twin of :meth:`count`."""
        return run_sync(self.count())

    def close_sync(self) -> None:
        """Blocking twin of :meth:`close`."""
        self._close_now()

    # ---------------------------------------------------------------------------- internals

    def _ensure_open(self) -> None:
        with self._lock:
            if self._opened:
                return
            self._load(self._open())

    def _refresh(self) -> None:
        """Open the store, or reload it if another handle changed what is stored."""
        with self._lock:
            if not self._opened:
                self._load(self._open())
            elif (state := self._changed()) is not None:
                self._load(state)

    def _load(self, state: StoredState) -> None:
        """Take ``state`` as what is stored (called with the lock held)."""
        self._opened = False  # until the state is taken, so a refusal leaves it closed
        self._recorded = state.embedder
        if self._embedder is None:
            if state.embedder is None:
                self._shut()
                raise UsageError(
                    "This store is new, so it has no embedder recorded: pass embedder= "
                    "('openai/text-embedding-3-small' or llmkit.memory.local_embedder())."
                )
            self._embedder = embedder_named(state.embedder)
        elif (
            state.embedder is not None
            and state.embedder != self._embedder.name
            and not self._allow_change
        ):
            self._shut()
            raise EmbedderMismatchError(
                f"The store was built with the embedder {state.embedder!r}, not "
                f"{self._embedder.name!r}: their vectors are not comparable. Open it with "
                f"embedder={state.embedder!r} (or no embedder=), or pass "
                "allow_embedder_change=True to add and search with this one anyway.",
                stored=state.embedder,
                given=self._embedder.name,
            )
        index = VectorIndex(state.dimension)
        if state.items:
            np = numpy()
            raw = b"".join(item.vector for item in state.items)
            matrix = np.frombuffer(raw, dtype=np.float32).reshape(len(state.items), -1)
            index.add(
                [i.id for i in state.items],
                matrix,
                [i.text for i in state.items],
                [i.metadata for i in state.items],
            )
        self._index = index
        self._ann = None  # an approximate index is built at the first search
        self._opened = True

    def _unit_rows(self, vectors: Sequence[Sequence[float]], embedder: Embedder) -> Any:
        np = numpy()
        matrix = np.asarray(vectors, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[1] == 0:
            raise UsageError(
                f"The embedder {embedder.name!r} returned vectors of uneven or zero size; "
                "it must return one list of floats per text, all of one size."
            )
        stored = self._index.dimension
        if stored is not None and matrix.shape[1] != stored:
            raise EmbedderMismatchError(
                f"The embedder {embedder.name!r} makes vectors of {matrix.shape[1]} dimensions "
                f"but this store holds vectors of {stored}; nothing was written. Use the "
                f"embedder the store was built with ({self._recorded or 'see stats()'}), or "
                "build a new store for this one.",
                stored=self._recorded,
                given=embedder.name,
            )
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        if not np.all(np.isfinite(norms)) or np.any(norms == 0):
            raise UsageError(
                f"The embedder {embedder.name!r} returned a zero or non-finite vector, which "
                "has no direction to compare; nothing was written."
            )
        return (matrix / norms).astype(np.float32)

    def _store(
        self,
        vectors: list[list[float]],
        embedder: Embedder,
        ids: list[str],
        texts: list[str],
        metas: list[dict[str, Any]],
    ) -> None:
        # In a worker thread: normalising and serialising many vectors takes a while.
        matrix = self._unit_rows(vectors, embedder)
        items = [
            StoredItem(i, t, m, matrix[row].tobytes())
            for row, (i, t, m) in enumerate(zip(ids, texts, metas, strict=True))
        ]
        self._keep(items, matrix, embedder.name)

    def _keep(self, items: list[StoredItem], matrix: Any, embedder: str) -> None:
        with self._lock:
            if self._index.dimension is not None and matrix.shape[1] != self._index.dimension:
                raise EmbedderMismatchError(
                    f"Vectors of {matrix.shape[1]} dimensions for a store of "
                    f"{self._index.dimension}; nothing was written.",
                    stored=self._recorded,
                    given=embedder,
                )
            self._write(items, embedder, int(matrix.shape[1]))
            self._recorded = embedder
            self._index.add(
                [i.id for i in items], matrix, [i.text for i in items], [i.metadata for i in items]
            )
            if self._ann is not None:
                self._ann.add([i.id for i in items], matrix)

    def _search(
        self,
        vectors: list[list[float]],
        embedder: Embedder,
        k: int,
        where: dict[str, Any] | None,
    ) -> list[Hit]:
        query = self._unit_rows(vectors, embedder)[0]
        with self._lock:
            index = self._index
            if self._kind == "hnsw":
                if self._ann is None:
                    self._ann = ANNIndex.build(index)
                found = approximate_search(index, self._ann, query, k, where)
            else:
                found = index.search(query, k, where)
            return [
                Hit(index.ids[row], index.texts[row], score, dict(index.metadata[row]))
                for row, score in found
            ]

    def _remove(self, ids: list[str]) -> int:
        with self._lock:
            present = [i for i in dict.fromkeys(ids) if i in self._index.rows]
            if present:
                self._erase(present)
                if self._ann is not None:
                    self._ann.remove(present)
            return self._index.remove(present)

    def _close_now(self) -> None:
        with self._lock:
            self._shut()
            self._opened = False


class VectorMemory(VectorStore):
    """A vector store kept in memory: nothing is written anywhere, all is gone with the process.

    For tests, notebooks and short-lived agents; :class:`~llmkit.memory.SQLiteVectorStore`
    keeps the same in a file.
    """

    def __init__(self, *, embedder: str | Model | Embedder, index: str = "exact") -> None:
        super().__init__(embedder=embedder, index=index)

    def _open(self) -> StoredState:
        return StoredState(embedder=self._recorded)

    def _write(self, items: Sequence[StoredItem], embedder: str, dimension: int) -> None:
        pass

    def _erase(self, ids: Sequence[str]) -> None:
        pass

    def _close_now(self) -> None:
        pass  # nothing to release, and closing must not forget the items

    def __repr__(self) -> str:
        return f"VectorMemory(embedder={self._embedder!r}, items={self._index.size})"

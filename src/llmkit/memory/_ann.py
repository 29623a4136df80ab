"""``ANNIndex``: an approximate nearest-neighbour index (HNSW, from usearch) beside the exact one.

A store opened with ``index="hnsw"`` keeps its exact :class:`~llmkit.memory._vector_index.VectorIndex`
(the ids, texts, metadata and the float32 matrix) and this graph over the same vectors; a search
asks the graph for candidates, then scores them exactly against the matrix. What always holds:

- a hit is always a stored item: the graph is keyed by small integers that map to item ids, a
  removed or replaced item is removed from the graph in the same locked step as from the
  matrix, and a candidate whose key is no longer mapped is dropped;
- scores are exact cosine similarities (computed from the matrix, as the exact search does);
  only which items are found is approximate (recall@10 measured in ``bench/_vectors.py``);
- a ``where`` filter never returns an item that does not match: the graph is over-fetched (as
  many candidates as ``k`` divided by the share of matching items, times two) and the
  candidates filtered; when the filter keeps few items (under :data:`EXACT_BELOW` of them or
  under a tenth of the store), or the over-fetch finds fewer than ``k`` matches, the search is
  exact over the matching items instead;
- the graph is built from the matrix at the store's first search after it opens (the SQLite
  file stays the only source of truth: no index file can be stale or corrupt), then kept
  up to date by ``add`` and ``delete``.

usearch is imported on first use (the ``ann`` extra).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llmkit._optional import require
from llmkit.errors import UsageError
from llmkit.memory._vector_index import VectorIndex, numpy

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Matrix = npt.NDArray[np.float32]

__all__ = [
    "EXACT_BELOW",
    "INDEX_KINDS",
    "ANNIndex",
    "approximate_search",
    "check_index_kind",
    "load_usearch",
]

INDEX_KINDS = ("exact", "hnsw")
"""What ``index=`` takes: ``"exact"`` (numpy over every row) or ``"hnsw"`` (an HNSW graph)."""

EXACT_BELOW = 2048
"""A filtered search over fewer matching items than this is exact (it is cheap and has recall 1)."""

CONNECTIVITY = 16
"""Edges per node of the graph (usearch's ``connectivity``, HNSW's M)."""
EXPANSION_ADD = 128
"""Candidates kept while inserting (HNSW's ef_construction)."""
EXPANSION_SEARCH = 64
"""Candidates kept while searching (HNSW's ef); raised to twice the fetch when it is larger."""


def check_index_kind(index: object) -> str:
    """``index`` checked: one of :data:`INDEX_KINDS`."""
    if index not in INDEX_KINDS:
        raise UsageError(
            f"index= takes 'exact' (every vector scored, the default) or 'hnsw' (an approximate "
            f"graph for large stores, pip install 'llmkit[ann]'), got {index!r}."
        )
    return str(index)


def load_usearch() -> Any:
    """usearch's index module, or :class:`~llmkit.errors.MissingExtraError` naming ``ann``."""
    return require(
        "usearch.index",
        extra="ann",
        feature="The approximate index (index='hnsw')",
        package="usearch",
    )


class ANNIndex:
    """An HNSW graph over unit vectors, keyed by item id; approximate top-k candidates.

    Not thread-safe on its own: the stores call it under their lock.
    """

    def __init__(self, dimension: int) -> None:
        self._graph = load_usearch().Index(
            ndim=dimension,
            metric="ip",
            dtype="f32",
            connectivity=CONNECTIVITY,
            expansion_add=EXPANSION_ADD,
            expansion_search=EXPANSION_SEARCH,
        )
        self._keys: dict[str, int] = {}
        self._ids: dict[int, str] = {}
        self._next = 0

    @classmethod
    def build(cls, index: VectorIndex, *, threads: int = 0) -> ANNIndex:
        """A graph over every vector ``index`` holds (``threads=0``: usearch picks)."""
        assert index.dimension is not None
        ann = cls(index.dimension)
        if index.size:
            assert index.matrix is not None
            ann.add(index.ids, index.matrix[: index.size], threads=threads)
        return ann

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def nbytes(self) -> int:
        """Bytes the graph takes (its vectors and edges), as usearch reports them."""
        return int(self._graph.memory_usage)

    def add(self, ids: Sequence[str], vectors: Matrix, *, threads: int = 0) -> None:
        """Add (or replace, by id) the items; ``vectors`` are unit length, one row per id."""
        np = numpy()
        self.remove([i for i in ids if i in self._keys])
        keys = np.arange(self._next, self._next + len(ids), dtype=np.uint64)
        self._next += len(ids)
        self._graph.add(keys, np.ascontiguousarray(vectors, dtype=np.float32), threads=threads)
        for key, item_id in zip(keys.tolist(), ids, strict=True):
            self._keys[item_id] = key
            self._ids[key] = item_id

    def remove(self, ids: Sequence[str]) -> None:
        """Remove the items with these ids from the graph (unknown ids are skipped)."""
        keys = [k for i in ids if (k := self._keys.pop(i, None)) is not None]
        for key in keys:
            del self._ids[key]
        if keys:
            np = numpy()
            self._graph.remove(np.asarray(keys, dtype=np.uint64))

    def candidates(self, query: Matrix, count: int) -> list[str]:
        """Up to ``count`` ids of items near ``query``, roughly best first."""
        self._graph.expansion_search = max(EXPANSION_SEARCH, 2 * count)
        found = self._graph.search(query, count)
        return [i for k in found.keys.tolist() if (i := self._ids.get(k)) is not None]


def approximate_search(
    index: VectorIndex, ann: ANNIndex, query: Matrix, k: int, where: dict[str, Any] | None
) -> list[tuple[int, float]]:
    """The best ``k`` rows of ``index`` for ``query`` found through ``ann``, as (row, score).

    Candidates are scored exactly from the matrix; see the module docstring for filters.
    """
    np = numpy()
    if index.size == 0 or index.matrix is None:
        return []
    if where:
        keep = index.matching_rows(where)
        if len(keep) < EXACT_BELOW or 10 * len(keep) < index.size:
            return index.search_rows(query, k, keep)
        share = len(keep) / index.size
        wanted = min(index.size, int(2 * k / share) + k)
        allowed = set(keep)
        rows = [
            r
            for i in ann.candidates(query, wanted)
            if (r := index.rows.get(i)) is not None and r in allowed
        ]
        if len(rows) < k:
            return index.search_rows(query, k, keep)
    else:
        wanted = min(index.size, 2 * k)
        rows = [r for i in ann.candidates(query, wanted) if (r := index.rows.get(i)) is not None]
    picked = np.asarray(rows, dtype=np.int64)
    scores = index.matrix[picked] @ query
    order = np.argsort(-scores, kind="stable")[:k]
    return [(int(picked[o]), float(scores[o])) for o in order]

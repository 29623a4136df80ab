"""The vector store study: add and search at N x 384 with synthetic unit vectors, against numpy floors.

``python -m bench vectors`` measures 100,000 rows; ``vectors-large`` 1,000,000 (``make
bench-large``). The vectors are seeded random unit vectors, and a lookup embedder hands them
to the store, so the figures are the store's own cost (no model). What is measured, in this
process:

- **add**: ``SQLiteVectorStore.add`` of every row in one call (file in a temporary folder),
  against the floor: one ``executemany`` of the same rows into a bare SQLite table plus the
  numpy matrix built from them;
- **open**: a new store object reading the file into its matrix (``count()``);
- **search**: ``search(k=10)`` per query, median and p95 over the queries, against the
  floor: ``matrix @ q``, ``argpartition`` and a sort of the top 10, on the same matrix;
  also with a ``where`` filter that keeps a tenth of the rows; every exact result is checked
  against the floor's (recall@10 must be 1.0);
- **memory**: the matrix's bytes per row, and the process's resident set growth per row
  while a store opens (vectors plus the ids, texts and metadata kept beside them);
- **the approximate index** (``index="hnsw"``, usearch): the same file opened again with it,
  the graph's build (at the first search), ``search(k=10)`` per query with and without the
  filter, the graph's bytes per row, and recall@10 against the exact answers. Random unit
  vectors are the worst case for a graph index (every point is nearly as far as every
  other), so the same is measured on a mixture of Gaussians (200 clusters), closer to what
  embeddings of real text look like; there the exact floor is recomputed on those vectors.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from statistics import median, quantiles
from typing import Any

from bench._memory import current_rss

__all__ = ["ANN", "LARGE", "vector_study"]

LARGE = "vectors-large"
ANN = "vectors-ann"
"""The extra that runs the study at 1M rows (left out of a run that names nothing)."""

DIMENSION = 384
K = 10
GROUPS = 10


def _unit(rows: int, seed: int) -> Any:
    import numpy as np

    data = np.random.default_rng(seed).standard_normal((rows, DIMENSION), dtype=np.float32)
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    return data


CLUSTERS = 200


def _mixture(rows: int, queries: int, seed: int) -> tuple[Any, Any]:
    """Unit vectors drawn around 200 random centres (noise 0.6 per coordinate)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((CLUSTERS, DIMENSION), dtype=np.float32)
    out = []
    for count in (rows, queries):
        data = centres[rng.integers(0, CLUSTERS, count)]
        data += 0.6 * rng.standard_normal((count, DIMENSION), dtype=np.float32)
        data /= np.linalg.norm(data, axis=1, keepdims=True)
        out.append(data)
    return out[0], out[1]


def _ann_study(store: Any, tops: list[list[str]], rows: int) -> dict[str, Any]:
    """Build (first search), search and recall of a store opened with ``index="hnsw"``."""
    timings: dict[str, list[float]] = {"search": [], "where": []}

    async def run() -> tuple[float, int]:
        started = time.perf_counter()
        await store.search("q0", k=K)  # builds the graph from the stored vectors
        build_ms = (time.perf_counter() - started) * 1000
        found = 0
        for i, top in enumerate(tops):
            started = time.perf_counter()
            hits = await store.search(f"q{i}", k=K)
            timings["search"].append((time.perf_counter() - started) * 1000)
            found += len({h.id for h in hits} & set(top))
            started = time.perf_counter()
            await store.search(f"q{i}", k=K, where={"group": 3})
            timings["where"].append((time.perf_counter() - started) * 1000)
        return build_ms, found

    build_ms, found = asyncio.run(run())
    return {
        "build_ms": build_ms,
        "search": _summary(timings["search"]),
        "where": _summary(timings["where"]),
        "recall_at_10": found / (len(tops) * K),
        "index_bytes_per_row": store.stats()["index_bytes"] / rows,
    }


def _mixture_study(rows: int, queries: int, texts: list[str], metadata: Any) -> dict[str, Any]:
    """The exact floor and the approximate store on mixture vectors, kept in memory."""
    from llmkit.memory import VectorMemory

    docs, qs = _mixture(rows, queries, 3)
    floor = []
    tops = []
    for i in range(queries):
        ms, top = _timed(lambda i=i: _floor_search(docs, qs[i], K))
        floor.append(ms)
        tops.append([texts[j] for j in top])
    store = VectorMemory(embedder=_lookup_embedder(docs, qs), index="hnsw")
    store.add_sync(texts, ids=texts, metadata=metadata)
    result = _ann_study(store, tops, rows)
    result["floor"] = _summary(floor)
    return result


def _lookup_embedder(docs: Any, queries: Any) -> Any:
    from llmkit.memory import Embedder

    class Lookup(Embedder):
        """Texts are ``d<i>`` or ``q<i>``: the i-th document or query vector."""

        name = "bench/lookup"
        batch_size = len(docs)

        async def embed(self, texts: Sequence[str]) -> Any:
            table = {"d": docs, "q": queries}
            return [table[t[0]][int(t[1:])] for t in texts]

    return Lookup()


def _floor_search(matrix: Any, query: Any, k: int) -> Any:
    import numpy as np

    scores = matrix @ query
    top = np.argpartition(-scores, k - 1)[:k]
    return top[np.argsort(-scores[top], kind="stable")]


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return (time.perf_counter() - started) * 1000, value


def _summary(samples: list[float]) -> dict[str, float]:
    cuts = quantiles(samples, n=20) if len(samples) > 1 else samples * 19
    return {"median": median(samples), "p95": cuts[18]}


def vector_study(
    rows: int, *, queries: int, ann: bool = False, report: Callable[[str], None]
) -> dict[str, Any]:
    """Measure one store of ``rows`` vectors (see the module docstring); the figures as a dict.

    ``ann`` adds the approximate index (its graph build takes minutes at 100,000 rows).
    """
    import numpy as np

    from llmkit.memory import SQLiteVectorStore

    report(f"vectors: {rows:,} x {DIMENSION} synthetic unit vectors")
    docs, qs = _unit(rows, 1), _unit(queries, 2)
    texts = [f"d{i}" for i in range(rows)]
    metadata = [{"group": i % GROUPS} for i in range(rows)]
    result: dict[str, Any] = {"rows": rows, "dimension": DIMENSION, "k": K, "queries": queries}
    with tempfile.TemporaryDirectory() as folder:
        floor_db = sqlite3.connect(Path(folder) / "floor.db", isolation_level=None)

        def floor_add() -> Any:
            floor_db.execute("CREATE TABLE v (id TEXT PRIMARY KEY, text TEXT, meta TEXT, vec BLOB)")
            floor_db.execute("BEGIN")
            floor_db.executemany(
                "INSERT INTO v VALUES (?, ?, ?, ?)",
                ((t, t, '{"group": 0}', docs[i].tobytes()) for i, t in enumerate(texts)),
            )
            floor_db.execute("COMMIT")
            return np.ascontiguousarray(docs)

        floor_ms, matrix = _timed(floor_add)
        floor_db.close()
        report("vectors: add")
        path = Path(folder) / "store.db"
        embedder = _lookup_embedder(docs, qs)
        store = SQLiteVectorStore(path, embedder=embedder)
        add_ms, _ = _timed(lambda: store.add_sync(texts, ids=texts, metadata=metadata))
        store.close_sync()
        result["add"] = {"ms": add_ms, "floor_ms": floor_ms, "ratio": add_ms / floor_ms}
        result["add"]["rows_per_s"] = rows / add_ms * 1000
        report("vectors: open")
        before = current_rss()
        store = SQLiteVectorStore(path, embedder=embedder)
        open_ms, _ = _timed(store.count_sync)
        after = current_rss()
        stats = store.stats()
        result["open_ms"] = open_ms
        result["file_bytes_per_row"] = path.stat().st_size / rows
        result["matrix_bytes_per_row"] = stats["vector_bytes"] / rows
        if before is not None and after is not None:
            result["rss_bytes_per_row"] = (after - before) / rows
        report("vectors: search")
        timings: dict[str, list[float]] = {"floor": [], "llmkit": [], "llmkit_where": []}
        floor_tops = []
        for i in range(queries):
            ms, top = _timed(lambda i=i: _floor_search(matrix, qs[i], K))
            timings["floor"].append(ms)
            floor_tops.append([texts[j] for j in top])

        async def searches() -> int:
            await store.search("q0", k=K)  # warm-up: the worker threads
            exact = 0
            for i in range(queries):
                started = time.perf_counter()
                hits = await store.search(f"q{i}", k=K)
                timings["llmkit"].append((time.perf_counter() - started) * 1000)
                exact += [h.id for h in hits] == floor_tops[i]
                started = time.perf_counter()
                await store.search(f"q{i}", k=K, where={"group": 3})
                timings["llmkit_where"].append((time.perf_counter() - started) * 1000)
            return exact

        exact = asyncio.run(searches())
        store.close_sync()
        if ann:
            report("vectors: the approximate index on the same file (build, search)")
            ann_store = SQLiteVectorStore(path, embedder=embedder, index="hnsw")
            result["hnsw"] = _ann_study(ann_store, floor_tops, rows)
            ann_store.close_sync()
            del ann_store
    if ann:
        report("vectors: the approximate index on mixture vectors")
        result["hnsw_mixture"] = _mixture_study(rows, queries, texts, metadata)
    result["search"] = {name: _summary(values) for name, values in timings.items()}
    result["search"]["ratio"] = (
        result["search"]["llmkit"]["median"] / result["search"]["floor"]["median"]
    )
    result["recall_at_10"] = exact / queries
    return result

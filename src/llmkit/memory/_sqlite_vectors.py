"""``SQLiteVectorStore``: a vector store in one SQLite file, searched exactly with numpy.

::

    store = SQLiteVectorStore("knowledge.db", embedder="openai/text-embedding-3-small")
    store = SQLiteVectorStore("knowledge.db")      # later: the embedder it recorded

What it guarantees, beyond :class:`~llmkit.memory.VectorStore`'s:

- the file holds two tables, ``llmkit_vectors`` (id, text, metadata as JSON, the vector as
  little-endian float32 bytes, already unit length) and ``llmkit_vector_info`` (schema
  version, embedder name, vector size); other tables in the file are left alone;
- the file is read once, at the first use, into one in-memory matrix that every search
  scans (about 1.5 KB of memory per stored 384-dimension vector); ``add`` and ``delete``
  write the file in one transaction, then update the matrix, so the two never disagree;
- with ``index="hnsw"`` an approximate graph (:mod:`llmkit.memory._ann`) is built from the
  matrix at the first search and updated with it; it is never written to disk, so the file
  stays the one source of truth and no stale index can exist;
- a file that is not SQLite, is truncated, holds rows that do not fit its recorded vector
  size, or was written by a newer schema is a :class:`~llmkit.memory.VectorStoreFormatError`
  naming the path, raised before anything is written;
- the embedder's name is recorded at the first ``add``; opening the store with another
  embedder is an :class:`~llmkit.memory.EmbedderMismatchError` unless
  ``allow_embedder_change=True``, and vectors of another size are always refused;
- several handles (in one process or several) may share a file: each ``add`` re-reads the
  recorded embedder and vector size inside its write transaction and refuses vectors that no
  longer fit them (:class:`~llmkit.memory.EmbedderMismatchError`, nothing written), and every
  ``add``, ``search``, ``count``, ``get`` and ``delete`` first reloads the rows if another
  connection changed the file since (SQLite's ``PRAGMA data_version``);
- opening a file that does not exist without ``embedder=`` is a
  :class:`~llmkit.errors.UsageError` and creates nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from llmkit.errors import UsageError
from llmkit.memory._errors import EmbedderMismatchError, VectorStoreFormatError
from llmkit.memory._vector import StoredItem, StoredState, VectorStore

if TYPE_CHECKING:
    from llmkit.memory._embed import Embedder
    from llmkit.providers.base import Model

__all__ = ["SCHEMA_VERSION", "SQLiteVectorStore"]

SCHEMA_VERSION = 1
"""The version of the file layout this llmkit writes (and the newest it reads)."""

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS llmkit_vector_info (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS llmkit_vectors ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, text TEXT NOT NULL,"
    " metadata TEXT NOT NULL, vector BLOB NOT NULL)",
)


class SQLiteVectorStore(VectorStore):
    """A vector store in a SQLite file (see the module docstring for what it guarantees).

    ``embedder`` is a model string (``"openai/text-embedding-3-small"``), an llmkit
    model, :func:`~llmkit.memory.local_embedder` or any
    :class:`~llmkit.memory.Embedder`; left out, the store uses the one it recorded.
    ``index="hnsw"`` finds hits through an approximate graph (``llmkit[ann]``) built from
    the file's rows at the first search; ``"exact"`` (the default) scores every row.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        embedder: str | Model | Embedder | None = None,
        allow_embedder_change: bool = False,
        index: str = "exact",
    ) -> None:
        super().__init__(
            embedder=embedder, allow_embedder_change=allow_embedder_change, index=index
        )
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None
        self._version: int | None = None

    def __repr__(self) -> str:
        return f"SQLiteVectorStore({str(self.path)!r})"

    def _corrupt(self, why: str) -> VectorStoreFormatError:
        return VectorStoreFormatError(
            f"{self.path} is not a readable llmkit vector store: {why}. Move it aside and "
            "rebuild the store from its sources (nothing was written to it).",
            path=str(self.path),
        )

    def _open(self) -> StoredState:
        if not self.path.parent.is_dir():
            raise UsageError(
                f"The folder of the store file {self.path} does not exist; create it first."
            )
        if self._embedder is None and not self.path.exists():
            raise UsageError(
                f"The store file {self.path} does not exist, so it has no embedder recorded: "
                "check the path, or pass embedder= to create it "
                "('openai/text-embedding-3-small' or llmkit.memory.local_embedder())."
            )
        try:
            db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        except sqlite3.Error as exc:
            raise self._corrupt(str(exc)) from exc
        try:
            state = self._read(db)
        except BaseException:
            db.close()
            raise
        self._db = db
        return state

    def _read(self, db: sqlite3.Connection) -> StoredState:
        try:
            tables = {
                row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if "llmkit_vector_info" not in tables:
                if self._embedder is None:
                    return StoredState()  # refused by the caller, and nothing is written
                with db:
                    db.execute("BEGIN IMMEDIATE")
                    for statement in _SCHEMA:
                        db.execute(statement)
                    db.execute(
                        "INSERT OR IGNORE INTO llmkit_vector_info VALUES ('schema', ?)",
                        (str(SCHEMA_VERSION),),
                    )
            info = dict(db.execute("SELECT key, value FROM llmkit_vector_info").fetchall())
            rows = db.execute(
                "SELECT id, text, metadata, vector FROM llmkit_vectors ORDER BY seq"
            ).fetchall()
            self._version = int(db.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error as exc:
            raise self._corrupt(str(exc)) from exc
        version = info.get("schema", "")
        if not version.isdigit():
            raise self._corrupt(f"its schema version is {version!r}")
        if int(version) > SCHEMA_VERSION:
            raise VectorStoreFormatError(
                f"{self.path} was written by a newer llmkit (store schema {version}; this one "
                f"reads up to {SCHEMA_VERSION}): upgrade llmkit to open it.",
                path=str(self.path),
            )
        dimension = int(info["dimension"]) if info.get("dimension", "").isdigit() else None
        items = []
        for item_id, text, metadata, vector in rows:
            if dimension is None or not isinstance(vector, bytes) or len(vector) != 4 * dimension:
                raise self._corrupt(f"the vector of item {item_id!r} does not fit the store")
            try:
                meta = orjson.loads(metadata)
            except orjson.JSONDecodeError as exc:
                raise self._corrupt(f"the metadata of item {item_id!r} is not JSON") from exc
            items.append(StoredItem(item_id, text, meta, vector))
        return StoredState(embedder=info.get("embedder"), dimension=dimension, items=items)

    def _changed(self) -> StoredState | None:
        db = self._db
        if db is None:
            return None
        try:
            version = int(db.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error as exc:
            raise self._corrupt(str(exc)) from exc
        if version == self._version:
            return None
        return self._read(db)

    def _write(self, items: Sequence[StoredItem], embedder: str, dimension: int) -> None:
        db = self._db
        assert db is not None
        with db:
            db.execute("BEGIN IMMEDIATE")
            # Another handle may have recorded an embedder since this one read the file.
            info = dict(db.execute("SELECT key, value FROM llmkit_vector_info").fetchall())
            stored = info.get("dimension")
            if stored is not None and stored != str(dimension):
                raise EmbedderMismatchError(
                    f"The embedder {embedder!r} makes vectors of {dimension} dimensions but "
                    f"{self.path} now holds vectors of {stored} (written by another handle); "
                    "nothing was written. Reopen the store with the embedder it records.",
                    stored=info.get("embedder"),
                    given=embedder,
                )
            recorded = info.get("embedder")
            if recorded is not None and recorded != embedder and not self._allow_change:
                raise EmbedderMismatchError(
                    f"{self.path} now records the embedder {recorded!r} (written by another "
                    f"handle), not {embedder!r}; nothing was written. Reopen the store with "
                    "that embedder, or pass allow_embedder_change=True.",
                    stored=recorded,
                    given=embedder,
                )
            db.executemany(
                "INSERT OR REPLACE INTO llmkit_vector_info VALUES (?, ?)",
                [("embedder", embedder), ("dimension", str(dimension))],
            )
            # REPLACE deletes the row of an id already stored (the id is UNIQUE), then inserts.
            db.executemany(
                "INSERT OR REPLACE INTO llmkit_vectors (id, text, metadata, vector)"
                " VALUES (?, ?, ?, ?)",
                [(i.id, i.text, orjson.dumps(i.metadata).decode(), i.vector) for i in items],
            )

    def _erase(self, ids: Sequence[str]) -> None:
        db = self._db
        assert db is not None
        with db:
            db.execute("BEGIN IMMEDIATE")
            db.executemany("DELETE FROM llmkit_vectors WHERE id = ?", [(i,) for i in ids])

    def _shut(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

""":class:`SQLiteStore`: the embedded store, one SQLite file, no server.

Guarantees:

- **Off the event loop.** Every call runs on one thread the store owns (made
  at first use), with the one connection it opened there; the event loop
  only awaits. A store works from any number of event loops, one after the
  other or at once (``asyncio.run`` twice in a script, sync twins).
- **One transaction per operation.** Writes take SQLite's write lock at the
  start (``BEGIN IMMEDIATE``), so a claim's read and write, a checkpoint's
  keys, and a session append are each all or nothing, and two processes on
  one file exclude each other (a busy file is waited for, up to
  ``busy_timeout`` seconds).
- **Durability.** The file runs in WAL mode with ``synchronous=NORMAL``: a
  process that crashes (``SIGKILL`` included) loses nothing committed; a
  power loss or an operating-system crash may lose the last transactions
  (the last checkpoint), never corrupts the file.
- **Schema.** The file carries its schema version; forward migrations are
  applied when the store opens. A file written by a newer llmkit, or one
  that is not an SQLite database (corrupt, truncated), raises
  :class:`StoreFormatError` naming the file, which is left as it was.
- **Failures.** A checkpoint that cannot be written (disk or ``max_bytes``
  full, read-only file) raises :class:`CheckpointError`; the transaction is
  rolled back, so the previous checkpoint stays.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from llmkit.durable import _sqlops as ops
from llmkit.durable._errors import StoreError, StoreFormatError
from llmkit.durable._schema import VERSION_QUERY, check_version, migrations_after, parse_version
from llmkit.durable._sqlstore import SQLStore
from llmkit.durable._store import Clock
from llmkit.errors import UsageError

__all__ = ["SQLiteStore"]

T = TypeVar("T")

_DAMAGED = ("SQLITE_CORRUPT", "SQLITE_NOTADB")
_HINTS = (
    ("SQLITE_FULL", "the disk (or max_bytes) is full; free space and resume"),
    ("SQLITE_READONLY", "the file is read-only; open it writable to write"),
    ("SQLITE_BUSY", "another process held the file's write lock too long; retry"),
    ("SQLITE_IOERR", "the disk failed the write; check it and resume"),
)


class SQLiteStore(SQLStore):
    """A store in one SQLite file (created when missing): the default for one machine.

    ::

        store = SQLiteStore("runs.db")
        result = await agent.run("...", store=store)

    Args:
        path: The database file (a ``str`` or ``Path``).
        stale_after: Seconds without a heartbeat after which a running run held
            by a process on another host may be taken over.
        clock: The time source (for tests).
        read_only: Open the file for reading only (``llmkit runs list``); every
            write raises. The file must exist and be at the current schema.
        max_bytes: A cap on the file's size; a write that would pass it fails
            as on a full disk (:class:`CheckpointError` for a checkpoint).
        busy_timeout: Seconds to wait for another process's write to end.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        stale_after: float = 60.0,
        clock: Clock = time.time,
        read_only: bool = False,
        max_bytes: int | None = None,
        busy_timeout: float = 30.0,
    ) -> None:
        super().__init__(stale_after=stale_after, clock=clock)
        if not isinstance(path, str | os.PathLike) or not os.fspath(path):
            raise UsageError(f"SQLiteStore takes a file path, not {path!r}.")
        if max_bytes is not None and (
            isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes <= 0
        ):
            raise UsageError(f"max_bytes is a size in bytes above 0, not {max_bytes!r}.")
        if not isinstance(busy_timeout, int | float) or busy_timeout < 0:
            raise UsageError(f"busy_timeout is seconds (0 or more), not {busy_timeout!r}.")
        self.path = Path(path)
        self.read_only = read_only
        self.max_bytes = max_bytes
        self.busy_timeout = float(busy_timeout)
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None
        self._closed = False

    # ------------------------------------------------------------ the thread

    def _worker(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._closed:
                raise UsageError(f"{self!r} is closed; open a new SQLiteStore.")
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="llmkit-sqlite")
            return self._executor

    async def transact(self, op: ops.Op[T], *, write: bool, failure: type[StoreError]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._worker(), self._transact, op, write, failure)

    def _transact(self, op: ops.Op[T], write: bool, failure: type[StoreError]) -> T:
        conn = self._conn or self._open()
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        except sqlite3.Error as exc:
            raise self._error(exc, failure) from None
        try:
            result = _drive(conn, op)
            conn.execute("COMMIT")
        except BaseException as exc:
            _rollback(conn)
            if isinstance(exc, sqlite3.Error):
                raise self._error(exc, failure) from None
            raise
        return result

    # -------------------------------------------------------------- opening

    def _open(self) -> sqlite3.Connection:
        if self.read_only:
            if not self.path.exists():
                raise StoreError(f"No store at {self.path}: a read-only store needs the file.")
            target, uri = f"{self.path.resolve().as_uri()}?mode=ro", True
        else:
            if not self.path.parent.is_dir():
                raise StoreError(
                    f"Cannot create the store {self.path}: its folder does not exist; create it "
                    "or pick another path."
                )
            target, uri = os.fspath(self.path), False
        try:
            conn = sqlite3.connect(
                target,
                uri=uri,
                isolation_level=None,
                timeout=self.busy_timeout,
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            raise StoreError(f"Cannot open the store {self.path}: {exc}.") from None
        try:
            self._prepare(conn)
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return conn

    def _prepare(self, conn: sqlite3.Connection) -> None:
        try:
            found = _version(conn, str(self.path))  # read before anything is written
            check_version(found, str(self.path))
            if self.read_only:
                conn.execute("PRAGMA query_only = ON")
            else:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                if self.max_bytes is not None:
                    page = conn.execute("PRAGMA page_size").fetchone()[0]
                    conn.execute(f"PRAGMA max_page_count = {max(1, self.max_bytes // page)}")
                self._migrate(conn)
        except sqlite3.Error as exc:
            raise self._error(exc, StoreError) from None

    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            found = _version(conn, str(self.path))  # another process may have migrated it
            check_version(found, str(self.path))
            for sql in migrations_after(found):
                conn.execute(sql)
            conn.execute("COMMIT")
        except BaseException:
            _rollback(conn)
            raise

    def _error(self, exc: sqlite3.Error, failure: type[StoreError]) -> StoreError:
        name = getattr(exc, "sqlite_errorname", "")
        if name in _DAMAGED:
            return StoreFormatError(
                f"{self.path} is not a readable llmkit store ({exc}): the file is corrupt or "
                "truncated. Restore it from a backup, or move it aside so a new store starts "
                "there (its runs and sessions are lost)."
            )
        hint = next((text for code, text in _HINTS if name.startswith(code)), "")
        detail = f"; {hint}" if hint else ""
        return failure(f"The store {self.path} could not do it ({exc}){detail}.")

    # ------------------------------------------------------------ lifecycle

    async def close(self) -> None:
        """Close the file and stop the store's thread (the store cannot be used afterwards)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.get_running_loop().run_in_executor(executor, self._close_connection)
            executor.shutdown(wait=False)

    def _close_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __repr__(self) -> str:
        return f"SQLiteStore({os.fspath(self.path)!r})"


def _drive(conn: sqlite3.Connection, op: ops.Op[T]) -> T:
    """Run the operation's queries on ``conn`` (inside the caller's transaction)."""
    answer: Any = None
    try:
        while True:
            query = op.send(answer)
            if query.many:
                conn.executemany(query.sql, query.params)
                answer = None
            elif query.fetch:
                answer = conn.execute(query.sql, query.params).fetchall()
            else:
                answer = conn.execute(query.sql, query.params).rowcount
    except StopIteration as stop:
        result: T = stop.value
        return result


def _version(conn: sqlite3.Connection, where: str) -> int:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'llmkit_meta'"
    ).fetchone()
    if exists is None:
        return 0
    row = conn.execute(VERSION_QUERY).fetchone()
    if row is None:
        raise StoreFormatError(
            f"{where} has no schema version; restore it from a backup or move it aside to start "
            "a new store."
        )
    return parse_version(row[0], where)


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        # SQLite may have rolled back already (a failed COMMIT on a full disk can)
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")

""":class:`SQLiteStore`: the embedded store, one SQLite file, no server.

Guarantees:

- **The event loop never waits.** An operation runs on the caller's thread
  only when nothing can make it wait: no other operation of the store is
  running or queued, and SQLite grants the lock at once (its connection
  there waits for nothing: no busy timeout, no automatic WAL checkpoint, so
  no ``fsync``; a commit appends to the WAL through the operating system's
  cache). Anything else runs on one thread the store owns (made at first
  use), which the event loop only awaits: the first operation (it opens the
  file and migrates it), an operation that finds the file locked by another
  process (it waits there, up to ``busy_timeout``), the WAL checkpoint made
  every few hundred writes (and the next write, which restarts the WAL and
  syncs its header). A store works from any number of event loops, one
  after the other or at once (``asyncio.run`` twice in a script, sync
  twins).
- **Order.** Operations run one at a time, in the order they are asked for:
  one that finds another running or queued queues behind it.
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
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar, cast

from llmkit.durable import _sqlops as ops
from llmkit.durable._errors import StoreError, StoreFormatError
from llmkit.durable._schema import VERSION_QUERY, check_version, migrations_after, parse_version
from llmkit.durable._sqlstore import SQLStore
from llmkit.durable._store import Clock
from llmkit.errors import UsageError

__all__ = ["SQLiteStore"]

T = TypeVar("T")

_CHECKPOINT_EVERY = 256
"""Write transactions between two WAL checkpoints (SQLite's own default is about 1,000 pages)."""
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
        self._lock = threading.Lock()  # guards _executor, _closed and _queued
        self._gate = threading.Lock()  # held while an operation or a WAL checkpoint uses the file
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None  # the store thread's: waits for locks
        self._fast: sqlite3.Connection | None = None  # the caller's: never waits, never syncs
        self._closed = False
        self._queued = 0  # jobs handed to the store's thread and not done yet
        self._writes = 0  # write transactions since the last WAL checkpoint
        self._fresh_wal = False  # a checkpoint ran: the next write restarts the WAL (and syncs)

    # ------------------------------------------------------------ the thread

    def _submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Queue ``fn(*args)`` on the store's thread (counted in ``_queued`` until it is done)."""
        with self._lock:
            if self._closed:
                raise UsageError(f"{self!r} is closed; open a new SQLiteStore.")
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="llmkit-sqlite")
            job = self._executor.submit(fn, *args)
            self._queued += 1
        job.add_done_callback(self._done)  # run, failed or cancelled before it ran
        return job

    def _done(self, job: Future[Any]) -> None:
        with self._lock:
            self._queued -= 1

    async def transact(self, op: ops.Op[T], *, write: bool, failure: type[StoreError]) -> T:
        query: ops.Query | None = None
        if self._fast is not None and not self._queued and self._gate.acquire(blocking=False):
            try:
                ran, result, query = self._inline(op, write, failure)
            finally:
                self._gate.release()
            if ran:
                return cast(T, result)
        return await asyncio.wrap_future(self._submit(self._transact, op, write, failure, query))

    def _inline(
        self, op: ops.Op[T], write: bool, failure: type[StoreError]
    ) -> tuple[bool, T | None, ops.Query | None]:
        """Run ``op`` here if nothing makes it wait: ``(True, result, None)``; else
        ``(False, None, query)`` to run it on the store's thread from ``query`` (its first
        query, when it was asked before the lock was found taken; None when it was not)."""
        conn = self._fast
        if conn is None or (write and self._fresh_wal):
            return False, None, None
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        except sqlite3.Error as exc:
            if _busy(exc):  # another process writes: wait for it on the store's thread
                return False, None, None
            raise self._error(exc, failure) from None
        try:
            query = _first(op)
            try:
                answer = _answer(conn, query)
            except sqlite3.Error as exc:
                # A read finds its snapshot at its first query; a busy file there (another
                # process recovering the WAL) is waited for on the store's thread.
                if write or not _busy(exc):
                    raise
                _rollback(conn)
                return False, None, query
            result = _go_on(conn, op, answer)
            conn.execute("COMMIT")
        except BaseException as exc:
            _rollback(conn)
            if isinstance(exc, sqlite3.Error):
                raise self._error(exc, failure) from None
            raise
        if write:
            self._wrote()
        return True, result, None

    def _transact(
        self, op: ops.Op[T], write: bool, failure: type[StoreError], query: ops.Query | None
    ) -> T:
        with self._gate:
            conn = self._conn or self._open()
            try:
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            except sqlite3.Error as exc:
                raise self._error(exc, failure) from None
            try:
                result = _drive(conn, op, _first(op) if query is None else query)
                conn.execute("COMMIT")
            except BaseException as exc:
                _rollback(conn)
                if isinstance(exc, sqlite3.Error):
                    raise self._error(exc, failure) from None
                raise
            if write:
                self._fresh_wal = False
                self._wrote()
            return result

    def _wrote(self) -> None:
        """Count a committed write (the gate is held); every few hundred, checkpoint the WAL."""
        self._writes += 1
        if self._writes >= _CHECKPOINT_EVERY:
            self._writes = 0
            with contextlib.suppress(UsageError):  # closed meanwhile: closing checkpoints
                self._submit(self._checkpoint_wal)

    def _checkpoint_wal(self) -> None:
        """Copy the WAL into the database file (on the store's thread: it syncs both files)."""
        with self._gate:
            if self._conn is not None:
                # A failure (another process checkpointing) is retried at the next one.
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                self._fresh_wal = True

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
        conn = self._connect(target, uri, self.busy_timeout)
        try:
            self._prepare(conn)
            fast = self._connect(target, uri, self.busy_timeout)
        except BaseException:
            conn.close()
            raise
        try:
            self._configure(fast)  # waits like the main connection, then never again
            fast.execute("PRAGMA busy_timeout = 0")
        except BaseException:
            fast.close()
            conn.close()
            raise
        self._conn, self._fast = conn, fast
        return conn

    def _connect(self, target: str, uri: bool, timeout: float) -> sqlite3.Connection:
        try:
            return sqlite3.connect(
                target, uri=uri, isolation_level=None, timeout=timeout, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StoreError(f"Cannot open the store {self.path}: {exc}.") from None

    def _prepare(self, conn: sqlite3.Connection) -> None:
        # Processes opening one new file at once race to switch it to WAL and to migrate it;
        # SQLite refuses some of those lock upgrades at once, without its busy wait (to avoid
        # a deadlock), so the opening is tried again, on the store's thread, for up to
        # busy_timeout seconds.
        deadline = time.monotonic() + self.busy_timeout
        pause = 0.005
        while True:
            try:
                found = _version(conn, str(self.path))  # read before anything is written
                check_version(found, str(self.path))
                if not self.read_only:
                    conn.execute("PRAGMA journal_mode = WAL")
                self._configure(conn)
                if not self.read_only:
                    self._migrate(conn)
                return
            except sqlite3.Error as exc:
                if not _busy(exc) or time.monotonic() >= deadline:
                    raise self._error(exc, StoreError) from None
            time.sleep(pause)
            pause = min(pause * 2, 0.2)

    def _configure(self, conn: sqlite3.Connection) -> None:
        """The settings of each connection (the WAL mode is the file's)."""
        try:
            if self.read_only:
                conn.execute("PRAGMA query_only = ON")
                return
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA wal_autocheckpoint = 0")  # checkpoints: see _checkpoint_wal
            if self.max_bytes is not None:
                page = conn.execute("PRAGMA page_size").fetchone()[0]
                conn.execute(f"PRAGMA max_page_count = {max(1, self.max_bytes // page)}")
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
            await asyncio.get_running_loop().run_in_executor(executor, self._close_connections)
            executor.shutdown(wait=False)

    def _close_connections(self) -> None:
        with self._gate:
            fast, self._fast = self._fast, None
            conn, self._conn = self._conn, None
            if fast is not None:
                fast.close()
            if conn is not None:
                conn.close()  # the last connection checkpoints the WAL and removes it

    def __repr__(self) -> str:
        return f"SQLiteStore({os.fspath(self.path)!r})"


def _first(op: ops.Op[T]) -> ops.Query:
    """The operation's first query (each operation asks at least one)."""
    return next(op)


def _answer(conn: sqlite3.Connection, query: ops.Query) -> Any:
    if query.many:
        conn.executemany(query.sql, query.params)
        return None
    cursor = conn.execute(query.sql, query.params)
    return cursor.fetchall() if query.fetch else cursor.rowcount


def _drive(conn: sqlite3.Connection, op: ops.Op[T], query: ops.Query) -> T:
    """Run ``query`` and the operation's next ones on ``conn`` (inside the caller's transaction)."""
    return _go_on(conn, op, _answer(conn, query))


def _go_on(conn: sqlite3.Connection, op: ops.Op[T], answer: Any) -> T:
    """Give the operation ``answer`` and run the queries it asks next; its result."""
    try:
        while True:
            answer = _answer(conn, op.send(answer))
    except StopIteration as stop:
        result: T = stop.value
        return result


def _busy(exc: sqlite3.Error) -> bool:
    """Whether SQLite refused because another connection holds a lock (it would wait)."""
    return getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY


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

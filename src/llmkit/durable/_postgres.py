""":class:`PostgresStore`: the store on a PostgreSQL server (psycopg 3, async, pooled).

Needs the ``postgres`` extra (``pip install 'llmkit[postgres]'``); without it
the constructor raises :class:`~llmkit.errors.MissingExtraError`.

Guarantees:

- **One transaction per operation**, on a pooled connection. A claim, a
  checkpoint's heartbeat and a session append read their row ``FOR UPDATE``
  (or update it first), so racing processes are serialised by the server:
  of two claims exactly one wins, and two appenders both keep their turns.
- **Schema.** The tables (prefixed ``llmkit_``) carry their schema version;
  the first operation applies the forward migrations in one transaction
  under an advisory lock, so processes that start together migrate once. A
  database written by a newer llmkit raises :class:`StoreFormatError` and is
  left untouched.
- **Secrets.** The DSN's password appears in no error message and no repr.
- **Unreachable server.** The first operation connects once before opening
  the pool: a refused connection raises one :class:`StoreError` at once,
  not after ``connect_timeout`` (the pool's retry warnings are silenced).
- **Event loops.** A pool belongs to the event loop that opened it; a store
  used from another loop (a second ``asyncio.run``) opens a pool there.
- **Failures.** A checkpoint the server refuses (disk full, read-only
  transaction or replica, lost connection) raises :class:`CheckpointError`;
  the transaction is rolled back, so the previous checkpoint stays.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, TypeVar

from llmkit._optional import require
from llmkit.durable import _sqlops as ops
from llmkit.durable._errors import StoreError, StoreFormatError
from llmkit.durable._schema import (
    SCHEMA_VERSION,
    VERSION_QUERY,
    check_version,
    migrations_after,
    parse_version,
)
from llmkit.durable._sqlstore import SQLStore
from llmkit.durable._store import Clock
from llmkit.errors import UsageError

__all__ = ["PostgresStore"]

T = TypeVar("T")

_MIGRATION_LOCK = 7_163_504_518_274_019  # an arbitrary advisory-lock key for llmkit's schema


class PostgresStore(SQLStore):
    """A store in a PostgreSQL database: for several machines, or a database you already run.

    ::

        store = PostgresStore("postgresql://llmkit@db.internal/llmkit")
        result = await agent.run("...", store=store)

    Args:
        dsn: A libpq connection string or URL (``postgresql://user:pw@host/db``).
        pool_size: The most connections the store keeps open (per event loop).
        stale_after: Seconds without a heartbeat after which a running run held
            by a process on another host may be taken over.
        clock: The time source (for tests).
        connect_timeout: Seconds to wait for the server at the first operation.
    """

    def __init__(
        self,
        dsn: str,
        *,
        pool_size: int = 4,
        stale_after: float = 60.0,
        clock: Clock = time.time,
        connect_timeout: float = 10.0,
    ) -> None:
        super().__init__(stale_after=stale_after, clock=clock)
        self._psycopg = require(
            "psycopg", extra="postgres", feature="PostgresStore", package="psycopg[binary]"
        )
        self._pool_module = require(
            "psycopg_pool", extra="postgres", feature="PostgresStore", package="psycopg-pool"
        )
        if not isinstance(dsn, str) or not dsn.strip():
            raise UsageError(
                "PostgresStore takes a connection string such as 'postgresql://user@host/dbname'."
            )
        try:
            params = self._psycopg.conninfo.conninfo_to_dict(dsn)
        except self._psycopg.ProgrammingError:
            raise UsageError(
                "PostgresStore could not read its connection string; pass a URL such as "
                "'postgresql://user@host:5432/dbname' or 'host=... dbname=...'."
            ) from None
        if isinstance(pool_size, bool) or not isinstance(pool_size, int) or pool_size < 1:
            raise UsageError(f"pool_size is a count of 1 or more, not {pool_size!r}.")
        self._dsn = dsn
        self._password = str(params.get("password") or "")
        self.address = _address(params)
        """Where the store is, without the password (for messages)."""
        self.pool_size = pool_size
        self.connect_timeout = float(connect_timeout)
        self._pools: dict[asyncio.AbstractEventLoop, Any] = {}
        self._ready = False
        self._closed = False
        self._sql: dict[tuple[str, bool], str] = {}

    # ------------------------------------------------------------- the pool

    async def _pool(self) -> Any:
        if self._closed:
            raise UsageError(f"{self!r} is closed; open a new PostgresStore.")
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            for old in [old for old in self._pools if old.is_closed()]:
                del self._pools[old]  # its connections went with their loop
            if not self._ready:
                await self._probe()
            pool = self._pool_module.AsyncConnectionPool(
                self._dsn,
                min_size=1,
                max_size=self.pool_size,
                open=False,
                kwargs={"autocommit": True},
                timeout=self.connect_timeout,
            )
            quiet = logging.getLogger("psycopg.pool")
            level = quiet.level
            quiet.setLevel(logging.CRITICAL)  # its retry warnings would repeat the error below
            try:
                await pool.open(wait=True, timeout=self.connect_timeout)
            except self._pool_module.PoolTimeout:
                await pool.close()
                raise StoreError(
                    f"Cannot reach the PostgreSQL store at {self.address} within "
                    f"{self.connect_timeout:g} s; check that the server runs and the address, "
                    "user and database are right."
                ) from None
            finally:
                quiet.setLevel(level)
            self._pools[loop] = pool
        if not self._ready:
            await self._migrate(pool)
            self._ready = True
        return pool

    async def _probe(self) -> None:
        """Connect once before the first pool opens: a refused or failed connection is one
        clear StoreError at once (a pool retries it quietly until its timeout)."""
        try:
            conn = await self._psycopg.AsyncConnection.connect(
                self._dsn, connect_timeout=max(1, round(self.connect_timeout))
            )
        except self._psycopg.OperationalError as exc:
            text = " ".join(str(exc).split())
            if self._password:
                text = text.replace(self._password, "***")
            raise StoreError(
                f"Cannot connect to the PostgreSQL store at {self.address} ({text}); check that "
                "the server runs and the address, user and database are right."
            ) from None
        await conn.close()

    async def _migrate(self, pool: Any) -> None:
        try:
            async with pool.connection() as conn:
                async with conn.transaction():
                    found = await self._version(conn)  # before anything is written
                check_version(found, self.address)
                if found == SCHEMA_VERSION:
                    return
                # A session lock, taken outside the transaction that migrates, so that
                # transaction starts after any other migration ended and sees its tables.
                await conn.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
                try:
                    async with conn.transaction():
                        found = await self._version(conn)
                        check_version(found, self.address)
                        for sql in migrations_after(found):
                            await conn.execute(sql)
                finally:
                    await conn.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))
        except self._psycopg.Error as exc:
            raise self._error(exc, StoreError) from None

    async def _version(self, conn: Any) -> int:
        cur = await conn.execute("SELECT to_regclass('llmkit_meta') IS NOT NULL")
        row = await cur.fetchone()
        if not row[0]:
            return 0
        cur = await conn.execute(VERSION_QUERY)
        row = await cur.fetchone()
        if row is None:
            raise StoreFormatError(
                f"The PostgreSQL store at {self.address} has no schema version; restore it from "
                "a backup or drop its llmkit_ tables to start anew."
            )
        return parse_version(row[0], self.address)

    # ---------------------------------------------------------- transactions

    async def transact(self, op: ops.Op[T], *, write: bool, failure: type[StoreError]) -> T:
        pool = await self._pool()
        try:
            async with pool.connection() as conn, conn.transaction():
                cur = conn.cursor()
                answer: Any = None
                while True:
                    try:
                        query = op.send(answer)
                    except StopIteration as stop:
                        result: T = stop.value
                        return result
                    sql = self._translate(query.sql, query.lock)
                    if query.many:
                        await cur.executemany(sql, query.params)
                        answer = None
                    else:
                        await cur.execute(sql, query.params)
                        answer = await cur.fetchall() if query.fetch else cur.rowcount
        except self._psycopg.Error as exc:
            raise self._error(exc, failure) from None
        except self._pool_module.PoolTimeout:
            raise failure(
                f"No connection to the PostgreSQL store at {self.address} was free or could be "
                f"made within {self.connect_timeout:g} s; check the server, or raise pool_size."
            ) from None

    def _translate(self, sql: str, lock: bool) -> str:
        """The query in psycopg's spelling (``%s`` placeholders, ``FOR UPDATE`` on locked reads)."""
        key = (sql, lock)
        found = self._sql.get(key)
        if found is None:
            found = sql.replace("?", "%s") + (" FOR UPDATE" if lock else "")
            self._sql[key] = found
        return found

    def _error(self, exc: Exception, failure: type[StoreError]) -> StoreError:
        text = str(exc).strip() or type(exc).__name__
        if self._password:
            text = text.replace(self._password, "***")
        return failure(f"The PostgreSQL store at {self.address} could not do it ({text}).")

    # ------------------------------------------------------------ lifecycle

    async def close(self) -> None:
        """Close the pool of this event loop (and forget those of others); the store is done."""
        self._closed = True
        pools, self._pools = self._pools, {}
        loop = asyncio.get_running_loop()
        pool = pools.get(loop)
        if pool is not None:
            await pool.close()

    def __repr__(self) -> str:
        return f"PostgresStore({self.address!r})"


def _address(params: dict[str, Any]) -> str:
    """``postgresql://user@host:port/dbname`` from connection parameters, without the password."""
    user = params.get("user")
    host = params.get("host") or "localhost"
    port = params.get("port")
    where = f"{host}:{port}" if port else str(host)
    return f"postgresql://{user + '@' if user else ''}{where}/{params.get('dbname') or ''}"

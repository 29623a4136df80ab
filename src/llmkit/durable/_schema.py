"""The tables of the SQL stores (SQLite and PostgreSQL) and their versions.

One schema serves both databases: the statements below use only what both
read the same way (``TEXT``, ``BIGINT``, ``DOUBLE PRECISION``, ``ON CONFLICT``).
Every table is prefixed ``llmkit_`` so a store can share a database with
other tables.

Guarantees:

- The schema's version is the ``schema_version`` row of ``llmkit_meta``; a
  store without that table is new and gets the whole schema.
- :data:`MIGRATIONS` lists, for each version, the statements that bring a
  store from the version before it; a store opens by applying, in one
  transaction, those it has not applied yet (forward only).
- A store at a version above :data:`SCHEMA_VERSION` (written by a newer
  llmkit) is refused by :func:`check_version` before anything is written.
"""

from __future__ import annotations

from llmkit.durable._errors import StoreFormatError

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "VERSION_QUERY",
    "check_version",
    "migrations_after",
    "parse_version",
]

_V1 = (
    """CREATE TABLE llmkit_meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE llmkit_runs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        started DOUBLE PRECISION NOT NULL,
        updated DOUBLE PRECISION NOT NULL,
        steps BIGINT NOT NULL DEFAULT 0,
        usage TEXT NOT NULL DEFAULT '{}',
        fingerprint TEXT,
        holder_token TEXT,
        holder_host TEXT,
        holder_pid BIGINT,
        error TEXT,
        result TEXT NOT NULL DEFAULT 'null',
        meta TEXT NOT NULL DEFAULT '{}'
    )""",
    "CREATE INDEX llmkit_runs_started ON llmkit_runs (started)",
    """CREATE TABLE llmkit_checkpoints (
        run_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
    )""",
    """CREATE TABLE llmkit_sessions (
        id TEXT PRIMARY KEY,
        version BIGINT NOT NULL,
        messages BIGINT NOT NULL,
        updated DOUBLE PRECISION NOT NULL
    )""",
    "CREATE INDEX llmkit_sessions_updated ON llmkit_sessions (updated)",
    """CREATE TABLE llmkit_session_messages (
        session_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        message TEXT NOT NULL,
        PRIMARY KEY (session_id, seq)
    )""",
    "INSERT INTO llmkit_meta (key, value) VALUES ('schema_version', '1')",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1,)
"""``MIGRATIONS[n - 1]``: the statements that bring a store to version ``n``.

Each migration past the first ends by setting the ``schema_version`` row to its number.
"""

SCHEMA_VERSION = len(MIGRATIONS)
"""The schema version this llmkit writes."""

VERSION_QUERY = "SELECT value FROM llmkit_meta WHERE key = 'schema_version'"
"""Reads the stored version (once ``llmkit_meta`` exists)."""


def check_version(found: int, where: str) -> None:
    """Refuse a store at a version this llmkit cannot read (``where`` names it in the message)."""
    if found > SCHEMA_VERSION:
        raise StoreFormatError(
            f"{where} holds a store at schema version {found}, written by a newer llmkit; this "
            f"one reads up to version {SCHEMA_VERSION}. Upgrade llmkit to use it (it was left "
            "untouched)."
        )


def migrations_after(found: int) -> list[str]:
    """The statements that bring a store at version ``found`` (0: new) to :data:`SCHEMA_VERSION`."""
    return [sql for version in MIGRATIONS[found:] for sql in version]


def parse_version(value: object, where: str) -> int:
    """The stored ``schema_version`` value as a number; a value that is not one is a damaged store."""
    try:
        return int(str(value))
    except ValueError:
        raise StoreFormatError(
            f"{where} has a damaged schema version ({value!r}); restore it from a backup or "
            "move it aside to start a new store."
        ) from None

"""The store's operations as plain generators of SQL, shared by the SQLite and PostgreSQL stores.

Each operation is a generator that yields :class:`Query` objects and gets
back each one's answer: the rows (a list of tuples) for ``fetch=True``, the
number of rows changed otherwise (``None`` for ``many=True``). A driver runs
the whole generator inside one transaction, commits when it returns, and
rolls back when it raises (the errors of ``llmkit.durable`` are raised from
here). The SQL uses ``?`` placeholders; ``lock=True`` marks a read that
PostgreSQL must make ``FOR UPDATE`` (SQLite's write transactions already
exclude each other).

Guarantees (on top of the store protocol's):

- A claim reads the run, checks its holder and writes the new one in the same
  transaction, so of two racing claims exactly one wins.
- A checkpoint and a finish first update the run ``WHERE holder_token`` is
  the caller's; nothing else is written when that matches no row (fencing).
- A session append numbers its messages after the stored ones and bumps the
  version in the same transaction; a replace checks the version first.
- Values reach these functions as JSON text already checked (the store does
  that before the transaction), and leave as JSON values.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar, cast

from llmkit._json import body_bytes, loads_body
from llmkit.durable._errors import (
    RunBusyError,
    RunExistsError,
    RunFinishedError,
    RunNotFoundError,
    SessionConflictError,
    StoreFormatError,
)
from llmkit.durable._store import (
    JSON,
    Claim,
    RunInfo,
    RunKind,
    RunStatus,
    SessionInfo,
    SessionState,
    busy_deleting,
    holder_is_gone,
)

__all__ = [
    "Op",
    "Query",
    "append_session",
    "checkpoint",
    "claim_run",
    "decode",
    "delete_run",
    "delete_session",
    "encode",
    "finish_run",
    "get_run",
    "list_runs",
    "list_sessions",
    "load_checkpoints",
    "load_session",
    "replace_session",
    "start_run",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Query:
    """One statement for the driver: SQL with ``?`` placeholders and its parameters."""

    sql: str
    params: Sequence[Any] = ()
    """The parameters, or for ``many=True`` a list of parameter tuples."""
    fetch: bool = False
    """Answer with the rows."""
    many: bool = False
    """Run once per parameter tuple (``executemany``)."""
    lock: bool = False
    """A read of rows the transaction will update (PostgreSQL adds ``FOR UPDATE``)."""


Op: TypeAlias = Generator[Query, Any, T]
"""An operation: yields queries, gets their answers, returns its result."""


def encode(value: JSON) -> str:
    """A checked JSON value (``check_storable`` let it through) as compact JSON text.

    Checked, it holds no ``NaN``, infinity, subclass or other type, so orjson writes what the
    standard library would (numbers may be spelled apart: ``1e-05`` / ``0.00001``, the same
    value); an integer beyond 64 bits or a lone surrogate, which orjson refuses, is written
    by the standard library.
    """
    import orjson  # a dependency, loaded when the store first writes

    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return body_bytes(value).decode()


def decode(text: str, where: str) -> JSON:
    """The JSON value of stored text; text that is not JSON is a damaged store."""
    try:
        return loads_body(text.encode())
    except ValueError:
        raise StoreFormatError(
            f"The stored value of {where} is not JSON; the store was changed outside llmkit. "
            "Delete that entry or restore the store from a backup."
        ) from None


# ------------------------------------------------------------------- runs

_RUN_COLUMNS = (
    "id, kind, name, status, started, updated, steps, usage, fingerprint, "
    "holder_token, holder_host, holder_pid, error, result, meta"
)
_SELECT_RUN = f"SELECT {_RUN_COLUMNS} FROM llmkit_runs"


def _run(row: Sequence[Any]) -> RunInfo:
    (id_, kind, name, status, started, updated, steps, usage) = row[:8]
    (fingerprint, token, host, pid, error, result, meta) = row[8:]
    holder = None if token is None else Claim(run_id=id_, token=token, host=host, pid=int(pid))
    return RunInfo(
        id=id_,
        kind=cast(RunKind, kind),
        name=name,
        status=cast(RunStatus, status),
        started=float(started),
        updated=float(updated),
        steps=int(steps),
        usage=decode(usage, f"run {id_!r}'s usage"),
        fingerprint=fingerprint,
        holder=holder,
        error=error,
        result=decode(result, f"run {id_!r}'s result"),
        meta=decode(meta, f"run {id_!r}'s meta"),
    )


def _who(holder: Claim | None) -> str:
    return "unknown" if holder is None else f"pid {holder.pid} on {holder.host}"


def start_run(
    claim: Claim, *, kind: RunKind, name: str, fingerprint: str | None, meta: str, now: float
) -> Op[Claim]:
    """Create the run held by ``claim``; :class:`RunExistsError` when the id is taken."""
    added = yield Query(
        "INSERT INTO llmkit_runs (id, kind, name, status, started, updated, fingerprint, "
        "holder_token, holder_host, holder_pid, meta) "
        "VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        (claim.run_id, kind, name, now, now, fingerprint, claim.token, claim.host, claim.pid, meta),
    )
    if added == 0:
        raise RunExistsError(
            f"A run {claim.run_id!r} is already stored; resume it, delete it, or start with "
            "another run_id."
        )
    return claim


def claim_run(
    run_id: str, *, kind: RunKind | None, now: float, stale_after: float
) -> Op[tuple[Claim, RunInfo]]:
    """Take over a run whose holder is gone (the read and the write in one transaction)."""
    rows = yield Query(f"{_SELECT_RUN} WHERE id = ?", (run_id,), fetch=True, lock=True)
    info = _run(rows[0]) if rows else None
    if info is None or (kind is not None and info.kind != kind):
        what = f"{kind} run" if kind else "run"
        raise RunNotFoundError(f"No {what} {run_id!r} is stored; `llmkit runs list` shows them.")
    if info.status == "finished":
        raise RunFinishedError(
            f"Run {run_id!r} already finished; read its result with store.get_run() or "
            "`llmkit runs show`."
        )
    if info.status == "running" and not holder_is_gone(
        info.holder, info.updated, now=now, stale_after=stale_after
    ):
        raise RunBusyError(
            f"Run {run_id!r} is held by a live process ({_who(info.holder)}); wait for it to "
            "end, or resume after it stops."
        )
    claim = Claim.new(run_id)
    yield Query(
        "UPDATE llmkit_runs SET status = 'running', holder_token = ?, holder_host = ?, "
        "holder_pid = ?, updated = ?, error = NULL WHERE id = ?",
        (claim.token, claim.host, claim.pid, now, run_id),
    )
    return claim, info


def _lost(claim: Claim) -> Op[None]:
    """Raise why ``claim`` no longer holds its run (after a fenced update matched no row)."""
    rows = yield Query(
        "SELECT holder_token FROM llmkit_runs WHERE id = ?", (claim.run_id,), fetch=True
    )
    if not rows:
        raise RunNotFoundError(f"Run {claim.run_id!r} was deleted while it ran.")
    raise RunBusyError(
        f"Run {claim.run_id!r} was taken over by another process; this one stops writing to it."
    )


def checkpoint(
    claim: Claim,
    put: Sequence[tuple[str, str]],
    delete: Sequence[str],
    *,
    steps: int | None,
    usage: str | None,
    now: float,
) -> Op[None]:
    """Beat the heartbeat (fenced), then remove ``delete`` and write ``put`` (key, JSON text)."""
    held = yield Query(
        "UPDATE llmkit_runs SET updated = ?, steps = COALESCE(?, steps), "
        "usage = COALESCE(?, usage) WHERE id = ? AND holder_token = ?",
        (now, steps, usage, claim.run_id, claim.token),
    )
    if held == 0:
        yield from _lost(claim)
    if delete:
        yield Query(
            "DELETE FROM llmkit_checkpoints WHERE run_id = ? AND key = ?",
            [(claim.run_id, key) for key in delete],
            many=True,
        )
    if put:
        yield Query(
            "INSERT INTO llmkit_checkpoints (run_id, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
            [(claim.run_id, key, text) for key, text in put],
            many=True,
        )


def load_checkpoints(run_id: str) -> Op[dict[str, JSON]]:
    """Every checkpoint key of the run and its value."""
    rows = yield Query(
        "SELECT key, value FROM llmkit_checkpoints WHERE run_id = ?", (run_id,), fetch=True
    )
    return {key: decode(text, f"checkpoint {key!r} of run {run_id!r}") for key, text in rows}


def finish_run(
    claim: Claim, *, status: str, result: str, error: str | None, now: float
) -> Op[None]:
    """Record the end (or pause) and release the run, if ``claim`` still holds it."""
    held = yield Query(
        "UPDATE llmkit_runs SET status = ?, holder_token = NULL, holder_host = NULL, "
        "holder_pid = NULL, updated = ?, result = ?, error = ? WHERE id = ? AND holder_token = ?",
        (status, now, result, error, claim.run_id, claim.token),
    )
    if held == 0:
        yield from _lost(claim)


def get_run(run_id: str) -> Op[RunInfo | None]:
    """The run, or None."""
    rows = yield Query(f"{_SELECT_RUN} WHERE id = ?", (run_id,), fetch=True)
    return _run(rows[0]) if rows else None


def list_runs(kind: RunKind | None, status: RunStatus | None, limit: int) -> Op[list[RunInfo]]:
    """Runs, newest first."""
    where: list[str] = []
    params: list[object] = []
    if kind is not None:
        where.append("kind = ?")
        params.append(kind)
    if status is not None:
        where.append("status = ?")
        params.append(status)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    rows = yield Query(
        f"{_SELECT_RUN}{clause} ORDER BY started DESC, id LIMIT ?", (*params, limit), fetch=True
    )
    return [_run(row) for row in rows]


def delete_run(run_id: str, *, force: bool, now: float, stale_after: float) -> Op[bool]:
    """Remove the run and its checkpoints (RunBusyError when a live process holds it, unless
    ``force``; the check and the delete in one transaction)."""
    if not force:
        rows = yield Query(f"{_SELECT_RUN} WHERE id = ?", (run_id,), fetch=True, lock=True)
        info = _run(rows[0]) if rows else None
        if (
            info is not None
            and info.status == "running"
            and not holder_is_gone(info.holder, info.updated, now=now, stale_after=stale_after)
        ):
            raise RunBusyError(busy_deleting(run_id, info.holder))
    yield Query("DELETE FROM llmkit_checkpoints WHERE run_id = ?", (run_id,))
    removed = yield Query("DELETE FROM llmkit_runs WHERE id = ?", (run_id,))
    return bool(removed)


# --------------------------------------------------------------- sessions


def load_session(session_id: str) -> Op[SessionState]:
    """The session's messages and version (read in one transaction: one snapshot)."""
    rows = yield Query(
        "SELECT version FROM llmkit_sessions WHERE id = ?", (session_id,), fetch=True
    )
    texts = yield Query(
        "SELECT seq, message FROM llmkit_session_messages WHERE session_id = ? ORDER BY seq",
        (session_id,),
        fetch=True,
    )
    return SessionState(
        id=session_id,
        version=int(rows[0][0]) if rows else 0,
        messages=[decode(text, f"message {seq} of session {session_id!r}") for seq, text in texts],
    )


def _lock_session(session_id: str, now: float) -> Op[tuple[int, int]]:
    """Make sure the session's row exists and lock it; its version and message count."""
    yield Query(
        "INSERT INTO llmkit_sessions (id, version, messages, updated) VALUES (?, 0, 0, ?) "
        "ON CONFLICT (id) DO NOTHING",
        (session_id, now),
    )
    rows = yield Query(
        "SELECT version, messages FROM llmkit_sessions WHERE id = ?",
        (session_id,),
        fetch=True,
        lock=True,
    )
    return int(rows[0][0]), int(rows[0][1])


def _write_messages(
    session_id: str, first: int, texts: Sequence[str], version: int, now: float
) -> Op[int]:
    if texts:
        yield Query(
            "INSERT INTO llmkit_session_messages (session_id, seq, message) VALUES (?, ?, ?)",
            [(session_id, first + index, text) for index, text in enumerate(texts)],
            many=True,
        )
    yield Query(
        "UPDATE llmkit_sessions SET version = ?, messages = ?, updated = ? WHERE id = ?",
        (version + 1, first + len(texts), now, session_id),
    )
    return version + 1


def append_session(session_id: str, texts: Sequence[str], now: float) -> Op[int]:
    """Add the messages after the stored ones, as one unit; the new version."""
    version, count = yield from _lock_session(session_id, now)
    return (yield from _write_messages(session_id, count, texts, version, now))


def replace_session(
    session_id: str, texts: Sequence[str], *, expected_version: int, now: float
) -> Op[int]:
    """Replace the messages if the session is at ``expected_version``; the new version."""
    version, _ = yield from _lock_session(session_id, now)
    if version != expected_version:
        raise SessionConflictError(
            f"Session {session_id!r} is at version {version}, not {expected_version}: it "
            "changed since it was read; load it again and retry."
        )
    yield Query("DELETE FROM llmkit_session_messages WHERE session_id = ?", (session_id,))
    return (yield from _write_messages(session_id, 0, texts, version, now))


def list_sessions(limit: int) -> Op[list[SessionInfo]]:
    """Sessions, most recently updated first."""
    rows = yield Query(
        "SELECT id, version, messages, updated FROM llmkit_sessions WHERE version > 0 "
        "ORDER BY updated DESC, id LIMIT ?",
        (limit,),
        fetch=True,
    )
    return [
        SessionInfo(id=id_, version=int(version), messages=int(count), updated=float(updated))
        for id_, version, count, updated in rows
    ]


def delete_session(session_id: str) -> Op[bool]:
    """Remove the session and its messages."""
    yield Query("DELETE FROM llmkit_session_messages WHERE session_id = ?", (session_id,))
    removed = yield Query("DELETE FROM llmkit_sessions WHERE id = ?", (session_id,))
    return bool(removed)

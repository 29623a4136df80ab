"""The part of the SQLite and PostgreSQL stores that does not depend on the database.

:class:`SQLStore` implements every method of :class:`~llmkit.durable.Store`
by checking and encoding its input, then handing one operation of
``_sqlops`` to :meth:`SQLStore.transact`, which a driver implements: run the
operation in one transaction, commit, and turn the database's own errors
into the store's.

Guarantees:

- A value with no JSON form raises :class:`NotStorableError` before any
  transaction starts (nothing is written). Values a caller already checked
  (``Store._checkpoint_checked``: a workflow's journal) are not checked again,
  unless a subclass overrides ``checkpoint``, which then sees them as usual.
- The clock is read on the caller's side, once per operation.
- A write of run data (start, checkpoint, finish) that the database refuses
  raises :class:`CheckpointError`; any other refused operation a
  :class:`StoreError` (``failure`` below); a damaged file or schema a
  :class:`StoreFormatError`.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, TypeVar

from llmkit.durable import _sqlops as ops
from llmkit.durable._errors import CheckpointError, StoreError
from llmkit.durable._store import (
    JSON,
    Claim,
    RunInfo,
    RunKind,
    RunStatus,
    SessionInfo,
    SessionState,
    Store,
    check_storable,
)
from llmkit.errors import UsageError

__all__ = ["SQLStore"]

T = TypeVar("T")


class SQLStore(Store):
    """A store on a SQL database: the protocol's methods, written once over :meth:`transact`."""

    @abstractmethod
    async def transact(self, op: ops.Op[T], *, write: bool, failure: type[StoreError]) -> T:
        """Run ``op`` in one transaction and return its result.

        ``write`` says the operation writes (SQLite takes the write lock at
        the start). A database error becomes ``failure`` (or
        :class:`StoreFormatError` when the store is damaged).
        """

    # ------------------------------------------------------------------ runs

    async def start_run(
        self,
        run_id: str,
        *,
        kind: RunKind,
        name: str,
        fingerprint: str | None = None,
        meta: Mapping[str, JSON] | None = None,
    ) -> Claim:
        _check_id(run_id, "run")
        values = dict(meta or {})
        check_storable(values, "meta")
        op = ops.start_run(
            Claim.new(run_id),
            kind=kind,
            name=name,
            fingerprint=fingerprint,
            meta=ops.encode(values),
            now=self.clock(),
        )
        return await self.transact(op, write=True, failure=CheckpointError)

    async def claim_run(self, run_id: str, *, kind: RunKind | None = None) -> tuple[Claim, RunInfo]:
        op = ops.claim_run(run_id, kind=kind, now=self.clock(), stale_after=self.stale_after)
        return await self.transact(op, write=True, failure=StoreError)

    async def checkpoint(
        self,
        claim: Claim,
        put: Mapping[str, JSON] | None = None,
        *,
        delete: Iterable[str] = (),
        steps: int | None = None,
        usage: Mapping[str, JSON] | None = None,
    ) -> None:
        values = put or {}
        for key, value in values.items():
            check_storable(value, key)
        usage_values = None
        if usage is not None:
            usage_values = dict(usage)
            check_storable(usage_values, "usage")
        await self._write_checkpoint(claim, values, delete, steps, usage_values)

    async def _checkpoint_checked(
        self,
        claim: Claim,
        put: Mapping[str, JSON],
        *,
        delete: Iterable[str],
        steps: int | None,
        usage: Mapping[str, JSON] | None,
    ) -> None:
        if type(self).checkpoint is not SQLStore.checkpoint:
            # A subclass's own checkpoint() sees every checkpoint.
            await self.checkpoint(claim, put, delete=delete, steps=steps, usage=usage)
            return
        await self._write_checkpoint(claim, put, delete, steps, usage)

    async def _write_checkpoint(
        self,
        claim: Claim,
        put: Mapping[str, JSON],
        delete: Iterable[str],
        steps: int | None,
        usage: Mapping[str, JSON] | None,
    ) -> None:
        """Encode checked values and write them in one transaction."""
        texts = [(key, ops.encode(value)) for key, value in put.items()]
        usage_text = None if usage is None else ops.encode(dict(usage))
        op = ops.checkpoint(
            claim, texts, list(delete), steps=steps, usage=usage_text, now=self.clock()
        )
        await self.transact(op, write=True, failure=CheckpointError)

    async def load_checkpoints(self, run_id: str) -> dict[str, JSON]:
        return await self.transact(ops.load_checkpoints(run_id), write=False, failure=StoreError)

    async def finish_run(
        self,
        claim: Claim,
        *,
        status: Literal["paused", "finished", "failed"],
        result: JSON = None,
        error: str | None = None,
    ) -> None:
        check_storable(result, "result")
        op = ops.finish_run(
            claim, status=status, result=ops.encode(result), error=error, now=self.clock()
        )
        await self.transact(op, write=True, failure=CheckpointError)

    async def get_run(self, run_id: str) -> RunInfo | None:
        return await self.transact(ops.get_run(run_id), write=False, failure=StoreError)

    async def list_runs(
        self, *, kind: RunKind | None = None, status: RunStatus | None = None, limit: int = 100
    ) -> list[RunInfo]:
        op = ops.list_runs(kind, status, _limit(limit))
        return await self.transact(op, write=False, failure=StoreError)

    async def delete_run(self, run_id: str, *, force: bool = False) -> bool:
        op = ops.delete_run(run_id, force=force, now=self.clock(), stale_after=self.stale_after)
        return await self.transact(op, write=True, failure=StoreError)

    # -------------------------------------------------------------- sessions

    async def load_session(self, session_id: str) -> SessionState:
        return await self.transact(ops.load_session(session_id), write=False, failure=StoreError)

    async def append_session(self, session_id: str, messages: Sequence[JSON]) -> int:
        _check_id(session_id, "session")
        texts = _texts(messages)
        op = ops.append_session(session_id, texts, self.clock())
        return await self.transact(op, write=True, failure=StoreError)

    async def replace_session(
        self, session_id: str, messages: Sequence[JSON], *, expected_version: int
    ) -> int:
        _check_id(session_id, "session")
        texts = _texts(messages)
        op = ops.replace_session(
            session_id, texts, expected_version=expected_version, now=self.clock()
        )
        return await self.transact(op, write=True, failure=StoreError)

    async def list_sessions(self, *, limit: int = 100) -> list[SessionInfo]:
        op = ops.list_sessions(_limit(limit))
        return await self.transact(op, write=False, failure=StoreError)

    async def delete_session(self, session_id: str) -> bool:
        return await self.transact(ops.delete_session(session_id), write=True, failure=StoreError)


def _texts(messages: Sequence[JSON]) -> list[str]:
    values = list(messages)
    check_storable(values, "messages")
    return [ops.encode(value) for value in values]


def _check_id(value: object, what: str) -> None:
    if not isinstance(value, str) or not value:
        raise UsageError(f"A {what} id is a non-empty string, not {value!r}.")


def _limit(limit: object) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise UsageError(f"limit is a count of 0 or more, not {limit!r}.")
    return limit

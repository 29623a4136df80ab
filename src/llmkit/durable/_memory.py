""":class:`MemoryStore`: the store protocol in this process's memory, for tests and throwaway runs.

It keeps every guarantee of :class:`~llmkit.durable.Store` except surviving
the process. Values are copied through their JSON form on the way in and out,
so what it hands back never aliases what was given (as with a real store) and
a value with no JSON form fails here just as it would on disk.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Literal

from llmkit._json import body_bytes, loads_body
from llmkit.durable._errors import (
    RunBusyError,
    RunExistsError,
    RunFinishedError,
    RunNotFoundError,
    SessionConflictError,
)
from llmkit.durable._store import (
    JSON,
    Claim,
    RunInfo,
    RunKind,
    RunStatus,
    SessionInfo,
    SessionState,
    Store,
    busy_deleting,
    check_storable,
    holder_is_gone,
)

__all__ = ["MemoryStore"]


class MemoryStore(Store):
    """A store that lives in memory: every guarantee of the protocol but durability.

    Good for tests (``agent.run(..., store=MemoryStore())``) and for sessions
    that need not outlive the process.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._runs: dict[str, RunInfo] = {}
        self._checkpoints: dict[str, dict[str, JSON]] = {}
        self._sessions: dict[str, tuple[int, list[JSON], float]] = {}

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
        if run_id in self._runs:
            raise RunExistsError(
                f"A run {run_id!r} is already stored; resume it, delete it, or start with "
                "another run_id."
            )
        check_storable(dict(meta or {}), "meta")
        claim = Claim.new(run_id)
        now = self.clock()
        self._runs[run_id] = RunInfo(
            id=run_id,
            kind=kind,
            name=name,
            status="running",
            started=now,
            updated=now,
            fingerprint=fingerprint,
            holder=claim,
            meta=_stored(dict(meta or {})),
        )
        self._checkpoints[run_id] = {}
        return claim

    async def claim_run(self, run_id: str, *, kind: RunKind | None = None) -> tuple[Claim, RunInfo]:
        info = self._runs.get(run_id)
        if info is None or (kind is not None and info.kind != kind):
            what = f"{kind} run" if kind else "run"
            raise RunNotFoundError(
                f"No {what} {run_id!r} is stored; `llmkit runs list` shows them."
            )
        if info.status == "finished":
            raise RunFinishedError(
                f"Run {run_id!r} already finished; read its result with store.get_run() or "
                "`llmkit runs show`."
            )
        now = self.clock()
        if info.status == "running" and not holder_is_gone(
            info.holder, info.updated, now=now, stale_after=self.stale_after
        ):
            raise RunBusyError(
                f"Run {run_id!r} is held by a live process ({_who(info.holder)}); wait for it to "
                "end, or resume after it stops."
            )
        claim = Claim.new(run_id)
        self._runs[run_id] = replace(info, status="running", holder=claim, updated=now, error=None)
        return claim, info

    def _held(self, claim: Claim) -> RunInfo:
        info = self._runs.get(claim.run_id)
        if info is None:
            raise RunNotFoundError(f"Run {claim.run_id!r} was deleted while it ran.")
        if info.holder is None or info.holder.token != claim.token:
            raise RunBusyError(
                f"Run {claim.run_id!r} was taken over by another process; this one stops "
                "writing to it."
            )
        return info

    async def checkpoint(
        self,
        claim: Claim,
        put: Mapping[str, JSON] | None = None,
        *,
        delete: Iterable[str] = (),
        steps: int | None = None,
        usage: Mapping[str, JSON] | None = None,
    ) -> None:
        info = self._held(claim)
        values = dict(put or {})
        for key, value in values.items():
            check_storable(value, key)
        if usage is not None:
            check_storable(dict(usage), "usage")
        stored = self._checkpoints[claim.run_id]
        for key in delete:
            stored.pop(key, None)
        stored.update(_stored(values))
        self._runs[claim.run_id] = replace(
            info,
            updated=self.clock(),
            steps=info.steps if steps is None else steps,
            usage=info.usage if usage is None else _stored(dict(usage)),
        )

    async def load_checkpoints(self, run_id: str) -> dict[str, JSON]:
        return copy.deepcopy(self._checkpoints.get(run_id, {}))

    async def finish_run(
        self,
        claim: Claim,
        *,
        status: Literal["paused", "finished", "failed"],
        result: JSON = None,
        error: str | None = None,
    ) -> None:
        info = self._held(claim)
        check_storable(result, "result")
        self._runs[claim.run_id] = replace(
            info,
            status=status,
            holder=None,
            updated=self.clock(),
            result=_stored(result),
            error=error,
        )

    async def get_run(self, run_id: str) -> RunInfo | None:
        return copy.deepcopy(self._runs.get(run_id))

    async def list_runs(
        self, *, kind: RunKind | None = None, status: RunStatus | None = None, limit: int = 100
    ) -> list[RunInfo]:
        runs = [
            info
            for info in self._runs.values()
            if (kind is None or info.kind == kind) and (status is None or info.status == status)
        ]
        runs.sort(key=lambda info: info.started, reverse=True)
        return copy.deepcopy(runs[:limit])

    async def delete_run(self, run_id: str, *, force: bool = False) -> bool:
        info = self._runs.get(run_id)
        if (
            not force
            and info is not None
            and info.status == "running"
            and not holder_is_gone(
                info.holder, info.updated, now=self.clock(), stale_after=self.stale_after
            )
        ):
            raise RunBusyError(busy_deleting(run_id, info.holder))
        self._checkpoints.pop(run_id, None)
        return self._runs.pop(run_id, None) is not None

    # -------------------------------------------------------------- sessions

    async def load_session(self, session_id: str) -> SessionState:
        version, messages, _ = self._sessions.get(session_id, (0, [], 0.0))
        return SessionState(id=session_id, version=version, messages=copy.deepcopy(messages))

    async def append_session(self, session_id: str, messages: Sequence[JSON]) -> int:
        check_storable(list(messages), "messages")
        version, stored, _ = self._sessions.get(session_id, (0, [], 0.0))
        self._sessions[session_id] = (
            version + 1,
            [*stored, *_stored(list(messages))],
            self.clock(),
        )
        return version + 1

    async def replace_session(
        self, session_id: str, messages: Sequence[JSON], *, expected_version: int
    ) -> int:
        check_storable(list(messages), "messages")
        version = self._sessions.get(session_id, (0, [], 0.0))[0]
        if version != expected_version:
            raise SessionConflictError(
                f"Session {session_id!r} is at version {version}, not {expected_version}: it "
                "changed since it was read; load it again and retry."
            )
        self._sessions[session_id] = (version + 1, _stored(list(messages)), self.clock())
        return version + 1

    async def list_sessions(self, *, limit: int = 100) -> list[SessionInfo]:
        infos = [
            SessionInfo(id=key, version=version, messages=len(messages), updated=updated)
            for key, (version, messages, updated) in self._sessions.items()
        ]
        infos.sort(key=lambda info: info.updated, reverse=True)
        return infos[:limit]

    async def delete_session(self, session_id: str) -> bool:
        return self._sessions.pop(session_id, None) is not None

    def __repr__(self) -> str:
        return f"MemoryStore(runs={len(self._runs)}, sessions={len(self._sessions)})"


def _stored(value: JSON) -> JSON:
    """``value`` as a store gives it back: through its JSON form (a tuple comes back a list)."""
    return loads_body(body_bytes(value))


def _who(holder: Claim | None) -> str:
    return "unknown" if holder is None else f"pid {holder.pid} on {holder.host}"

"""The store protocol: runs, their checkpoints, and sessions; and the lease that guards a run.

Every store (:class:`~llmkit.durable.MemoryStore`, ``SQLiteStore``,
``PostgresStore``) subclasses :class:`Store` and implements its abstract
methods with these guarantees:

- **Runs.** :meth:`Store.start_run` creates a run held by the caller (a
  :class:`Claim`); :meth:`Store.claim_run` takes over a stored run for a
  resume. A run is held by at most one live process: a claim succeeds only
  when the run is not running, or its holder is gone (a dead process on this
  host, or no heartbeat for ``stale_after`` seconds). Two claims that race:
  exactly one wins, the other raises :class:`RunBusyError`.
- **Checkpoints** are JSON values under string keys, per run.
  :meth:`Store.checkpoint` writes a batch of keys (and the run's step count and
  usage) in one transaction, only while the caller's claim is still the run's
  holder (fencing: a process that lost its run cannot overwrite the new
  holder's checkpoints). A failed write raises :class:`CheckpointError` and
  leaves the last good checkpoint intact.
- **Sessions** are conversations (lists of messages in their JSON form) kept
  by id. :meth:`Store.append_session` adds one run's turns as a unit, so two
  processes appending to one session both keep their turns;
  :meth:`Store.replace_session` rewrites a session only if it is still at the
  version the caller read (:class:`SessionConflictError` otherwise).
- Values are plain JSON (dicts, lists, str, int, float, bool, None); llmkit
  objects are stored in their versioned envelope (``llmkit.types.dump``). A
  value with no JSON form raises :class:`NotStorableError` naming it.
- A store's schema carries a version; a store written by a newer llmkit is
  refused with :class:`StoreFormatError` and left untouched.
"""

from __future__ import annotations

import math
import os
import socket
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from llmkit.durable._errors import NotStorableError
from llmkit.errors import UsageError

if TYPE_CHECKING:
    from llmkit.durable._session import Session

__all__ = [
    "Claim",
    "Clock",
    "RunInfo",
    "RunKind",
    "RunStatus",
    "SessionInfo",
    "SessionState",
    "Store",
    "busy_deleting",
    "check_storable",
    "checkpoint_checked",
    "holder_is_gone",
    "is_plain_json",
]

RunKind: TypeAlias = Literal["agent", "workflow"]
"""What a stored run is a run of."""

RunStatus: TypeAlias = Literal["running", "paused", "finished", "failed"]
"""Where a stored run is: held by a process, waiting for a decision, done, or stopped by an error."""

Clock: TypeAlias = Callable[[], float]
"""A source of the current time in seconds since the epoch (``time.time`` by default)."""

JSON: TypeAlias = Any
"""A plain JSON value."""

_HOST = socket.gethostname()


@dataclass(frozen=True, slots=True)
class Claim:
    """The proof that this process holds a run: pass it to every write for that run."""

    run_id: str
    token: str
    """Random, unique per claim; a write with a claim whose token is no longer the run's fails."""
    host: str = _HOST
    pid: int = field(default_factory=os.getpid)

    @classmethod
    def new(cls, run_id: str) -> Claim:
        """A fresh claim on ``run_id`` for this process."""
        return cls(run_id=run_id, token=os.urandom(8).hex())  # secrets.token_hex(8), directly


@dataclass(frozen=True, slots=True)
class RunInfo:
    """One stored run, as ``llmkit runs list`` shows it."""

    id: str
    kind: RunKind
    name: str
    """The agent's or the workflow's name."""
    status: RunStatus
    started: float
    """When the run started (seconds since the epoch)."""
    updated: float
    """The last checkpoint or status change (also the holder's heartbeat)."""
    steps: int = 0
    """Model calls (agents) or finished steps (workflows) so far."""
    usage: Mapping[str, JSON] = field(default_factory=dict)
    """The run's usage so far (``Usage.to_dict()``)."""
    fingerprint: str | None = None
    """A workflow's definition fingerprint (None for agents)."""
    holder: Claim | None = None
    """The claim of the process running it (None unless ``status == "running"``)."""
    error: str | None = None
    """Why it failed (``status == "failed"``)."""
    result: JSON = None
    """The final result's JSON form (``status == "finished"``)."""
    meta: Mapping[str, JSON] = field(default_factory=dict)
    """What the runner stored beside the run (model name, input summary …)."""


@dataclass(frozen=True, slots=True)
class SessionState:
    """A session's conversation as read: its messages' JSON forms and the version they are at."""

    id: str
    version: int
    """0 for a session never written; each append or replace adds one."""
    messages: list[JSON]


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """One stored session, as listed."""

    id: str
    version: int
    messages: int
    """How many messages it holds."""
    updated: float


def holder_is_gone(holder: Claim | None, updated: float, *, now: float, stale_after: float) -> bool:
    """Whether a running run's holder is gone, so the run may be claimed.

    Gone means: no holder; a holder on this host whose process no longer
    exists; or no heartbeat (checkpoint) for ``stale_after`` seconds.
    """
    if holder is None:
        return True
    if holder.host == _HOST and not _alive(holder.pid):
        return True
    return now - updated >= stale_after


def busy_deleting(run_id: str, holder: Claim | None) -> str:
    """The message of the RunBusyError ``delete_run`` raises for a run a live process holds."""
    who = "no holder" if holder is None else f"pid {holder.pid} on {holder.host}"
    return (
        f"Run {run_id!r} is held by a live process ({who}); stop it first, or delete it anyway "
        "with delete_run(run_id, force=True) (`llmkit runs delete --force`)."
    )


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def check_storable(value: JSON, where: str) -> None:
    """Raise :class:`NotStorableError` naming the first part of ``value`` with no JSON form.

    ``where`` names ``value`` in the message (``"state.draft"``); nested parts
    are named below it (``"state.draft.meta['when']"``).
    """
    if not is_plain_json(value):
        _name_the_fault(value, where)


def is_plain_json(value: JSON) -> bool:
    """Whether ``value`` is plain JSON: what :func:`check_storable` lets through, without naming."""
    kind = type(value)
    if value is None or kind is str or kind is bool or kind is int:
        return True
    if kind is float:
        return math.isfinite(value)
    # Leaves are checked inline (a finite float too): only containers recurse.
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                return False
            kind = type(item)
            if kind is str or kind is int or kind is bool or item is None:
                continue
            if kind is float:
                if not math.isfinite(item):
                    return False
            elif not is_plain_json(item):
                return False
        return True
    if kind is list or kind is tuple:
        for item in value:
            kind = type(item)
            if kind is str or kind is int or kind is bool or item is None:
                continue
            if kind is float:
                if not math.isfinite(item):
                    return False
            elif not is_plain_json(item):
                return False
        return True
    return False


def _name_the_fault(value: JSON, where: str) -> None:
    """Raise :class:`NotStorableError` naming the first part of ``value`` with no JSON form."""
    kind = type(value)
    if value is None or kind is str or kind is bool or kind is int:
        return
    if kind is float:
        if not math.isfinite(value):
            raise NotStorableError(
                f"{where} is {value!r}, which JSON cannot hold; store a finite number or None."
            )
        return
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                raise NotStorableError(
                    f"{where} has the key {key!r} ({type(key).__name__}); JSON objects take "
                    "string keys only."
                )
            _name_the_fault(item, f"{where}[{key!r}]")
        return
    if kind is list or kind is tuple:
        for index, item in enumerate(value):
            _name_the_fault(item, f"{where}[{index}]")
        return
    raise NotStorableError(
        f"{where} is {_a(kind.__name__)}, which has no JSON form; store plain data (dict, list, "
        "str, int, float, bool, None), a pydantic model's model_dump(), or an llmkit object's "
        "dump()."
    )


async def checkpoint_checked(
    store: Store,
    claim: Claim,
    put: Mapping[str, JSON],
    *,
    delete: Iterable[str] = (),
    steps: int | None = None,
    usage: Mapping[str, JSON] | None = None,
) -> None:
    """``store.checkpoint(...)`` of values the caller already found plain JSON
    (:func:`is_plain_json`): a SQL store writes them without checking them again (a store
    class that overrides ``checkpoint`` still gets the call)."""
    await store._checkpoint_checked(claim, put, delete=delete, steps=steps, usage=usage)


def _a(name: str) -> str:
    """``name`` with its indefinite article (``an object``, ``a set``)."""
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


class Store(ABC):
    """Where durable runs keep their checkpoints, and conversations their turns.

    Use it as an async context manager (or call :meth:`close`). The methods
    below are the protocol every store implements (see the module docstring
    for what each guarantees); agents and workflows call them, users mostly
    call :meth:`session`, :meth:`list_runs`, :meth:`get_run` and
    :meth:`delete_run`.

    Args:
        stale_after: Seconds without a heartbeat after which a running run's
            holder on another host counts as gone (a dead process on this host
            counts as gone at once).
        clock: The time source (for tests).
    """

    def __init__(self, *, stale_after: float = 60.0, clock: Clock = time.time) -> None:
        if isinstance(stale_after, bool) or not isinstance(stale_after, int | float):
            raise UsageError(f"stale_after must be seconds (a number), not {stale_after!r}.")
        if not stale_after > 0:
            raise UsageError(f"stale_after must be above 0 seconds, not {stale_after!r}.")
        self.stale_after = float(stale_after)
        self.clock = clock

    # ------------------------------------------------------------------ runs

    @abstractmethod
    async def start_run(
        self,
        run_id: str,
        *,
        kind: RunKind,
        name: str,
        fingerprint: str | None = None,
        meta: Mapping[str, JSON] | None = None,
    ) -> Claim:
        """Create the run ``run_id`` as running and held by this process.

        Raises :class:`RunExistsError` when a run with that id is stored.
        """

    @abstractmethod
    async def claim_run(self, run_id: str, *, kind: RunKind | None = None) -> tuple[Claim, RunInfo]:
        """Take over a stored run to resume it; returns the claim and the run as it was.

        Raises :class:`RunNotFoundError` (no such run, or not of ``kind``),
        :class:`RunFinishedError` (it finished) or :class:`RunBusyError` (a
        live process holds it, or a concurrent claim won).
        """

    @abstractmethod
    async def checkpoint(
        self,
        claim: Claim,
        put: Mapping[str, JSON] | None = None,
        *,
        delete: Iterable[str] = (),
        steps: int | None = None,
        usage: Mapping[str, JSON] | None = None,
    ) -> None:
        """Write checkpoint keys (and remove ``delete``) in one transaction, and beat the heartbeat.

        Raises :class:`RunBusyError` when ``claim`` no longer holds the run,
        :class:`NotStorableError` for a value with no JSON form (nothing
        written), :class:`CheckpointError` when the write fails (nothing
        written; the previous checkpoint stays).
        """

    async def _checkpoint_checked(
        self,
        claim: Claim,
        put: Mapping[str, JSON],
        *,
        delete: Iterable[str],
        steps: int | None,
        usage: Mapping[str, JSON] | None,
    ) -> None:
        """:meth:`checkpoint` of values the caller already found plain JSON (``is_plain_json``):
        a store may skip its own check of them. This one calls :meth:`checkpoint`."""
        await self.checkpoint(claim, put, delete=delete, steps=steps, usage=usage)

    @abstractmethod
    async def load_checkpoints(self, run_id: str) -> dict[str, JSON]:
        """Every checkpoint key of ``run_id`` and its value (empty for a run with none)."""

    @abstractmethod
    async def finish_run(
        self,
        claim: Claim,
        *,
        status: Literal["paused", "finished", "failed"],
        result: JSON = None,
        error: str | None = None,
    ) -> None:
        """Record how the run ended (or that it paused) and release it.

        Raises :class:`RunBusyError` when ``claim`` no longer holds the run.
        """

    @abstractmethod
    async def get_run(self, run_id: str) -> RunInfo | None:
        """The stored run ``run_id``, or None."""

    @abstractmethod
    async def list_runs(
        self,
        *,
        kind: RunKind | None = None,
        status: RunStatus | None = None,
        limit: int = 100,
    ) -> list[RunInfo]:
        """Stored runs, newest first."""

    @abstractmethod
    async def delete_run(self, run_id: str, *, force: bool = False) -> bool:
        """Remove a run and its checkpoints; False when there was none.

        Raises :class:`RunBusyError` when the run is running and its holder is
        not gone (see :func:`holder_is_gone`), unless ``force`` (the process
        holding it then fails at its next checkpoint with ``RunNotFoundError``).
        """

    # -------------------------------------------------------------- sessions

    def session(self, session_id: str) -> Session:
        """The conversation ``session_id`` in this store (created by its first append)."""
        from llmkit.durable._session import Session

        return Session(self, session_id)

    @abstractmethod
    async def load_session(self, session_id: str) -> SessionState:
        """The session's messages and version (version 0 and no messages when never written)."""

    @abstractmethod
    async def append_session(self, session_id: str, messages: Sequence[JSON]) -> int:
        """Add ``messages`` after the session's current ones, as one unit; returns the new version."""

    @abstractmethod
    async def replace_session(
        self, session_id: str, messages: Sequence[JSON], *, expected_version: int
    ) -> int:
        """Replace the session's messages if it is at ``expected_version``; returns the new version.

        Raises :class:`SessionConflictError` when it moved on since.
        """

    @abstractmethod
    async def list_sessions(self, *, limit: int = 100) -> list[SessionInfo]:
        """Stored sessions, most recently updated first."""

    @abstractmethod
    async def delete_session(self, session_id: str) -> bool:
        """Remove a session; False when there was none."""

    async def fork_session(self, session_id: str, new_id: str) -> Session:
        """Copy a session's messages to a new session ``new_id`` (which must not exist yet)."""
        return await self.session(session_id).fork(new_id)

    # ------------------------------------------------------------ lifecycle

    async def close(self) -> None:  # noqa: B027  # a store with nothing to release keeps this
        """Release connections and files (the store cannot be used afterwards)."""

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

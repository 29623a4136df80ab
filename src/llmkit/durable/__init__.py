"""Durable runs and sessions: checkpoints that survive a crash, and conversations that outlive a process.

::

    from llmkit.durable import SQLiteStore

    store = SQLiteStore("runs.db")                          # one file, no server
    result = await agent.run("...", store=store)            # checkpointed after every step
    result = await agent.resume(run_id, store=store)        # after a crash: nothing paid for is repeated
    session = store.session("user-42")                      # a conversation kept by id
    await agent.run("My name is Ada.", session=session)

Every store implements :class:`Store` (its guarantees are in
``llmkit.durable._store``): :class:`SQLiteStore` in one file,
``PostgresStore`` on a PostgreSQL server (the ``postgres`` extra), :class:`MemoryStore` in memory for tests.
The errors are :class:`StoreError` subclasses (tree in ``_errors``).
"""

from __future__ import annotations

from llmkit.durable._errors import (
    CheckpointError,
    NotStorableError,
    RunBusyError,
    RunExistsError,
    RunFinishedError,
    RunNotFoundError,
    SessionConflictError,
    StoreError,
    StoreFormatError,
    WorkflowChangedError,
)
from llmkit.durable._memory import MemoryStore
from llmkit.durable._postgres import PostgresStore
from llmkit.durable._session import Session
from llmkit.durable._sqlite import SQLiteStore
from llmkit.durable._store import (
    Claim,
    RunInfo,
    RunKind,
    RunStatus,
    SessionInfo,
    SessionState,
    Store,
)

__all__ = [
    "CheckpointError",
    "Claim",
    "MemoryStore",
    "NotStorableError",
    "PostgresStore",
    "RunBusyError",
    "RunExistsError",
    "RunFinishedError",
    "RunInfo",
    "RunKind",
    "RunNotFoundError",
    "RunStatus",
    "SQLiteStore",
    "Session",
    "SessionConflictError",
    "SessionInfo",
    "SessionState",
    "Store",
    "StoreError",
    "StoreFormatError",
    "WorkflowChangedError",
]

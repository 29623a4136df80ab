"""The ``checkpoint`` case: one durable checkpoint of an agent's snapshot, and its floor.

The snapshot is what an agent run checkpoints after a step: its messages so
far (a question, tool calls and their results, answers) in their JSON form,
about 5 KB. Each run writes it under one key with the step count and usage.

- ``floor``: raw ``sqlite3`` on the same thread, the file in WAL mode with
  ``synchronous=NORMAL`` as the store's: ``INSERT OR REPLACE`` of the same
  JSON bytes in one transaction.
- ``llmkit``: ``SQLiteStore.checkpoint`` (checks the value, encodes it, and
  writes it on the store's thread in one fenced transaction).
- ``llmkit-postgres``: ``PostgresStore.checkpoint`` on the server that
  ``LLMKIT_BENCH_PG_DSN`` names (unavailable when it is not set).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from bench._llmkit_side import Unavailable

__all__ = [
    "FloorCheckpoint",
    "LLMKitCheckpointPostgres",
    "LLMKitCheckpointSQLite",
    "snapshot",
]

PG_ENV = "LLMKIT_BENCH_PG_DSN"


def snapshot() -> dict[str, Any]:
    """A realistic agent snapshot of about 5 KB: six turns with tool calls, in their JSON form."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "parts": [{"type": "text", "text": "You are a careful research aide."}]}
    ]
    for turn in range(6):
        messages.append(
            {
                "role": "user",
                "parts": [{"type": "text", "text": f"Question {turn}: what sets the tides? " * 3}],
            }
        )
        messages.append(
            {
                "role": "assistant",
                "parts": [
                    {
                        "type": "tool_call",
                        "id": f"call_{turn:04d}",
                        "name": "search",
                        "arguments": {"query": f"tides moon sun {turn}", "limit": 5},
                    }
                ],
            }
        )
        messages.append(
            {
                "role": "tool",
                "parts": [
                    {
                        "type": "tool_result",
                        "id": f"call_{turn:04d}",
                        "content": "The Moon's gravity pulls the oceans; the Sun adds a "
                        "smaller pull. " * 4,
                    }
                ],
            }
        )
        messages.append(
            {
                "role": "assistant",
                "parts": [{"type": "text", "text": "Mostly the Moon, helped by the Sun. " * 3}],
            }
        )
    usage = {"input_tokens": 4210, "output_tokens": 388, "requests": 8}
    return {"messages": messages, "usage": usage, "step": 8, "pending": []}


class FloorCheckpoint:
    """The checkpoint by hand: the snapshot's JSON bytes upserted in one sqlite3 transaction."""

    LOOP_BOUND = False

    def __init__(self, base_url: str) -> None:
        self.folder = tempfile.mkdtemp(prefix="bench-ckpt-")
        self.conn = sqlite3.connect(Path(self.folder) / "floor.db", isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute(
            "CREATE TABLE checkpoints (run_id TEXT, key TEXT, value TEXT, PRIMARY KEY (run_id, key))"
        )
        self.value = json.dumps(snapshot(), separators=(",", ":"))

    async def run(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute(
            "INSERT OR REPLACE INTO checkpoints (run_id, key, value) VALUES (?, ?, ?)",
            ("run-1", "agent", self.value),
        )
        self.conn.execute("COMMIT")

    async def aclose(self) -> None:
        self.conn.close()
        shutil.rmtree(self.folder, ignore_errors=True)


class _StoreCheckpoint:
    """A durable store's checkpoint of the snapshot, with the step count and usage."""

    LOOP_BOUND = False  # a store serves any event loop

    def __init__(self, store: Any) -> None:
        self.store = store
        self.claim: Any = None
        self.value = snapshot()
        self.steps = 0

    async def run(self) -> None:
        if self.claim is None:
            self.claim = await self.store.start_run("run-1", kind="agent", name="bench")
        self.steps += 1
        await self.store.checkpoint(
            self.claim, {"agent": self.value}, steps=self.steps, usage=self.value["usage"]
        )

    async def aclose(self) -> None:
        await self.store.close()


class LLMKitCheckpointSQLite(_StoreCheckpoint):
    """``SQLiteStore.checkpoint`` in a fresh file."""

    def __init__(self, base_url: str) -> None:
        from llmkit.durable import SQLiteStore

        self.folder = tempfile.mkdtemp(prefix="bench-ckpt-")
        super().__init__(SQLiteStore(Path(self.folder) / "runs.db"))

    async def aclose(self) -> None:
        await super().aclose()
        shutil.rmtree(self.folder, ignore_errors=True)


class LLMKitCheckpointPostgres(_StoreCheckpoint):
    """``PostgresStore.checkpoint`` on the server ``LLMKIT_BENCH_PG_DSN`` names (its tables emptied)."""

    def __init__(self, base_url: str) -> None:
        dsn = os.environ.get(PG_ENV)
        if not dsn:
            raise Unavailable(f"set {PG_ENV} to a PostgreSQL DSN to measure PostgresStore")
        from llmkit.durable import PostgresStore

        super().__init__(PostgresStore(dsn))

    async def run(self) -> None:
        if self.claim is None:
            await self.store.delete_run("run-1")
        await super().run()

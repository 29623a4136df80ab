"""Stores for the durable tests: every implementation behind one fixture, and a clock to move by hand.

``store`` is parametrised over every store: in memory, SQLite in a temporary
file, and PostgreSQL on a server these tests start themselves (``pg``
marker), skipped with the reason when PostgreSQL is not installed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from llmkit.durable import MemoryStore, SQLiteStore, Store


class Clock:
    """A clock that stands still until a test moves it."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    """A hand-moved clock the ``store`` fixture's store reads."""
    return Clock()


StoreMaker = Callable[..., Store]


@pytest.fixture(params=["memory", "sqlite"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> StoreMaker:
    """Makes stores of the parametrised kind; the SQL ones made by one test share their database."""
    kind = request.param
    if kind == "memory":
        return lambda **options: MemoryStore(**options)
    path = tmp_path / "store.db"
    return lambda **options: SQLiteStore(path, **options)


@pytest.fixture
async def store(make_store: StoreMaker, clock: Clock) -> AsyncIterator[Any]:
    """A fresh, empty store of each kind reading ``clock``, closed after the test."""
    made = make_store(clock=clock, stale_after=60)
    try:
        yield made
    finally:
        await made.close()

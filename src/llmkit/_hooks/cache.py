"""``CacheHook``: answer a request seen before from a cache instead of calling the model.

The key is the model name plus the request's JSON form (sorted keys), hashed
with SHA-256. Requests that sample (``temperature`` above 0) are cached only
with ``cache_sampled=True``: their answer is meant to vary. A request with
no temperature is cached (most providers then default to sampling, so set
``temperature=0`` where an answer must stay the same).

A hit is answered with the stored response and a usage of zero (no tokens
were spent); a streaming call gets it as a burst of events. Errors and
answers cut short by an error are not stored.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections import OrderedDict
from pathlib import Path

from llmkit._hooks.base import Hook, HookContext
from llmkit.errors import UsageError
from llmkit.types import Request, Response, Usage

__all__ = ["CacheHook", "cache_key"]


def cache_key(model: str, request: Request) -> str:
    """The cache key of ``request`` sent to ``model``: a SHA-256 hex digest."""
    text = json.dumps(
        [model, request.to_dict()], sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(text.encode()).hexdigest()


class _Memory:
    def __init__(self, max_entries: int | None) -> None:
        self.max_entries = max_entries
        self.data: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> tuple[float, str] | None:
        with self.lock:
            item = self.data.get(key)
            if item is not None:
                self.data.move_to_end(key)
            return item

    def put(self, key: str, model: str, value: str) -> None:
        with self.lock:
            self.data[key] = (time.time(), value)
            self.data.move_to_end(key)
            if self.max_entries is not None:
                while len(self.data) > self.max_entries:
                    self.data.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.data.clear()

    def __len__(self) -> int:
        return len(self.data)


class _SQLite:
    def __init__(self, path: str) -> None:
        self.path = path
        self.lock = threading.Lock()
        # One connection used from any thread, serialised by the lock.
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS llmkit_cache ("
            "key TEXT PRIMARY KEY, model TEXT NOT NULL, created REAL NOT NULL, response TEXT NOT NULL)"
        )

    def get(self, key: str) -> tuple[float, str] | None:
        with self.lock:
            row = self.db.execute(
                "SELECT created, response FROM llmkit_cache WHERE key = ?", (key,)
            ).fetchone()
        return (row[0], row[1]) if row is not None else None

    def put(self, key: str, model: str, value: str) -> None:
        with self.lock:
            self.db.execute(
                "INSERT OR REPLACE INTO llmkit_cache (key, model, created, response) "
                "VALUES (?, ?, ?, ?)",
                (key, model, time.time(), value),
            )

    def clear(self) -> None:
        with self.lock:
            self.db.execute("DELETE FROM llmkit_cache")

    def __len__(self) -> int:
        with self.lock:
            row = self.db.execute("SELECT COUNT(*) FROM llmkit_cache").fetchone()
        return int(row[0])

    def close(self) -> None:
        with self.lock:
            self.db.close()


class CacheHook(Hook):
    """Serve repeated requests from a cache: in memory, or in a SQLite file.

    Args:
        path: ``None`` or ``":memory:"`` for a cache in this process; a file
            path (``"cache.db"``) for one that lasts, shared by processes.
        ttl: Seconds an entry stays valid (default: forever).
        cache_sampled: Also cache requests with ``temperature`` above 0.
        max_entries: For the in-memory cache, the most entries kept (oldest dropped).
    """

    priority = 0

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        ttl: float | None = None,
        cache_sampled: bool = False,
        max_entries: int | None = 10_000,
    ) -> None:
        if ttl is not None and ttl <= 0:
            raise UsageError("CacheHook(ttl=...) must be a positive number of seconds.")
        self.ttl = ttl
        self.cache_sampled = cache_sampled
        self.hits = 0
        """Requests answered from the cache."""
        self.misses = 0
        """Cacheable requests sent to the model."""
        self._store: _Memory | _SQLite
        if path is None or str(path) == ":memory:":
            self._store = _Memory(max_entries)
        else:
            self._store = _SQLite(str(path))

    def _cacheable(self, request: Request) -> bool:
        temperature = request.temperature
        return self.cache_sampled or temperature is None or temperature <= 0

    def before_model(self, ctx: HookContext, request: Request) -> Response | None:
        """Answer from the cache when the same request was answered before."""
        if not self._cacheable(request):
            return None
        model = ctx.model.name if ctx.model is not None else ""
        key = cache_key(model, request)
        ctx.state[self] = key
        item = self._store.get(key)
        if item is None or (self.ttl is not None and time.time() - item[0] > self.ttl):
            self.misses += 1
            return None
        self.hits += 1
        response = Response.from_dict(json.loads(item[1]))
        response.usage = Usage()
        return response

    def after_model(self, ctx: HookContext, request: Request, response: Response) -> None:
        """Store a complete answer to a cacheable request."""
        key = ctx.state.get(self)
        if key is None or response.finish_reason == "error":
            return
        model = ctx.model.name if ctx.model is not None else ""
        self._store.put(key, model, json.dumps(response.to_dict(), ensure_ascii=False))

    def clear(self) -> None:
        """Remove every entry."""
        self._store.clear()

    def __len__(self) -> int:
        return len(self._store)

    def close(self) -> None:
        """Close the SQLite file (a no-op for the in-memory cache)."""
        if isinstance(self._store, _SQLite):
            self._store.close()

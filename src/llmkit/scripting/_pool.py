"""Many scripts at once: a fixed number of engines, each running one script at a time.

Guarantees: at most ``size`` scripts run at once (the others wait their turn);
an engine whose script broke a limit (memory, instructions, time, recursion,
output) or the sandbox is closed and replaced before it runs again, so the
next script starts on a fresh interpreter; ``close`` closes every engine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from llmkit.errors import UsageError
from llmkit.scripting._engine import Engine, ScriptResult
from llmkit.scripting._errors import ScriptLimitError, ScriptSandboxError
from llmkit.scripting._registry import engine_class

__all__ = ["EnginePool"]


class EnginePool:
    """``size`` engines of one kind (``"lua"``) made with ``options`` on first use."""

    def __init__(self, engine: str = "lua", *, size: int = 4, **options: Any) -> None:
        if not isinstance(size, int) or size < 1:
            raise UsageError(f"EnginePool(size=...) takes a positive int, not {size!r}.")
        self._cls = engine_class(engine)
        self._options = options
        self.size = size
        self._idle: asyncio.LifoQueue[Engine] | None = None
        self._made = 0
        self._engines: set[Engine] = set()
        self.closed = False

    async def _acquire(self) -> Engine:
        if self.closed:
            raise UsageError("This EnginePool is closed.")
        if self._idle is None:
            self._idle = asyncio.LifoQueue()
        if self._idle.empty() and self._made < self.size:
            self._made += 1
            return self._new()
        return await self._idle.get()

    def _new(self) -> Engine:
        engine = self._cls(**self._options)
        self._engines.add(engine)
        return engine

    def _release(self, engine: Engine, *, fresh: bool) -> None:
        assert self._idle is not None
        if fresh:
            self._engines.discard(engine)
            engine.close()
            engine = self._new()
        self._idle.put_nowait(engine)

    async def run(
        self, code: str, *, name: str = "<script>", params: Mapping[str, Any] | None = None
    ) -> ScriptResult:
        """Run ``code`` on a free engine (waiting for one if all are busy)."""
        return await self._on_engine(lambda engine: engine.run(code, name=name, params=params))

    async def run_file(
        self, path: str | Path, *, params: Mapping[str, Any] | None = None
    ) -> ScriptResult:
        """Run the script file at ``path`` on a free engine."""
        return await self._on_engine(lambda engine: engine.run_file(path, params=params))

    async def _on_engine(self, work: Callable[[Engine], Awaitable[ScriptResult]]) -> ScriptResult:
        """``work`` on a free engine, which is replaced if the script broke a limit or the sandbox."""
        engine = await self._acquire()
        broke = False
        try:
            return await work(engine)
        except (ScriptLimitError, ScriptSandboxError):
            broke = True
            raise
        finally:
            self._release(engine, fresh=broke)

    def close(self) -> None:
        """Close every engine; the pool cannot run again."""
        self.closed = True
        for engine in self._engines:
            engine.close()
        self._engines.clear()

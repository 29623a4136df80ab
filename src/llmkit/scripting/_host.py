"""What bridges see of one script run: its parameters, output, log, state, bus, tasks and models.

A :class:`Host` is made by the engine for each run and handed to every bridge
function as its first argument. Guarantees: ``print`` and ``output`` together
never hold more than ``Limits.max_output`` bytes (past it they raise
:class:`~llmkit.scripting.ScriptLimitError`); every task a run spawned is
cancelled when the run ends, so nothing the script started outlives it; the
state is JSON data only (a copy goes in, a copy comes out).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmkit.errors import UsageError
from llmkit.scripting._bridge import Promise
from llmkit.scripting._errors import ScriptLimitError

if TYPE_CHECKING:
    from llmkit.bus import Bus
    from llmkit.providers import Model

__all__ = ["Host", "LogRecord", "ScriptState"]


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One ``log.<level>(...)`` call of a script."""

    level: str
    message: str


class ScriptState:
    """A JSON-only key-value table that belongs to one engine and is cleared when it closes."""

    def __init__(self) -> None:
        self._data: dict[str, str] = {}

    def get(self, key: str, default: Any = None) -> Any:
        """The value under ``key`` (a fresh copy), or ``default``."""
        text = self._data.get(key)
        return default if text is None else json.loads(text)

    def set(self, key: str, value: Any) -> None:
        """Store a copy of ``value``, which must be JSON data (None deletes the key)."""
        if not isinstance(key, str):
            raise UsageError(f"State keys are strings, not {type(key).__name__}.")
        if value is None:
            self._data.pop(key, None)
            return
        try:
            self._data[key] = json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise UsageError(
                f"state.set({key!r}, ...) takes JSON data (strings, numbers, booleans, tables): {exc}."
            ) from exc

    def keys(self) -> list[str]:
        """The keys, sorted."""
        return sorted(self._data)

    def clear(self) -> None:
        """Remove every key."""
        self._data.clear()

    def to_dict(self) -> dict[str, Any]:
        """Every key with a copy of its value."""
        return {key: json.loads(text) for key, text in self._data.items()}


@dataclass(eq=False)
class Host:
    """The services of one script run that bridge functions use."""

    script: str
    """The script's name as errors show it (its file path, or ``<script>``)."""
    path: Path | None
    params: dict[str, Any]
    state: ScriptState
    bus: Bus
    max_output: int | None = None
    model_override: Model | None = None
    stdout: Callable[[str], Any] | None = None
    sandbox: str = "strict"
    """The engine's sandbox level: bridges that read files follow it (``workflow.load``)."""
    outputs: list[Any] = field(default_factory=list)
    printed: list[str] = field(default_factory=list)
    logs: list[LogRecord] = field(default_factory=list)
    _written: int = 0
    _tasks: set[asyncio.Future[Any]] = field(default_factory=set)
    _cleanups: list[Callable[[], Any]] = field(default_factory=list)

    @property
    def directory(self) -> Path | None:
        """The folder of the script's file (``require`` looks there), or None for inline code."""
        return None if self.path is None else self.path.parent

    def _count(self, size: int) -> None:
        self._written += size
        if self.max_output is not None and self._written > self.max_output:
            raise ScriptLimitError(
                f"output limit: the script wrote more than {self.max_output} bytes "
                "(raise max_output / --max-output)",
                kind="output",
                script=self.script,
            )

    def write(self, text: str) -> None:
        """Text the script printed (counted against ``max_output``; echoed to ``stdout`` if set)."""
        self._count(len(text.encode()))
        self.printed.append(text)
        if self.stdout is not None:
            self.stdout(text)

    def output(self, value: Any) -> None:
        """A value the script gives as its result (``output(...)``), counted against ``max_output``."""
        size = (
            len(value.encode()) if isinstance(value, str) else len(json.dumps(value, default=str))
        )
        self._count(size)
        self.outputs.append(value)

    def log(self, level: str, message: str) -> None:
        """Record a log line and send it to the logger ``llmkit.scripting``."""
        self._count(len(message.encode()))
        self.logs.append(LogRecord(level, message))
        logging.getLogger("llmkit.scripting").log(
            logging.getLevelName(level.upper()), "%s: %s", self.script, message
        )

    def spawn(self, work: Coroutine[Any, Any, Any]) -> Promise:
        """Start ``work`` now, concurrently with the script; the run cancels it if it is still going at the end."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        # A promise the script never awaits must not log "exception never retrieved".
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        return Promise(task)

    def on_close(self, cleanup: Callable[[], Any]) -> None:
        """Call ``cleanup()`` when the run ends (an event subscription's ``cancel``); awaited if async."""
        self._cleanups.append(cleanup)

    async def close(self) -> None:
        """Let event handlers finish, cancel what the run left running, undo its subscriptions."""
        await self.bus.drain()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        for cleanup in reversed(self._cleanups):
            done = cleanup()
            if inspect.isawaitable(done):
                await done
        self._cleanups.clear()

    def model(self, spec: Any, options: Mapping[str, Any] | None = None) -> Model:
        """The model a script names (``"provider/model"`` and options), or the engine's override."""
        if self.model_override is not None:
            return self.model_override
        from llmkit.providers import Model, model

        if isinstance(spec, Model):
            return spec
        if not isinstance(spec, str) or "/" not in spec:
            raise UsageError(
                f"A model is a 'provider/model' string such as 'openai/gpt-4.1-mini', not {spec!r}."
            )
        return model(spec, **dict(options or {}))

"""A run's live events: numbered from 1, kept in a bounded buffer, followed by any number of readers.

Guarantees:

- ids grow by one with each event (1, 2, 3 …) and are never reused, so a reader
  that saw id ``n`` resumes with :meth:`EventLog.follow` ``(after=n)``;
- the buffer keeps the last ``limit`` events; a reader that resumes after an
  event no longer kept gets the oldest kept one next (the jump in ids shows
  what it missed), never an error;
- :meth:`EventLog.follow` ends once the log is closed and the reader has every
  kept event; a reader that leaves early changes nothing for the run;
- events are stored as their JSON form (plain dicts), so every reader gets the
  same data and nothing holds on to the run's objects;
- :func:`event_json` passes every string of an event (a tool's result, an
  error's message, a model's text) through the redaction nets of
  :mod:`llmkit._redact`, so no client of any route (SSE, JSON-RPC, MCP, the
  web UI) reads a key a tool or an exception let slip.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from itertools import islice
from typing import Any

from llmkit._redact import environment_secrets, redact
from llmkit.errors import UsageError
from llmkit.events import Event, event_to_dict

__all__ = ["EventLog", "event_json"]


def event_json(event: Event, secrets: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The JSON form of ``event`` for a client: the event vocabulary, tracebacks left out, secrets redacted.

    A tool's traceback is for the server's own logs; a client sees the error's
    type and message only. Every string passes through :func:`llmkit._redact.redact`, with
    ``secrets`` as the environment's (read once by the caller for many events: see
    :func:`llmkit._redact.environment_secrets`) or, when ``None``, the environment read now.
    """
    if secrets is None:
        secrets = environment_secrets()
    data = event_to_dict(event)
    error = data.get("error")
    if event.topic == "tool.result" and isinstance(error, dict):
        data["error"] = {key: value for key, value in error.items() if key != "traceback"}
    strings: list[str] = []
    _strings(data, strings)
    joined = "\x00".join(strings)
    if (
        redact(joined, secrets, environment=False) == joined
    ):  # the usual case: one pass over the event, nothing to change
        return data
    redacted: dict[str, Any] = _redacted(data, secrets)
    return redacted


def _strings(value: Any, into: list[str]) -> None:
    """Every string in ``value`` (JSON data), keys included, appended to ``into``."""
    if isinstance(value, str):
        into.append(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _strings(key, into)
            _strings(item, into)
    elif isinstance(value, list | tuple):
        for item in value:
            _strings(item, into)


def _redacted(value: Any, secrets: tuple[str, ...]) -> Any:
    """``value`` (JSON data) with every string, keys included, passed through the redaction nets."""
    if isinstance(value, str):
        return redact(value, secrets, environment=False)
    if isinstance(value, dict):
        return {_redacted(key, secrets): _redacted(item, secrets) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(item, secrets) for item in value]
    return value


class EventLog:
    """The numbered events of one run, the last ``limit`` of them kept."""

    __slots__ = ("_changed", "_closed", "_events", "_last")

    def __init__(self, *, limit: int = 10_000) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise UsageError(f"An event buffer holds 1 event or more, not {limit!r}.")
        self._events: deque[tuple[int, dict[str, Any]]] = deque(maxlen=limit)
        self._last = 0
        self._closed = False
        self._changed: asyncio.Event | None = None

    @property
    def last_id(self) -> int:
        """The id of the newest event (0 before the first)."""
        return self._last

    @property
    def closed(self) -> bool:
        """Whether the run is over (no event will follow)."""
        return self._closed

    def append(self, data: dict[str, Any]) -> int:
        """Add one event (its JSON form); returns its id."""
        if self._closed:
            raise UsageError("The run is over: its event log takes no more events.")
        self._last += 1
        self._events.append((self._last, data))
        self._wake()
        return self._last

    def close(self) -> None:
        """Mark the end of the run; readers finish once they have every kept event."""
        if not self._closed:
            self._closed = True
            self._wake()

    def kept(self, *, after: int = 0) -> list[tuple[int, dict[str, Any]]]:
        """The kept events with an id above ``after``, oldest first."""
        events = self._events
        if not events or after >= self._last:
            return []
        first = events[0][0]
        start = max(0, after + 1 - first)
        return list(islice(events, start, None))

    async def follow(self, *, after: int = 0) -> AsyncIterator[tuple[int, dict[str, Any]]]:
        """Every event after ``after`` as ``(id, data)``: those kept, then the new ones as they come."""
        seen = after
        while True:
            batch = self.kept(after=seen)
            for event_id, data in batch:
                seen = event_id
                yield event_id, data
            if batch:
                continue
            if self._closed:
                return
            changed = self._changed
            if changed is None:
                changed = self._changed = asyncio.Event()
            await changed.wait()

    def _wake(self) -> None:
        changed = self._changed
        if changed is not None:
            self._changed = None
            changed.set()

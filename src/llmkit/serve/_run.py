"""One served run: who started it, what it runs, where it is, its result and its live events.

A :class:`ServedRun` changes only through its own methods, in this order:
``queued`` → ``running`` → one of ``complete``, ``paused``, ``failed``,
``cancelled``; a ``paused`` run goes back to ``running`` when its approvals
are decided. Its JSON form (:meth:`ServedRun.to_dict`) is what clients see:
no traceback, no token, no Python object.

Every event the run records carries ``"time"``, the server's clock (seconds
since the epoch) when it was recorded, beside the event's own fields: a reader
that reopens the run later still knows how far apart its events were. The
run's ``ended`` is the same clock when it last settled (complete, paused,
failed or cancelled), so ``duration`` is what the server measured, not what a
reader saw.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, Literal, TypeAlias

from llmkit._redact import environment_secrets, redact
from llmkit.errors import LLMKitError
from llmkit.events import ErrorEvent, Event
from llmkit.serve._eventlog import EventLog, event_json

__all__ = ["TIME_KEY", "RunState", "ServedRun"]

RunState: TypeAlias = Literal["queued", "running", "paused", "complete", "failed", "cancelled"]
"""Where a served run is; the last four are ends (``paused`` until its approvals are decided)."""

_OVER = frozenset({"complete", "failed", "cancelled"})

TIME_KEY = "time"
"""The key of an event's JSON form that holds the server's time (no event has a field of that name)."""


class ServedRun:
    """A run of a served agent or workflow, owned by one tenant.

    ``number`` is its place among its service's runs (1, 2, 3 … as they started);
    ``clock`` (seconds since the epoch) stamps its events and its ``ended``.
    """

    __slots__ = (
        "_clock",
        "_done",
        "_ended",
        "_error",
        "_result",
        "_secrets",
        "_status",
        "created",
        "events",
        "id",
        "kind",
        "number",
        "session",
        "target",
        "tenant",
    )

    def __init__(
        self,
        *,
        run_id: str,
        tenant: str,
        target: str,
        kind: Literal["agent", "workflow"],
        session: str | None,
        created: float,
        event_limit: int,
        number: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.id = run_id
        self.number = number  # its place among the service's runs: 1, 2, 3 … as they started
        self.tenant = tenant
        self.target = target
        self.kind = kind
        self.session = session
        self.created = created
        self.events = EventLog(limit=event_limit)
        self._status: RunState = "queued"
        self._result: Any = None
        self._error: dict[str, str] | None = None
        self._clock = clock
        self._ended: float | None = None
        self._done = asyncio.Event()
        # The environment's secrets, read once for the run's events (keys set later are
        # still caught by the key shapes).
        self._secrets = environment_secrets()

    # ------------------------------------------------------------------ reading

    @property
    def status(self) -> RunState:
        """Where the run is (``queued``, ``running``, ``paused``, ``complete``, ``failed``, ``cancelled``)."""
        return self._status

    @property
    def over(self) -> bool:
        """Whether the run has ended for good (complete, failed or cancelled)."""
        return self._status in _OVER

    @property
    def result(self) -> Any:
        """The agent's ``RunResult`` or the workflow's ``WorkflowResult`` (None until there is one)."""
        return self._result

    @property
    def error(self) -> dict[str, str] | None:
        """``{"type", "message"}`` of a failed run (the message with secrets removed)."""
        return self._error

    @property
    def ended(self) -> float | None:
        """When the run last settled (seconds since the epoch); None while it is queued or running."""
        return self._ended

    @property
    def duration(self) -> float | None:
        """Seconds from ``created`` to ``ended`` (None while the run is queued or running)."""
        return None if self._ended is None else max(0.0, self._ended - self.created)

    async def settled(self) -> None:
        """Wait until the run is complete, paused, failed or cancelled."""
        await self._done.wait()

    def to_dict(self) -> dict[str, Any]:
        """The run as a client sees it: status, output, usage, pending calls, trace, error."""
        data: dict[str, Any] = {
            "id": self.id,
            "object": "run",
            "target": self.target,
            "kind": self.kind,
            "status": self._status,
            "created": int(self.created),
            "session": self.session,
            "output": None,
            "usage": None,
            "pending": [],
            "trace": [],
            "ended": self._ended,
            "duration": self.duration,
            "error": self._error,
            "last_event_id": self.events.last_id,
        }
        result = self._result
        if result is not None:
            full = result.to_dict()
            data["output"] = full.get("output")
            data["usage"] = full.get("usage")
            data["pending"] = full.get("pending", [])
            data["trace"] = full.get("steps", full.get("trace", []))
        return data

    def summary(self) -> dict[str, Any]:
        """The run as a listing shows it: :meth:`to_dict` without its output, pending calls and trace."""
        data = self.to_dict()
        for key in ("output", "pending", "trace"):
            del data[key]
        return data

    # ----------------------------------------------------------------- changing

    def record(self, event: Event) -> int:
        """Add ``event`` to the run's live events, stamped with the server's time; returns its id."""
        data = event_json(event, self._secrets)
        data[TIME_KEY] = self._clock()
        return self.events.append(data)

    def running(self) -> None:
        """The run started (or resumed after approvals)."""
        self._status = "running"
        self._ended = None
        self._done.clear()

    def finished(self, result: Any) -> None:
        """The run ended with ``result``: complete, or paused when it waits for approvals."""
        self._result = result
        paused = getattr(result, "status", "complete") == "paused"
        self._status = "paused" if paused else "complete"
        self._settle(close=not paused)

    def failed(self, exc: BaseException, *, reported: bool) -> None:
        """The run raised ``exc``; ``reported`` says whether its ``error`` event is recorded."""
        self._error = {"type": type(exc).__name__, "message": _message(exc)}
        self._status = "failed"
        if not reported:
            self.record(ErrorEvent(self._error["type"], self._error["message"], run_id=self.id))
        self._settle(close=True)

    def cancelled(self) -> None:
        """The run was cancelled (by a client, a disconnect policy, or the service closing)."""
        self._status = "cancelled"
        self._error = {"type": "Cancelled", "message": "The run was cancelled."}
        self.record(ErrorEvent("Cancelled", "The run was cancelled.", run_id=self.id))
        self._settle(close=True)

    def _settle(self, *, close: bool) -> None:
        self._ended = self._clock()
        if close:
            self.events.close()
        self._done.set()

    def __repr__(self) -> str:
        return f"<ServedRun {self.id} {self.target!r} {self._status}>"


def _message(exc: BaseException) -> str:
    """What a client may read of ``exc``: llmkit's own messages say what to do; others only the type."""
    if isinstance(exc, LLMKitError):
        return redact(str(exc))
    return f"The run failed with {type(exc).__name__}; the server's log has the details."

"""One served run: who started it, what it runs, where it is, its result and its live events.

A :class:`ServedRun` changes only through its own methods, in this order:
``queued`` → ``running`` → one of ``complete``, ``paused``, ``failed``,
``cancelled``; a ``paused`` run goes back to ``running`` when its approvals
are decided. Its JSON form (:meth:`ServedRun.to_dict`) is what clients see:
no traceback, no token, no Python object.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal, TypeAlias

from llmkit._redact import environment_secrets, redact
from llmkit.errors import LLMKitError
from llmkit.events import ErrorEvent, Event
from llmkit.serve._eventlog import EventLog, event_json

__all__ = ["RunState", "ServedRun"]

RunState: TypeAlias = Literal["queued", "running", "paused", "complete", "failed", "cancelled"]
"""Where a served run is; the last four are ends (``paused`` until its approvals are decided)."""

_OVER = frozenset({"complete", "failed", "cancelled"})


class ServedRun:
    """A run of a served agent or workflow, owned by one tenant."""

    __slots__ = (
        "_done",
        "_error",
        "_result",
        "_secrets",
        "_status",
        "created",
        "events",
        "id",
        "kind",
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
    ) -> None:
        self.id = run_id
        self.tenant = tenant
        self.target = target
        self.kind = kind
        self.session = session
        self.created = created
        self.events = EventLog(limit=event_limit)
        self._status: RunState = "queued"
        self._result: Any = None
        self._error: dict[str, str] | None = None
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

    # ----------------------------------------------------------------- changing

    def record(self, event: Event) -> int:
        """Add ``event`` to the run's live events; returns its id."""
        return self.events.append(event_json(event, self._secrets))

    def running(self) -> None:
        """The run started (or resumed after approvals)."""
        self._status = "running"
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

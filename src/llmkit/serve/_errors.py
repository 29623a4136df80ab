"""The errors of served runs: each a :class:`~llmkit.errors.UsageError` with the HTTP status it answers.

::

    UsageError
    └── ServeError                 a request the run service refuses; ``status`` and ``code`` say how
        ├── UnknownTargetError     no served agent or workflow has that name (404)
        ├── UnknownRunError        no run with that id for this caller, another caller's included (404)
        ├── UnknownSessionError    no session with that id for this caller (404)
        ├── RunStateError          the run is not in a state that allows it: approvals for a run that
        │                          waits for none, a cancel of a finished run (409)
        └── TooManyRunsError       the limit of concurrent runs is reached and the service is
                                   configured to refuse (429)

Transports (the HTTP app, JSON-RPC) map ``status`` and ``code`` onto their own
error shapes; the messages say what to do and hold no secret.
"""

from __future__ import annotations

from typing import ClassVar

from llmkit.errors import UsageError

__all__ = [
    "RunStateError",
    "ServeError",
    "TooManyRunsError",
    "UnknownRunError",
    "UnknownSessionError",
    "UnknownTargetError",
]


class ServeError(UsageError):
    """A request the run service refuses; ``status`` is the HTTP status, ``code`` a short name."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "invalid_request"


class UnknownTargetError(ServeError):
    """No served agent or workflow has that name; the message lists the names served."""

    status: ClassVar[int] = 404
    code: ClassVar[str] = "model_not_found"


class UnknownRunError(ServeError):
    """No run with that id for this caller (a run of another caller is not found either)."""

    status: ClassVar[int] = 404
    code: ClassVar[str] = "run_not_found"


class UnknownSessionError(ServeError):
    """No session with that id for this caller."""

    status: ClassVar[int] = 404
    code: ClassVar[str] = "session_not_found"


class RunStateError(ServeError):
    """The run's state does not allow what was asked (approve a run that is not paused …)."""

    status: ClassVar[int] = 409
    code: ClassVar[str] = "run_state"


class TooManyRunsError(ServeError):
    """The limit of concurrent runs is reached; try again later (``retry_after`` seconds)."""

    status: ClassVar[int] = 429
    code: ClassVar[str] = "too_many_runs"

    def __init__(self, message: str, *, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after

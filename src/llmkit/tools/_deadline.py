"""Time limits that reach inside a tool's own work.

A Python thread cannot be stopped from outside. When a tool call runs past
its time limit, or its run is cancelled or times out, the awaiting side stops
waiting and marks the call *abandoned*. Code that works in long loops (the
built-in tools' expression evaluator, JSONPath, file search, data filters)
calls :func:`checkpoint` between steps; it raises :class:`CallTimeoutError`
(a :class:`TimeoutError`) once the call's deadline has passed or the call was
abandoned, so the worker thread stops instead of computing a result nobody
will read. The error names the limit that ran out, so the agent can tell the
tool's own time limit (a failed call) from the run's (the run ends with
``RunTimeoutError``).

Each tool call gets its own :class:`CallLimit` through a context variable;
a sync tool's worker thread runs in a copy of the context (``tools/_threads.py``),
so the limit reaches the thread.
Outside a tool call :func:`checkpoint` does nothing. Leaving a limit never
fails, even from another context than the one it was entered in (an async
generator closed by another task than the one that entered it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from contextvars import ContextVar, Token
from types import TracebackType

__all__ = ["CallLimit", "CallTimeoutError", "call_limit", "checkpoint", "current_limit"]


class CallTimeoutError(TimeoutError):
    """Raised by :func:`checkpoint`: the work of a tool call must stop now.

    ``limit`` is the limit that ran out: the call's own, or an enclosing one
    (the run's timeout, or the call of the tool that made this call). When
    several ran out, the outermost one, since everything inside it is over.
    """

    def __init__(self, message: str, *, limit: CallLimit) -> None:
        super().__init__(message)
        self.limit = limit
        """The limit whose time ran out or whose caller stopped waiting."""


class CallLimit:
    """The time limit of one tool call, and whether its caller stopped waiting.

    Used as a context manager (what :func:`call_limit` returns), it is the
    current call's limit inside the block, and leaving the block by an
    exception abandons it.
    """

    __slots__ = ("_clock", "_token", "abandoned", "deadline", "parent", "seconds")

    def __init__(
        self,
        seconds: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        parent: CallLimit | None = None,
    ) -> None:
        self.seconds = seconds
        self._clock = clock
        self.deadline: float | None = None if seconds is None else clock() + seconds
        self.abandoned = False
        """Set when the caller stopped waiting (time limit, cancellation, the run's timeout)."""
        self.parent = parent
        """The enclosing tool call's limit (an agent used as a tool calls tools of its own)."""
        self._token: Token[CallLimit | None] | None = None

    def __enter__(self) -> CallLimit:
        self._token = _current.set(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.abandoned = True
        token = self._token
        assert token is not None
        self._token = None
        try:
            _current.reset(token)
        except ValueError:
            # Left in another context than the one it was entered in: an async generator
            # holding the limit was closed by another task (or garbage collected). That
            # context is not ours to change; in this one, stop being the current limit.
            if _current.get() is self:
                _current.set(self.parent)

    def abandon(self) -> None:
        """Mark the call abandoned: the next :func:`checkpoint` in its work raises."""
        self.abandoned = True

    def ran_out(self) -> bool:
        """Whether this limit itself is over (its deadline passed, or it was abandoned)."""
        return self.abandoned or (self.deadline is not None and self._clock() >= self.deadline)

    def expired(self) -> bool:
        """Whether the work should stop now (this limit or an enclosing one ran out)."""
        limit: CallLimit | None = self
        while limit is not None:
            if limit.ran_out():
                return True
            limit = limit.parent
        return False

    def check(self) -> None:
        """Raise :class:`CallTimeoutError` if the work should stop."""
        over: CallLimit | None = None
        limit: CallLimit | None = self
        while limit is not None:
            if limit.ran_out():
                over = limit
            limit = limit.parent
        if over is None:
            return
        if over.abandoned:
            why = "was abandoned (its time limit passed or it was cancelled)"
        elif over is self:
            why = f"took longer than its {self.seconds} s time limit"
        else:
            why = "was stopped: the run (or the tool call) it is part of ran out of time"
        raise CallTimeoutError(f"The tool call {why}.", limit=over)


_current: ContextVar[CallLimit | None] = ContextVar("llmkit_tool_call_limit", default=None)


def current_limit() -> CallLimit | None:
    """The limit of the tool call running in this context, or None outside one."""
    return _current.get()


def checkpoint() -> None:
    """Stop the current tool call's work if its time is up or its caller stopped waiting.

    Call it between the steps of a long loop in a tool (public as
    ``llmkit.tools.checkpoint``). It raises :class:`CallTimeoutError` (a
    :class:`TimeoutError`) once the call's
    ``timeout`` or the run's timeout has passed, or the call was abandoned (the run
    was cancelled, or the caller stopped waiting), so a sync tool's worker thread
    ends instead of running on in the background. Cheap enough to call once per
    loop iteration; does nothing outside a tool call.
    """
    limit = _current.get()
    if limit is not None and limit.expired():
        limit.check()


def call_limit(
    seconds: float | None, *, clock: Callable[[], float] = time.monotonic
) -> AbstractContextManager[CallLimit]:
    """Run the body as one tool call with a time limit of ``seconds`` (None: no own limit).

    Leaving the body by an exception (a timeout or a cancellation included)
    abandons the call, so work still running in a thread stops at its next
    :func:`checkpoint`.
    """
    return CallLimit(seconds, clock=clock, parent=_current.get())

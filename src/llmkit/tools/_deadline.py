"""Time limits that reach inside a tool's own work.

A Python thread cannot be stopped from outside. When a tool call runs past
its time limit, or its run is cancelled or times out, the awaiting side stops
waiting and marks the call *abandoned*. Code that works in long loops (the
built-in tools' expression evaluator, JSONPath, file search, data filters)
calls :func:`checkpoint` between steps; it raises :class:`TimeoutError` once
the call's deadline has passed or the call was abandoned, so the worker
thread stops instead of computing a result nobody will read.

Each tool call gets its own :class:`CallLimit` through a context variable;
``asyncio.to_thread`` copies the context, so the limit reaches the thread.
Outside a tool call :func:`checkpoint` does nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from contextvars import ContextVar, Token
from types import TracebackType

__all__ = ["CallLimit", "call_limit", "checkpoint", "current_limit"]


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
        _current.reset(token)

    def abandon(self) -> None:
        """Mark the call abandoned: the next :func:`checkpoint` in its work raises."""
        self.abandoned = True

    def expired(self) -> bool:
        """Whether the work should stop now."""
        if self.abandoned:
            return True
        if self.deadline is not None and self._clock() >= self.deadline:
            return True
        return self.parent is not None and self.parent.expired()

    def check(self) -> None:
        """Raise :class:`TimeoutError` if the work should stop."""
        if not self.expired():
            return
        if self.deadline is not None and self._clock() >= self.deadline:
            raise TimeoutError(f"The tool call took longer than its {self.seconds} s time limit.")
        raise TimeoutError(
            "The tool call was abandoned (its time limit passed or it was cancelled)."
        )


_current: ContextVar[CallLimit | None] = ContextVar("llmkit_tool_call_limit", default=None)


def current_limit() -> CallLimit | None:
    """The limit of the tool call running in this context, or None outside one."""
    return _current.get()


def checkpoint() -> None:
    """Stop the current tool call's work if its time is up or its caller stopped waiting.

    Call it between the steps of a long loop in a tool (public as
    ``llmkit.tools.checkpoint``). It raises :class:`TimeoutError` once the call's
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

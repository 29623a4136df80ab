"""A run's deadline: awaiting within it, and running tool calls under it.

A run with a ``timeout`` has a deadline on the event loop's clock. Whatever
the run awaits (a model call, a stream's next event, a batch of tool calls)
is awaited within it, and running past it raises the run's timeout error,
never a bare ``TimeoutError``. Tool calls run under the deadline as their
time limit's parent, so work in a tool that calls
:func:`~llmkit.tools.checkpoint` stops when the run's time is up, even when
the event loop cannot interrupt it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from llmkit.tools._deadline import CallTimeoutError, call_limit

__all__ = ["calls_within", "within"]

T = TypeVar("T")


async def within(
    deadline: float, awaitable: Awaitable[T], timed_out: Callable[[], BaseException]
) -> T:
    """Await ``awaitable`` before ``deadline`` (loop time); past it, raise ``timed_out()``."""
    if asyncio.get_running_loop().time() >= deadline:
        # Past it already (work that kept the loop busy): a timer would fire only
        # if the awaitable yields, so do not start it.
        close = getattr(awaitable, "close", None)
        if close is not None:
            close()
        raise timed_out()
    scope = asyncio.timeout_at(deadline)
    try:
        async with scope:
            return await awaitable
    except TimeoutError:
        if scope.expired():
            raise timed_out() from None
        raise


async def calls_within(
    deadline: float, calls: Awaitable[None], timed_out: Callable[[], BaseException]
) -> None:
    """Run a batch of tool calls before ``deadline``, the parent of every call's time limit."""
    # The parent limit lets a tool's checkpoint() see the deadline even when its work
    # keeps the event loop from cancelling it.
    with call_limit(deadline - asyncio.get_running_loop().time()) as limit:
        try:
            await within(deadline, calls, timed_out)
        except CallTimeoutError as exc:
            # A tool's checkpoint() saw the run's time run out before the event loop's
            # timer could fire (the tool kept the loop busy): the run timed out.
            if exc.limit is not limit:
                raise  # an enclosing limit (this run is a tool of another run)
            raise timed_out() from None

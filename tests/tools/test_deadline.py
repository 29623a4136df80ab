"""Tool call limits reach work running in a thread: checkpoint() stops it."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator

import pytest

from llmkit.tools._deadline import (
    CallLimit,
    CallTimeoutError,
    call_limit,
    checkpoint,
    current_limit,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_checkpoint_does_nothing_outside_a_tool_call() -> None:
    assert current_limit() is None
    checkpoint()


def test_checkpoint_raises_once_the_deadline_passes() -> None:
    clock = Clock()
    with call_limit(5, clock=clock) as limit:
        checkpoint()
        clock.now += 5
        assert limit.expired()
        with pytest.raises(TimeoutError, match="5 s time limit"):
            checkpoint()


def test_leaving_by_an_exception_abandons_the_call() -> None:
    with pytest.raises(asyncio.CancelledError), call_limit(None) as limit:
        raise asyncio.CancelledError
    assert limit.abandoned
    with pytest.raises(TimeoutError, match="abandoned"):
        limit.check()


def test_an_inner_call_stops_when_the_outer_one_is_abandoned() -> None:
    with call_limit(None) as outer, call_limit(None) as inner:
        outer.abandon()
        with pytest.raises(TimeoutError):
            checkpoint()
        assert inner.expired()


def test_the_limit_reaches_a_worker_thread() -> None:
    seen: list[CallLimit | None] = []

    async def main() -> None:
        with call_limit(1) as limit:
            await asyncio.to_thread(lambda: seen.append(current_limit()))
            assert seen == [limit]

    asyncio.run(main())


def test_checkpoint_names_the_limit_that_ran_out() -> None:
    clock = Clock()
    with call_limit(10, clock=clock) as outer, call_limit(5, clock=clock) as inner:
        clock.now += 5  # the inner call's own limit
        with pytest.raises(CallTimeoutError, match="5 s time limit") as own:
            checkpoint()
        assert own.value.limit is inner
        clock.now += 5  # now the enclosing one too: it wins, everything inside it is over
        with pytest.raises(CallTimeoutError, match="ran out of time") as enclosing:
            checkpoint()
        assert enclosing.value.limit is outer
        assert isinstance(enclosing.value, TimeoutError)


def test_a_limit_left_by_another_task_than_the_one_that_entered_it() -> None:
    # An async generator holding a limit, closed by another task (stream_sync closes
    # the stream in a new task): the limit is left in another context.
    async def holding() -> AsyncIterator[CallLimit]:
        with call_limit(None) as limit:
            yield limit

    async def main() -> CallLimit:
        stream = holding()
        limit = await asyncio.create_task(anext(stream))  # type: ignore[arg-type]
        await asyncio.create_task(stream.aclose())
        assert current_limit() is None
        return limit

    assert asyncio.run(main()).abandoned  # left by GeneratorExit: abandoned


def test_leaving_a_limit_in_a_copy_of_its_context_restores_the_enclosing_one_there() -> None:
    with call_limit(None) as outer:
        inner = CallLimit(None, parent=outer)
        entered = contextvars.copy_context()
        entered.run(inner.__enter__)
        copy = entered.run(contextvars.copy_context)
        copy.run(inner.__exit__, None, None, None)
        assert copy.run(current_limit) is outer
        assert entered.run(current_limit) is inner  # the context it was entered in is not touched
        assert current_limit() is outer

"""Tool call limits reach work running in a thread: checkpoint() stops it."""

from __future__ import annotations

import asyncio

import pytest

from llmkit.tools._deadline import CallLimit, call_limit, checkpoint, current_limit


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

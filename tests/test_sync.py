"""Sync twins: they run on llmkit's background loop, in the caller's context, and it survives."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from llmkit import Message, Request
from llmkit._sync import iterate_sync, run_sync
from llmkit.errors import UsageError
from llmkit.events import ModelResponse
from llmkit.testing import FunctionModel

TENANT: contextvars.ContextVar[str] = contextvars.ContextVar("tenant", default="none")


def answer_with_tenant(request: Request) -> str:
    return f"tenant={TENANT.get()}"


def ask() -> Request:
    return Request(messages=[Message.user("who am I?")])


def test_generate_sync_sees_the_callers_context_variables() -> None:
    model = FunctionModel(answer_with_tenant)
    token = TENANT.set("acme")
    try:
        assert model.generate_sync(ask()).text == "tenant=acme"
    finally:
        TENANT.reset(token)
    assert model.generate_sync(ask()).text == "tenant=none"


def test_stream_sync_sees_the_callers_context_variables() -> None:
    model = FunctionModel(answer_with_tenant)
    token = TENANT.set("globex")
    try:
        events = list(model.stream_sync(ask()))
    finally:
        TENANT.reset(token)
    assert isinstance(events[-1], ModelResponse)
    assert events[-1].response.text == "tenant=globex"


@pytest.mark.anyio
async def test_changes_inside_the_call_do_not_leak_back() -> None:
    def sets_and_answers(request: Request) -> str:
        TENANT.set("changed inside")
        return "ok"

    FunctionModel(sets_and_answers).generate_sync(ask())
    assert TENANT.get() == "none"


NoHang = Callable[[Callable[[], Any]], Any]
"""The ``no_hang`` fixture (tests/conftest.py): a regression here hangs instead of failing."""


async def answer() -> str:
    return "still serving"


async def raise_in_a_child_task(exc: BaseException) -> None:
    async def child() -> None:
        raise exc

    async with asyncio.TaskGroup() as group:
        group.create_task(child())


@pytest.mark.parametrize("exc", [KeyboardInterrupt(), SystemExit(2)], ids=type)
def test_a_base_exception_reaches_the_caller_and_the_loop_keeps_serving(
    exc: BaseException, no_hang: NoHang
) -> None:
    async def escape() -> None:
        raise exc

    with pytest.raises(type(exc)):
        no_hang(lambda: run_sync(escape()))
    assert no_hang(lambda: run_sync(answer())) == "still serving"


@pytest.mark.parametrize("exc", [KeyboardInterrupt(), SystemExit(2)], ids=type)
def test_a_base_exception_in_a_child_task_reaches_the_caller(
    exc: BaseException, no_hang: NoHang
) -> None:
    with pytest.raises(type(exc)):
        no_hang(lambda: run_sync(raise_in_a_child_task(exc)))
    assert no_hang(lambda: run_sync(answer())) == "still serving"


def test_iterate_sync_survives_a_keyboard_interrupt(no_hang: NoHang) -> None:
    async def items() -> AsyncIterator[int]:
        yield 1
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        no_hang(lambda: list(iterate_sync(items())))
    assert no_hang(lambda: run_sync(answer())) == "still serving"


def test_a_stopped_loop_fails_its_calls_and_the_next_call_starts_a_new_one(
    no_hang: NoHang,
) -> None:
    async def stop_the_loop() -> None:
        asyncio.get_running_loop().stop()  # the loop ends before it hands this call its result

    with pytest.raises(UsageError, match="loop was stopped"):
        no_hang(lambda: run_sync(stop_the_loop()))
    assert no_hang(lambda: run_sync(answer())) == "still serving"


class BreaksThenCannotClose:
    """An async iterator whose step fails and whose closing then fails too."""

    def __init__(self, close_error: BaseException) -> None:
        self.close_error = close_error

    def __aiter__(self) -> BreaksThenCannotClose:
        return self

    async def __anext__(self) -> int:
        raise ValueError("the stream broke")

    async def aclose(self) -> None:
        raise self.close_error


def test_iterate_sync_raises_the_iterators_failure_not_the_failure_to_close_it(
    no_hang: NoHang, caplog: pytest.LogCaptureFixture
) -> None:
    closing = RuntimeError("aclose(): asynchronous generator is already running")
    with (
        caplog.at_level(logging.WARNING, logger="llmkit"),
        pytest.raises(ValueError, match="the stream broke"),
    ):
        no_hang(lambda: list(iterate_sync(BreaksThenCannotClose(closing))))
    (record,) = caplog.records
    assert record.exc_info is not None and record.exc_info[1] is closing
    assert no_hang(lambda: run_sync(answer())) == "still serving"


def test_iterate_sync_raises_a_failure_to_close_when_nothing_else_failed(
    no_hang: NoHang,
) -> None:
    class EndsThenCannotClose(BreaksThenCannotClose):
        async def __anext__(self) -> int:
            raise StopAsyncIteration

    with pytest.raises(RuntimeError, match="cannot close"):
        no_hang(lambda: list(iterate_sync(EndsThenCannotClose(RuntimeError("cannot close")))))

"""Sync twins: they run on llmkit's background loop, in the caller's context, and it survives."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import pytest

from llmkit import Message, Request
from llmkit._sync import iterate_sync, run_sync
from llmkit.errors import UsageError
from llmkit.events import ModelResponse
from llmkit.testing import FunctionModel

T = TypeVar("T")
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


# A regression here would hang forever; every call below runs in a helper thread
# joined with a generous bound, so a hang fails the test instead.
HANG = 30.0


def within_bound(fn: Callable[[], T]) -> T:
    """``fn()`` in a helper thread; its result or exception, or a failure if it hangs."""
    outcome: list[tuple[bool, Any]] = []

    def target() -> None:
        try:
            outcome.append((True, fn()))
        except BaseException as exc:  # handed to the test thread
            outcome.append((False, exc))

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(HANG)
    if thread.is_alive():
        pytest.fail("the sync call hung")
    ok, value = outcome[0]
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]


async def answer() -> str:
    return "still serving"


async def raise_in_a_child_task(exc: BaseException) -> None:
    async def child() -> None:
        raise exc

    async with asyncio.TaskGroup() as group:
        group.create_task(child())


@pytest.mark.parametrize("exc", [KeyboardInterrupt(), SystemExit(2)], ids=type)
def test_a_base_exception_reaches_the_caller_and_the_loop_keeps_serving(
    exc: BaseException,
) -> None:
    async def escape() -> None:
        raise exc

    with pytest.raises(type(exc)):
        within_bound(lambda: run_sync(escape()))
    assert within_bound(lambda: run_sync(answer())) == "still serving"


@pytest.mark.parametrize("exc", [KeyboardInterrupt(), SystemExit(2)], ids=type)
def test_a_base_exception_in_a_child_task_reaches_the_caller(exc: BaseException) -> None:
    with pytest.raises(type(exc)):
        within_bound(lambda: run_sync(raise_in_a_child_task(exc)))
    assert within_bound(lambda: run_sync(answer())) == "still serving"


def test_iterate_sync_survives_a_keyboard_interrupt() -> None:
    async def items() -> AsyncIterator[int]:
        yield 1
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        within_bound(lambda: list(iterate_sync(items())))
    assert within_bound(lambda: run_sync(answer())) == "still serving"


def test_a_stopped_loop_fails_its_calls_and_the_next_call_starts_a_new_one() -> None:
    async def stop_the_loop() -> None:
        asyncio.get_running_loop().stop()  # the loop ends before it hands this call its result

    with pytest.raises(UsageError, match="loop was stopped"):
        within_bound(lambda: run_sync(stop_the_loop()))
    assert within_bound(lambda: run_sync(answer())) == "still serving"

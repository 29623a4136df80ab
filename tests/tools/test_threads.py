"""The worker threads of sync tools: what they promise besides running the function."""

from __future__ import annotations

import asyncio
import contextvars
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llmkit.tools import _threads
from llmkit.tools._threads import in_thread, thread_count

WAIT = 60.0  # a bound for waits that end at once when the code is right

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def pool(monkeypatch: pytest.MonkeyPatch) -> Iterator[_threads._Pool]:
    """A pool of this test's own, of at most two threads, closed after it."""
    fresh = _threads._Pool()
    monkeypatch.setattr(_threads, "_pool", fresh)
    monkeypatch.setattr(_threads, "_MAX_THREADS", 2)
    yield fresh
    fresh.close()


def _blocker() -> tuple[threading.Event, threading.Event, Any]:
    started, release = threading.Event(), threading.Event()

    def block(value: str) -> str:
        started.set()
        if not release.wait(WAIT):
            raise AssertionError("never released")
        return value

    return started, release, block


async def _until(event: threading.Event) -> None:
    assert await asyncio.to_thread(event.wait, WAIT)


async def test_runs_on_a_worker_thread_in_a_copy_of_the_context(pool: _threads._Pool) -> None:
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var")
    var.set("caller's")

    def look(x: int, *, y: int) -> tuple[str, str, int]:
        seen = var.get()
        var.set("changed in the thread")
        return threading.current_thread().name, seen, x + y

    name, seen, total = await in_thread(look, 2, y=3)
    assert name.startswith("llmkit-tool-") and seen == "caller's" and total == 5
    assert var.get() == "caller's"  # the thread changed its copy only


async def test_one_thread_serves_calls_made_one_after_another(pool: _threads._Pool) -> None:
    names = {await in_thread(lambda: threading.current_thread().name) for _ in range(20)}
    assert len(names) == 1 and thread_count() == 1


@pytest.mark.parametrize("exc", [ValueError("bad"), GeneratorExit(), StopIteration(7)])
async def test_what_the_function_raises_is_raised_on_the_loop_side(
    pool: _threads._Pool, exc: BaseException
) -> None:
    def fail() -> None:
        raise exc

    with pytest.raises(BaseException) as info:
        await in_thread(fail)
    if isinstance(exc, StopIteration):  # as a coroutine raising it would: PEP 479
        assert type(info.value) is RuntimeError and info.value.__cause__ is exc
    else:
        assert info.value is exc


async def test_no_more_threads_than_the_bound_and_waiting_calls_run_in_order(
    pool: _threads._Pool,
) -> None:
    first_started, first_release, first = _blocker()
    second_started, second_release, second = _blocker()
    ran: list[str] = []
    one = asyncio.create_task(in_thread(first, "one"))
    two = asyncio.create_task(in_thread(second, "two"))
    await _until(first_started)
    await _until(second_started)
    three = asyncio.create_task(in_thread(ran.append, "three"))
    four = asyncio.create_task(in_thread(ran.append, "four"))
    await asyncio.sleep(0)
    assert thread_count() == 2 and ran == []  # both threads busy: the others wait
    first_release.set()
    await asyncio.wait_for(asyncio.gather(three, four), WAIT)
    assert ran == ["three", "four"] and thread_count() == 2
    second_release.set()
    assert await asyncio.wait_for(asyncio.gather(one, two), WAIT) == ["one", "two"]


async def test_a_call_that_runs_calls_on_another_loop_never_waits_for_its_own_thread(
    pool: _threads._Pool,
) -> None:
    # Both outer calls hold this loop's two places while their inner calls run on loops of
    # their own (what a tool that calls ``run_sync`` does): those get threads of their own.
    both = threading.Barrier(2, timeout=WAIT)

    def outer(n: int) -> str:
        both.wait()
        inner = asyncio.run(asyncio.wait_for(in_thread(lambda: f"inner {n}"), WAIT))
        return f"outer {n}: {inner}"

    results = await asyncio.wait_for(asyncio.gather(in_thread(outer, 1), in_thread(outer, 2)), WAIT)
    assert results == ["outer 1: inner 1", "outer 2: inner 2"]
    assert thread_count() == 4


async def test_a_thread_that_cannot_start_costs_nothing(
    pool: _threads._Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = threading.Thread.start

    def refuse(self: threading.Thread) -> None:
        monkeypatch.setattr(threading.Thread, "start", start)
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    with pytest.raises(RuntimeError, match="can't start"):
        await in_thread(lambda: "never")
    assert thread_count() == 0
    started_a, release_a, block_a = _blocker()
    started_b, release_b, block_b = _blocker()
    a = asyncio.create_task(in_thread(block_a, "a"))
    b = asyncio.create_task(in_thread(block_b, "b"))
    await _until(started_a)
    await _until(started_b)  # both places of the loop are free again
    release_a.set()
    release_b.set()
    assert await asyncio.wait_for(asyncio.gather(a, b), WAIT) == ["a", "b"]
    assert thread_count() == 2


async def test_a_call_given_up_before_it_started_is_not_run(pool: _threads._Pool) -> None:
    started_a, release_a, block_a = _blocker()
    started_b, release_b, block_b = _blocker()
    a = asyncio.create_task(in_thread(block_a, "a"))
    b = asyncio.create_task(in_thread(block_b, "b"))
    await _until(started_a)
    await _until(started_b)
    ran: list[str] = []
    waiting = asyncio.create_task(in_thread(ran.append, "given up"))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    release_a.set()
    release_b.set()
    await asyncio.wait_for(asyncio.gather(a, b), WAIT)
    await in_thread(ran.append, "after")  # the queue is in order: the given-up call is behind us
    assert ran == ["after"]


async def test_a_call_given_up_while_running_finishes_and_its_result_is_dropped(
    pool: _threads._Pool,
) -> None:
    problems: list[dict[str, Any]] = []
    asyncio.get_running_loop().set_exception_handler(lambda loop, context: problems.append(context))
    started, release, block = _blocker()
    task = asyncio.create_task(in_thread(block, "late"))
    await _until(started)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    release.set()
    assert await in_thread(lambda: "next") == "next"  # the thread is free again
    await asyncio.sleep(0)  # the dropped outcome's callback has run
    assert problems == []


def test_an_outcome_for_a_closed_loop_is_dropped_and_the_pool_goes_on(
    pool: _threads._Pool,
) -> None:
    started, release, block = _blocker()
    failures: list[Any] = []
    hook = threading.excepthook
    threading.excepthook = failures.append
    try:

        async def give_up() -> None:
            task = asyncio.create_task(in_thread(block, "late"))
            await asyncio.to_thread(started.wait, WAIT)
            task.cancel()

        asyncio.run(give_up())  # the loop is closed while the call runs
        release.set()
        assert asyncio.run(in_thread(lambda: "fine")) == "fine"
    finally:
        threading.excepthook = hook
    assert failures == []


def _run(script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "script.py"
    path.write_text(textwrap.dedent(script))
    return subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=WAIT, cwd=tmp_path
    )


def test_the_process_ends_only_after_a_running_call_returned(tmp_path: Path) -> None:
    done = _run(
        """
        import asyncio, pathlib, threading, time
        from llmkit.tools._threads import in_thread

        started = threading.Event()

        def work():
            started.set()
            time.sleep(0.2)
            pathlib.Path("finished").write_text("yes")

        async def main():
            task = asyncio.create_task(in_thread(work))
            await asyncio.to_thread(started.wait, 60)
            task.cancel()  # given up: the process goes on to its end

        asyncio.run(main())
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "finished").read_text() == "yes"


@pytest.mark.skipif(sys.platform == "win32", reason="fork is POSIX-only")
def test_a_forked_child_starts_its_own_threads(tmp_path: Path) -> None:
    done = _run(
        """
        import asyncio, os, sys, threading
        from llmkit.tools._threads import in_thread, thread_count

        asyncio.run(in_thread(threading.get_ident))  # the parent has a worker
        pid = os.fork()
        if pid == 0:
            ok = thread_count() == 0 and asyncio.run(in_thread(lambda: 42)) == 42
            os._exit(0 if ok and thread_count() == 1 else 3)
        _, status = os.waitpid(pid, 0)
        sys.exit(os.waitstatus_to_exitcode(status))
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr

"""The ``promise`` module: run host calls and script functions concurrently, wait for them."""

from __future__ import annotations

import asyncio
from typing import Any

from llmkit.errors import UsageError
from llmkit.scripting._bridge import Bridge, Promise, ScriptCallable
from llmkit.scripting._host import Host

__all__ = ["bridge"]

bridge = Bridge(
    "promise",
    "Concurrency. Functions named `*_async` (`agent:run_async`, `llm.generate_async`) return a "
    "promise at once; `p:await()` waits for its value (an error is raised there) and "
    "`p:done()` says whether it is there. Waiting suspends only this script.",
)


def _awaitables(items: Any, name: str) -> list[Any]:
    if not isinstance(items, list):
        raise UsageError(f"promise.{name} takes an array of promises, such as {{p1, p2}}.")
    return [item if isinstance(item, Promise) else _ready(item) for item in items]


async def _ready(value: Any) -> Any:
    return value


@bridge.named("all")
async def all_(host: Host, promises: Any) -> list[Any]:
    """Wait for every promise of the array; their values in the same order (the first error is raised)."""
    return list(await asyncio.gather(*_awaitables(promises, "all")))


@bridge.function
async def race(host: Host, promises: Any) -> Any:
    """The value of the first promise of the array to finish; the others are cancelled."""
    tasks = [asyncio.ensure_future(a) for a in _awaitables(promises, "race")]
    if not tasks:
        raise UsageError("promise.race takes at least one promise.")
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    return next(iter(done)).result()


@bridge.function
async def sleep(host: Host, seconds: float) -> None:
    """Pause this script for `seconds` (other scripts and promises go on)."""
    if not isinstance(seconds, int | float) or seconds < 0:
        raise UsageError("promise.sleep takes a number of seconds >= 0.")
    await asyncio.sleep(seconds)


@bridge.function
def spawn(host: Host, fn: ScriptCallable, *args: Any) -> Promise:
    """Run the script function `fn(...)` concurrently, as its own coroutine; a promise of its result."""
    if not callable(fn):
        raise UsageError("promise.spawn takes a function and its arguments.")
    return host.spawn(fn(*args))

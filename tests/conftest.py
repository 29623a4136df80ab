"""Project-only test glue. Shared fakes and fixtures live in llmkit.testing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """Async tests run on asyncio (llmkit targets asyncio)."""
    return "asyncio"


@pytest.fixture(scope="session")
def yaml_bomb() -> str:
    """A "billion laughs" YAML flow value: 450 bytes, 430 million strings once its aliases expand.

    Put it where a data file takes any value: ``f"arguments: {{who: {yaml_bomb}}}"``.
    """
    levels = ["&a0 [" + ", ".join(["lol"] * 9) + "]"]
    levels += [f"&a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    return "[" + ", ".join(levels) + "]"


# A regression in the sync machinery or in tool time limits hangs instead of failing.
# Such calls run in a helper thread joined with a generous bound (not a timing assertion:
# the calls take milliseconds), so a hang fails its test instead of stopping the suite.
HANG_BOUND = 30.0


def _call_in_thread(fn: Callable[[], Any]) -> Any:
    outcome: list[tuple[bool, Any]] = []

    def target() -> None:
        try:
            outcome.append((True, fn()))
        except BaseException as exc:  # handed to the test's thread
            outcome.append((False, exc))

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(HANG_BOUND)
    if thread.is_alive():
        pytest.fail(f"the call hung (no answer within {HANG_BOUND} s)")
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


@pytest.fixture
def no_hang() -> Callable[[Callable[[], Any]], Any]:
    """``no_hang(fn)``: ``fn()``'s result or exception; the test fails if it hangs."""
    return _call_in_thread

"""Project-only test glue. Shared fakes and fixtures live in llmkit.testing."""

from __future__ import annotations

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

"""Project-only test glue. Shared fakes and fixtures live in llmkit.testing."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """Async tests run on asyncio (llmkit targets asyncio)."""
    return "asyncio"

"""Scripting tests: every engine here is Lua (the ``lua`` extra is installed by make install-dev)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from llmkit.scripting import lua


@pytest.fixture
def engine() -> Iterator[lua.Engine]:
    with lua.Engine(max_instructions=5_000_000) as e:
        yield e

"""A prompt directory written per test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write ``text`` to ``name`` under the test's prompt directory (``tmp_path / "prompts"``)."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / "prompts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    (tmp_path / "prompts").mkdir()
    return write

"""docs/scripting.md's module reference is the one the bridges' docstrings give."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmkit.scripting import Bridge
from llmkit.scripting._reference import reference, update

PAGE = Path(__file__).resolve().parents[2] / "docs" / "scripting.md"


def test_the_reference_in_the_docs_is_current() -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert update(page) == page, (
        "docs/scripting.md is stale: run python -m llmkit.scripting._reference docs/scripting.md"
    )


def test_every_default_module_and_function_is_in_the_reference() -> None:
    text = reference()
    for name in ("json", "log", "state", "promise", "llm", "agent", "tools", "events"):
        assert f"### `{name}`" in text
    assert "`agent.create(spec)`" in text
    assert "`obj:run_async(prompt)`" in text
    assert "`output(value)`" in text


def test_a_bridge_function_without_a_docstring_is_refused() -> None:
    from llmkit.errors import UsageError

    bridge = Bridge("x", "doc")
    with pytest.raises(UsageError, match="docstring"):
        bridge.function(lambda host: None)

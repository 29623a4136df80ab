"""The Python code in README.md and docs/*.md runs, block after block, against the fake server."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import io
import re
from pathlib import Path

import pytest

from llmkit.testing import FakeProviderServer, default_responder

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def python_blocks(page: Path) -> list[str]:
    return BLOCK.findall(page.read_text(encoding="utf-8"))


def test_there_are_documented_examples() -> None:
    assert python_blocks(ROOT / "README.md")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_code_runs(
    page: Path, llmkit_fake_server: FakeProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    llmkit_fake_server.script(default_responder)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-docs-example")
    monkeypatch.setenv("OPENAI_BASE_URL", llmkit_fake_server.openai_base_url)
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    loop = asyncio.new_event_loop()
    try:
        for number, source in enumerate(python_blocks(page), 1):
            code = compile(
                source, f"{page.name}[block {number}]", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
            )
            with contextlib.redirect_stdout(io.StringIO()):
                result = eval(code, namespace)
                if asyncio.iscoroutine(result):
                    loop.run_until_complete(result)
    finally:
        loop.close()

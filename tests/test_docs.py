"""Every ```python block in README.md and docs/*.md runs as written, alone, in a fresh interpreter.

Each block is saved as a script and run by a new Python process, the way a reader
would paste it into a file: no top-level ``await``, no names from an earlier block.
The environment is what a reader with an OpenAI key has: ``OPENAI_API_KEY`` and
``OPENAI_BASE_URL`` (here pointing at the fake server this test starts), no other
provider's key, and an empty working directory.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from llmkit.testing import FakeProviderServer, default_responder

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
# Environment variables that would reach a real provider, pick another model, or change
# what the fake server sees: a reader of the docs has only an OpenAI key.
UNSET = re.compile(r".*_API_KEY$|.*_BASE_URL$|^LLMKIT_|^OLLAMA_HOST$|^PYTHON")
TIMEOUT = 120  # seconds per block: only a hung block gets near it


def python_blocks(page: Path) -> list[str]:
    return BLOCK.findall(page.read_text(encoding="utf-8"))


def reader_environment(base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not UNSET.match(k)}
    env["OPENAI_API_KEY"] = "sk-docs-example"
    env["OPENAI_BASE_URL"] = base_url
    return env


def run_block(source: str, name: str, folder: Path, env: dict[str, str]) -> str | None:
    """Run one block as a script in ``folder``; None if it ran, else what went wrong."""
    folder.mkdir()
    script = folder / "example.py"
    script.write_text(source, encoding="utf-8")
    try:
        done = subprocess.run(
            [sys.executable, script.name],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return f"{name}: still running after {TIMEOUT} s"
    if done.returncode != 0:
        return f"{name}: exit {done.returncode}\n{done.stderr[-3000:]}"
    return None


def test_there_are_documented_examples() -> None:
    assert python_blocks(ROOT / "README.md")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_each_block_runs_alone_in_a_fresh_interpreter(
    page: Path, llmkit_fake_server: FakeProviderServer, tmp_path: Path
) -> None:
    llmkit_fake_server.script(default_responder)
    env = reader_environment(llmkit_fake_server.openai_base_url)
    blocks = python_blocks(page)
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = pool.map(
            lambda item: run_block(
                item[1], f"{page.name} block {item[0]}", tmp_path / f"block{item[0]}", env
            ),
            enumerate(blocks, 1),
        )
        failures = [outcome for outcome in outcomes if outcome is not None]
    assert not failures, "\n\n".join(failures)


def test_a_block_with_top_level_await_fails_as_it_would_for_a_reader(
    llmkit_fake_server: FakeProviderServer, tmp_path: Path
) -> None:
    env = reader_environment(llmkit_fake_server.openai_base_url)
    source = "import asyncio\nawait asyncio.sleep(0)\n"
    failure = run_block(source, "await", tmp_path / "await", env)
    assert failure is not None and "SyntaxError" in failure
    assert (
        run_block("import asyncio\nasyncio.run(asyncio.sleep(0))\n", "ok", tmp_path / "ok", env)
        is None
    )

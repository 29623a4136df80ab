"""The bench's capi case: the run through the C ABI sends what the same run from Python sends.

The C ABI runner loads libllmkit.so into its process (the library joins the running
interpreter), so it runs in a child process, not in the test's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench._llmkit_side import LLMKitAgent
from bench._responder import respond
from llmkit.testing import FakeProviderServer

pytestmark = pytest.mark.capi

ROOT = Path(__file__).resolve().parents[2]

_CHILD = """
import asyncio, sys
from bench._capi import CAPIAgent

async def main():
    runner = CAPIAgent(sys.argv[1])
    try:
        for _ in range(2):
            await runner.run()
    finally:
        await runner.aclose()

asyncio.run(main())
print("ran")
"""


@pytest.fixture(scope="module")
def server() -> Iterator[FakeProviderServer]:
    with FakeProviderServer(respond) as running:
        yield running


def _bodies(server: FakeProviderServer) -> list[Any]:
    assert server.errors == []
    assert all(r.status == 200 for r in server.requests)
    return [r.json for r in server.requests]


def _without_description_in_parameters(body: Any) -> Any:
    """The C ABI takes the tool's description from its schema and also leaves it there: the
    one difference in what is sent (a few bytes), set aside so the rest is compared."""
    for tool in body["tools"]:
        parameters = tool["function"]["parameters"]
        assert parameters.pop("description") == tool["function"]["description"]
    return body


@pytest.mark.anyio
async def test_the_c_abi_run_sends_what_the_python_run_sends(server: FakeProviderServer) -> None:
    server.reset()
    server.script(respond)
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, server.url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and done.stdout.strip() == "ran", done.stderr
    through_c = [_without_description_in_parameters(b) for b in _bodies(server)]
    assert len(through_c) == 4  # two runs of two model calls

    server.reset()
    server.script(respond)
    agent = LLMKitAgent(server.url)
    try:
        await agent.run()
    finally:
        await agent.aclose()
    from_python = _bodies(server)
    assert through_c[:2] == from_python
    # The second run differs only by its tool call's id (the script numbers calls on).
    second = json.loads(json.dumps(through_c[2:]).replace('"call_2"', '"call_1"'))
    assert second == from_python
    # The C tool's answer is what the model got back.
    assert "sunny" in str(through_c[1]["messages"][-1]["content"])

"""``llmkit mcp serve`` as a process: the SDK's client over stdio and HTTP, and llmkit's own MCPToolset.

The served app is written to a temporary directory; its agent's model is the
fake provider server, whose address it reads from FAKE_OPENAI_URL.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mcp
import pytest
from mcp.client.stdio import StdioServerParameters, stdio_client

from llmkit import Agent
from llmkit.cli import main
from llmkit.events import RunEnd, ToolResultEvent
from llmkit.testing import FakeProviderServer, fake_model, tool_call
from llmkit.tools.mcp import MCPToolset

pytestmark = pytest.mark.anyio

APP = '''
import os

from llmkit import Agent, Toolbox, model, tool

print("importing the app")  # must not reach the protocol on stdout


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def shout(text: str) -> str:
    """Shout a text."""
    print("a stray print inside a tool")  # nor this
    return text.upper()


@tool
def fail(reason: str) -> str:
    """Fail with a message."""
    raise ValueError(reason)


helper = Agent(
    model(
        "openai/gpt-4.1-mini",
        base_url=os.environ.get("FAKE_OPENAI_URL", "http://127.0.0.1:9/v1"),
        api_key="test",
    ),
    name="helper",
    description="Knows about orders.",
)

tools = [Toolbox([add, shout, fail]), helper]
not_tools = 42
'''


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("app") / "app.py"
    path.write_text(APP, encoding="utf-8")
    return path


def serve_args(app: Path, *more: str) -> list[str]:
    return ["-m", "llmkit", "mcp", "serve", f"{app}:tools", *more]


def text_of(result: Any) -> str:
    return "\n".join(item.text for item in result.content if item.type == "text")


async def test_the_sdk_client_over_stdio(app: Path, tmp_path: Path) -> None:
    params = StdioServerParameters(command=sys.executable, args=serve_args(app, "--name", "shop"))
    errlog = (tmp_path / "stderr.txt").open("w+", encoding="utf-8")
    async with mcp.Client(stdio_client(params, errlog=errlog)) as client:
        assert client.server_info is not None
        assert client.server_info.name == "shop"
        names = [t.name for t in (await client.list_tools()).tools]
        summed = await client.call_tool("add", {"a": 2, "b": 3})
        shouted = await client.call_tool("shout", {"text": "hello"})
        failed = await client.call_tool("fail", {"reason": "disk full"})
        wrong = await client.call_tool("add", {"a": "x", "b": 1})
    assert names == ["add", "fail", "shout", "helper"]
    assert text_of(summed) == "5"
    assert text_of(shouted) == "HELLO"
    assert failed.is_error
    assert text_of(failed) == "Tool fail raised ValueError: disk full."
    assert wrong.is_error
    assert text_of(wrong).startswith("Invalid arguments for add:")
    # What the app printed went to stderr, so stdout carried only MCP messages.
    errlog.seek(0)
    stderr = errlog.read()
    errlog.close()
    assert "importing the app" in stderr
    assert "a stray print inside a tool" in stderr


@pytest.fixture
def http_url(app: Path) -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, *serve_args(app, "--http", "--port", "0")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # the app's print, then the address once it listens
            if line.startswith("MCP server at "):
                yield line.removeprefix("MCP server at ").strip()
                break
        else:
            pytest.fail(f"the server did not start (exit {proc.wait()})")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


async def test_the_sdk_client_over_streamable_http(http_url: str) -> None:
    assert http_url.startswith("http://127.0.0.1:")
    assert http_url.endswith("/mcp")
    async with mcp.Client(http_url) as client:
        names = [t.name for t in (await client.list_tools()).tools]
        summed = await client.call_tool("add", {"a": 20, "b": 22})
        failed = await client.call_tool("fail", {"reason": "no"})
    assert "add" in names
    assert text_of(summed) == "42"
    assert failed.is_error
    assert "Traceback" not in text_of(failed)


async def test_an_llmkit_agent_uses_tools_another_llmkit_process_serves(app: Path) -> None:
    # One fake provider for both processes: the outer agent calls add, then the helper
    # agent (whose model call, in the served process, takes the third turn), then answers.
    script = [
        tool_call("add", a=2, b=3),
        tool_call("helper", input="Where is order 42?"),
        "Order 42 ships on Monday.",
        "2 + 3 = 5, and order 42 ships on Monday.",
    ]
    with FakeProviderServer(script) as fake:
        toolset = MCPToolset.stdio(
            sys.executable, serve_args(app), env={"FAKE_OPENAI_URL": fake.openai_base_url}
        )
        try:
            agent = Agent(fake_model(fake), tools=[*await toolset.tools()])
            results = []
            async for event in agent.stream("Add 2 and 3, and ask where order 42 is."):
                if isinstance(event, ToolResultEvent):
                    results.append((event.result.name, event.result.text, event.result.is_error))
                elif isinstance(event, RunEnd):
                    output = event.result.output
        finally:
            await toolset.aclose()
        served_request = fake.requests[2].json
    assert results == [("add", "5", False), ("helper", "Order 42 ships on Monday.", False)]
    assert served_request["messages"][-1] == {"role": "user", "content": "Where is order 42?"}
    assert output == "2 + 3 = 5, and order 42 ships on Monday."


def test_a_target_that_is_not_a_tool_source_is_a_usage_error(
    app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["mcp", "serve", f"{app}:not_tools"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Cannot serve a int as a tool" in err


def test_an_app_that_does_not_import_is_a_setup_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("import not_a_module_anywhere\n", encoding="utf-8")
    code = main(["mcp", "serve", f"{broken}:tools"])
    assert code == 3
    assert "importing" in capsys.readouterr().err

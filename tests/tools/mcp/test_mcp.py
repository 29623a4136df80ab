"""MCPToolset against a real MCP server run by the test: over stdio and over streamable HTTP."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest

from llmkit import Agent
from llmkit.errors import ToolError, UsageError
from llmkit.testing import ScriptedModel, tool_call
from llmkit.tools.mcp import MCPToolset
from llmkit.types import ImagePart

from .conftest import SERVER

pytestmark = pytest.mark.anyio

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def stdio_toolset(**options: Any) -> MCPToolset:
    return MCPToolset.stdio(sys.executable, [str(SERVER)], **options)


@pytest.fixture
async def toolset() -> AsyncIterator[MCPToolset]:
    server = stdio_toolset(timeout=10)
    try:
        yield server
    finally:
        await server.aclose()


async def by_name(toolset: MCPToolset) -> dict[str, Any]:
    return {t.name: t for t in await toolset.tools()}


async def test_tools_come_with_the_servers_schemas(toolset: MCPToolset) -> None:
    tools = await by_name(toolset)
    assert sorted(tools) == [
        "add",
        "crash",
        "echo",
        "fail",
        "files_read",
        "meet",
        "picture",
        "pid",
        "slow_steps",
        "wait",
        "waiting",
    ]
    add = tools["add"]
    assert add.description == "Add two integers."
    assert add.spec.parameters["required"] == ["a", "b"]
    assert add.spec.parameters["properties"]["a"] == {"type": "integer"}
    assert add.category == "mcp"
    assert await add.function(a=2, b=3) == "5"
    assert await tools["files_read"].function(path="a.txt") == "contents of a.txt"
    assert await tools["picture"].function() == [ImagePart(data=PNG, media_type="image/png")]


async def test_an_agent_uses_the_tools_and_sees_errors(toolset: MCPToolset) -> None:
    model = ScriptedModel(
        [
            [tool_call("add", a=20, b=22), tool_call("picture"), tool_call("fail", reason="boom")],
            "20 + 22 = 42, and here is a picture.",
        ]
    )
    result = await Agent(model, tools=await toolset.tools()).run("Go.")
    add, picture, fail = result.steps[0].tool_results
    assert (add.text, add.is_error) == ("42", False)
    assert picture.content == [ImagePart(data=PNG, media_type="image/png")]
    assert fail.is_error and "fail" in fail.text
    assert result.output == "20 + 22 = 42, and here is a picture."


async def test_the_session_survives_a_cancelled_call(toolset: MCPToolset) -> None:
    tools = await by_name(toolset)
    before = await tools["pid"].function()
    task = asyncio.create_task(tools["wait"].function(seconds=60))
    for _ in range(3000):  # cancel only once the call is in progress on the server
        if await tools["waiting"].function() == "1":
            break
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await tools["add"].function(a=1, b=1) == "2"
    assert await tools["pid"].function() == before


async def test_concurrent_runs_share_one_session(toolset: MCPToolset) -> None:
    tools = await toolset.tools()

    async def one_run(n: int) -> str:
        model = ScriptedModel([tool_call("echo", text=f"run{n}"), tool_call("meet", n=8), "done"])
        result = await Agent(model, tools=tools).run("Go.")
        return result.steps[0].tool_results[0].text + " " + result.steps[1].tool_results[0].text

    answers = await asyncio.gather(*(one_run(n) for n in range(8)))
    # "met": all eight calls were on the server at once (one session, no queueing).
    assert answers == [f"run{n} met" for n in range(8)]
    pids = {await (await by_name(toolset))["pid"].function() for _ in range(3)}
    assert len(pids) == 1


async def test_a_slow_call_times_out_and_the_session_stays() -> None:
    toolset = stdio_toolset(timeout=0.5)
    try:
        tools = await by_name(toolset)
        pid = await tools["pid"].function()
        with pytest.raises(ToolError, match=r"'wait' did not answer within 0.5 s"):
            await tools["wait"].function(seconds=60)
        assert await tools["pid"].function() == pid
    finally:
        await toolset.aclose()


async def test_a_server_that_dies_mid_call_gives_a_tool_error_then_reconnects(
    toolset: MCPToolset,
) -> None:
    tools = await by_name(toolset)
    pid = await tools["pid"].function()
    with pytest.raises(ToolError, match="connection to the MCP server .* was lost during 'crash'"):
        await tools["crash"].function()
    assert await tools["add"].function(a=1, b=2) == "3"
    assert await tools["pid"].function() != pid


async def test_an_agent_run_survives_a_crashing_server(toolset: MCPToolset) -> None:
    model = ScriptedModel([tool_call("crash"), tool_call("add", a=1, b=1), "Recovered."])
    result = await Agent(model, tools=await toolset.tools()).run("Go.")
    assert result.steps[0].tool_results[0].is_error
    assert result.steps[1].tool_results[0].text == "2"
    assert result.output == "Recovered."


async def test_a_server_that_cannot_start_is_a_tool_error() -> None:
    missing = MCPToolset.stdio("no-such-mcp-server-xyz")
    with pytest.raises(ToolError, match="Cannot connect to the MCP server no-such-mcp-server-xyz"):
        await missing.tools()
    quits = MCPToolset.stdio(sys.executable, ["-c", "pass"], connect_timeout=10)
    with pytest.raises(ToolError, match="Cannot connect"):
        await quits.tools()
    silent = MCPToolset.stdio(
        sys.executable, ["-c", "import time; time.sleep(30)"], connect_timeout=0.5
    )
    with pytest.raises(ToolError, match=r"did not start within 0.5 s"):
        await silent.tools()
    await silent.aclose()


async def test_prefix_include_exclude() -> None:
    toolset = stdio_toolset(prefix="calc_", include=["add", "echo", "crash"], exclude=["crash"])
    try:
        assert [t.name for t in await toolset.tools()] == ["calc_add", "calc_echo"]
    finally:
        await toolset.aclose()


async def test_streamable_http(http_server_url: str) -> None:
    toolset = MCPToolset.http(http_server_url, headers={"X-Client": "llmkit-tests"})
    try:
        tools = await by_name(toolset)
        assert "add" in tools
        assert await tools["add"].function(a=4, b=5) == "9"
        assert await tools["picture"].function() == [ImagePart(data=PNG, media_type="image/png")]
        with pytest.raises(ToolError, match="did not answer"):
            await MCPToolset.http(http_server_url, timeout=0.3).call("wait", {"seconds": 3})
    finally:
        await toolset.aclose()


def test_sync_code_and_several_event_loops() -> None:
    toolset = stdio_toolset()
    tools = toolset.tools_sync()
    model = ScriptedModel([tool_call("add", a=2, b=2), "4"])
    assert Agent(model, tools=tools).run_sync("Go.").steps[0].tool_results[0].text == "4"
    # From another event loop the same session answers (forwarded to its owner loop).
    pid = asyncio.run(toolset.call("pid", {}))
    assert asyncio.run(toolset.call("pid", {})) == pid
    toolset.close_sync()
    # Opened on a loop that has ended, the toolset reconnects on the next loop.
    other = stdio_toolset()
    first = asyncio.run(other.call("pid", {}))
    second = asyncio.run(other.call("pid", {}))
    assert first != second
    asyncio.run(other.aclose())


def test_bad_configuration_and_a_missing_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UsageError, match="http or https"):
        MCPToolset.http("ws://example.com/mcp")
    with pytest.raises(UsageError, match="positive"):
        stdio_toolset(timeout=0)
    monkeypatch.setitem(sys.modules, "mcp", None)
    with pytest.raises(UsageError, match=r"pip install 'llmkit\[mcp\]'"):
        asyncio.run(stdio_toolset().tools())


def test_importing_the_module_does_not_import_the_sdk() -> None:
    code = "import sys, llmkit.tools.mcp, llmkit.tools.builtin; print('mcp' in sys.modules, 'httpx2' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "False"]


def test_bad_progress_and_sampling_options_say_what_to_pass() -> None:
    with pytest.raises(UsageError, match=r"on_progress= takes a function"):
        stdio_toolset(on_progress="print")
    with pytest.raises(UsageError, match=r"bus= takes a llmkit Bus"):
        stdio_toolset(bus=object())
    with pytest.raises(UsageError, match=r"approve_sampling= needs sampling_model="):
        stdio_toolset(approve_sampling=lambda request: True)
    with pytest.raises(UsageError, match=r"sampling_model= takes a Model"):
        stdio_toolset(sampling_model=42)
    model = ScriptedModel(["x"])
    with pytest.raises(UsageError, match=r"sampling_max_tokens= takes a positive"):
        stdio_toolset(sampling_model=model, sampling_max_tokens=0)
    with pytest.raises(UsageError, match=r"sampling_max_requests= takes a number"):
        stdio_toolset(sampling_model=model, sampling_max_requests=-1)
    assert stdio_toolset().sampler is None
    assert stdio_toolset(sampling_model=model).sampler is not None


async def test_a_failing_on_progress_does_not_fail_the_call(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(event: object) -> None:
        raise RuntimeError("display gone")

    toolset = stdio_toolset(on_progress=broken, timeout=20)
    try:
        assert await toolset.call("slow_steps", {"steps": 2}) == "2 steps"
    finally:
        await toolset.aclose()
    assert "on_progress raised" in caplog.text


async def test_an_async_on_progress_runs_on_the_callers_loop() -> None:
    seen: list[tuple[float, float | None, str | None]] = []
    loop = asyncio.get_running_loop()

    async def record(event: Any) -> None:
        assert asyncio.get_running_loop() is loop
        seen.append((event.progress, event.total, event.message))

    toolset = stdio_toolset(on_progress=record, timeout=20)
    try:
        await toolset.call("slow_steps", {"steps": 2})
        await asyncio.sleep(0)  # the last report's task
    finally:
        await toolset.aclose()
    assert seen == [(1, 2, "step 1"), (2, 2, "step 2")]


def test_progress_from_a_session_on_another_loop_reaches_the_callers_loop() -> None:
    seen: list[str] = []
    toolset = stdio_toolset(timeout=20, on_progress=lambda e: seen.append(e.message))
    toolset.tools_sync()  # the session lives on llmkit's background loop

    async def call_here() -> Any:
        return await toolset.call("slow_steps", {"steps": 2})

    assert asyncio.run(call_here()) == "2 steps"
    toolset.close_sync()
    assert seen == ["step 1", "step 2"]


async def test_a_server_that_forgets_the_new_session_too_fails_clearly() -> None:
    from .conftest import free_port
    from .forgetful import forgetful_server

    with forgetful_server(free_port()) as url:
        toolset = MCPToolset.http(url, timeout=10)
        try:
            with pytest.raises(ToolError) as caught:
                await toolset.call("add", {"a": 1, "b": 2})
        finally:
            await toolset.aclose()
    assert str(caught.value) == (
        f"The MCP server {url} refused the call of 'add': it did not know the session "
        "(HTTP 404 at /mcp) twice, the second time right after a new session was opened. "
        "Check that the URL reaches one server."
    )

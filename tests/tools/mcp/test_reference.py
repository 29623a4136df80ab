"""MCPToolset against the reference MCP servers, over stdio and streamable HTTP.

The servers are the ones nobody on this project wrote: ``@modelcontextprotocol/server-everything``
and ``@modelcontextprotocol/server-filesystem`` from npm, ``mcp-server-time`` from PyPI (installed
by ``make mcp-servers``). Process hygiene is checked by pid, through /proc.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from llmkit import Agent
from llmkit.bus import Bus, use_bus
from llmkit.cli import main
from llmkit.errors import ToolError
from llmkit.events import ToolProgress
from llmkit.recording import record
from llmkit.testing import ScriptedModel, tool_call
from llmkit.tools.mcp import AGENT_MODEL, MCPToolset, SamplingRequest
from llmkit.types import ImagePart

from .conftest import MARK, free_port, marked, reference

pytestmark = [pytest.mark.anyio, pytest.mark.mcp_servers]

QUIET = open(os.devnull, "w")  # noqa: SIM115  (the servers' stderr, for the whole module)


def everything(mark: str = "", **options: Any) -> MCPToolset:
    env = {MARK: mark} if mark else {}
    return MCPToolset.stdio(
        str(reference("everything")), ["stdio"], env=env, errlog=QUIET, **options
    )


async def by_name(toolset: MCPToolset) -> dict[str, Any]:
    return {t.name: t for t in await toolset.tools()}


# ------------------------------------------------------------------ what works: the three servers


async def test_the_everything_server_over_stdio(mark: str, no_leaks: Callable[[], None]) -> None:
    toolset = everything(mark, timeout=20)
    try:
        tools = await by_name(toolset)
        assert {"echo", "get-sum", "get-tiny-image", "trigger-long-running-operation"} <= set(tools)
        assert await tools["get-sum"].function(a=2, b=40) == "The sum of 2 and 40 is 42."
        image = await tools["get-tiny-image"].function()
        assert any(isinstance(part, ImagePart) for part in image)
        assert len(marked(mark)) == 1
    finally:
        await toolset.aclose()
    no_leaks()


async def test_the_filesystem_server_reads_and_refuses(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("tides at noon\n")
    toolset = MCPToolset.stdio(
        str(reference("filesystem")), [str(tmp_path)], errlog=QUIET, timeout=20
    )
    try:
        tools = await by_name(toolset)
        read = tools["read_text_file"]
        assert "tides at noon" in await read.function(path=str(tmp_path / "notes.txt"))
        with pytest.raises(ToolError, match="denied|outside"):
            await read.function(path="/etc/hostname")
    finally:
        await toolset.aclose()


def test_the_time_server_from_pypi_under_the_sync_twins(
    mark: str, no_leaks: Callable[[], None]
) -> None:
    toolset = MCPToolset.stdio(
        str(reference("time")), [], env={MARK: mark}, errlog=QUIET, timeout=20
    )
    tools = {t.name: t for t in toolset.tools_sync()}
    model = ScriptedModel(
        [
            tool_call(
                "convert_time", source_timezone="UTC", time="12:00", target_timezone="Asia/Tokyo"
            ),
            "Noon in UTC is 21:00 in Tokyo.",
        ]
    )
    result = Agent(model, tools=list(tools.values())).run_sync("Noon UTC in Tokyo?")
    assert "21:00" in result.steps[0].tool_results[0].text
    assert len(marked(mark)) == 1
    toolset.close_sync()
    no_leaks()


# ------------------------------------------------------------------ 1. no server process is left


async def test_a_server_that_never_starts_is_stopped_and_reaped(
    mark: str, no_leaks: Callable[[], None]
) -> None:
    toolset = MCPToolset.stdio("sleep", ["600"], env={MARK: mark}, connect_timeout=1)
    with pytest.raises(ToolError, match=r"did not start within 1 s"):
        await toolset.tools()
    no_leaks()  # at once: the process was reaped before the error was raised
    with pytest.raises(ToolError, match=r"did not start within 1 s"):
        await toolset.tools()
    no_leaks()
    await toolset.aclose()


def test_a_server_that_never_starts_under_tools_sync(
    mark: str, no_leaks: Callable[[], None]
) -> None:
    toolset = MCPToolset.stdio("sleep", ["600"], env={MARK: mark}, connect_timeout=1)
    with pytest.raises(ToolError, match=r"did not start within 1 s"):
        toolset.tools_sync()
    no_leaks()


async def test_no_reference_server_outlives_a_timeout_a_crash_or_aclose(
    mark: str, no_leaks: Callable[[], None]
) -> None:
    toolset = everything(mark, timeout=0.5)
    tools = await by_name(toolset)
    first = marked(mark)
    assert len(first) == 1
    with pytest.raises(ToolError, match="did not answer within 0.5 s"):
        await tools["trigger-long-running-operation"].function(duration=30, steps=2)
    assert marked(mark) == first  # a slow call does not cost the session
    os.kill(first[0], 9)  # the server dies between calls: the next call starts a new one
    with pytest.raises(ToolError, match="was lost|Cannot connect"):
        await tools["get-sum"].function(a=1, b=1)
    assert await tools["get-sum"].function(a=1, b=1) == "The sum of 1 and 1 is 2."
    assert marked(mark) not in ([], first)
    await toolset.aclose()
    no_leaks()


def test_sessions_on_loops_that_ended_leave_no_server(
    mark: str, no_leaks: Callable[[], None]
) -> None:
    toolset = everything(mark, timeout=20)
    for _ in range(2):
        asyncio.run(toolset.call("get-sum", {"a": 1, "b": 2}))
    toolset.close_sync()
    no_leaks()


# ------------------------------------------------------------------ 2. a restarted HTTP server


async def test_an_http_server_restarted_while_idle_gets_a_new_session(
    everything_http: Callable[[], str],
) -> None:
    url = everything_http()
    toolset = MCPToolset.http(url, timeout=20)
    try:
        tools = await by_name(toolset)
        assert await tools["get-sum"].function(a=1, b=2) == "The sum of 1 and 2 is 3."
        everything_http()  # the same port, a new process: it knows no session
        # It answers the old session id with 400 (the specification says 404): a new session.
        assert await tools["get-sum"].function(a=2, b=2) == "The sum of 2 and 2 is 4."
        everything_http()
        assert len(await toolset.list_tools()) == len(tools)
    finally:
        await toolset.aclose()


async def test_our_http_server_restarted_answers_404_and_gets_a_new_session() -> None:
    import subprocess

    from .conftest import SERVER, stop, wait_for_port

    port = free_port()

    def start() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [sys.executable, str(SERVER), "--http", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(port, proc, "the MCP test server")
        return proc

    proc = start()
    toolset = MCPToolset.http(f"http://127.0.0.1:{port}/mcp", timeout=20)
    try:
        assert await toolset.call("add", {"a": 1, "b": 2}) == "3"
        stop(proc)
        proc = start()
        assert await toolset.call("add", {"a": 2, "b": 2}) == "4"
    finally:
        await toolset.aclose()
        stop(proc)


# ------------------------------------------------------------------ 3. readable causes


async def test_nothing_listening_says_connection_refused() -> None:
    port = free_port()
    toolset = MCPToolset.http(
        f"http://127.0.0.1:{port}/mcp", headers={"Authorization": "Bearer sk-not-shown-1234"}
    )
    with pytest.raises(ToolError) as caught:
        await toolset.tools()
    assert str(caught.value) == (
        f"Cannot connect to the MCP server http://127.0.0.1:{port}/mcp: "
        f"connection refused at 127.0.0.1:{port}."
    )


async def test_a_wrong_path_says_http_404_at_the_path(everything_http: Callable[[], str]) -> None:
    url = everything_http().replace("/mcp", "/nope")
    toolset = MCPToolset.http(url, headers={"Authorization": "Bearer sk-not-shown-1234"})
    with pytest.raises(ToolError) as caught:
        await toolset.tools()
    message = str(caught.value)
    assert "HTTP 404 at /nope" in message
    assert "sk-not-shown" not in message


async def test_a_server_that_exits_says_its_code_and_stderr(
    tmp_path: Path, mark: str, no_leaks: Callable[[], None]
) -> None:
    missing = tmp_path / "no-such-dir"
    toolset = MCPToolset.stdio(
        str(reference("filesystem")), [str(missing)], env={MARK: mark}, errlog=QUIET
    )
    with pytest.raises(ToolError) as caught:
        await toolset.tools()
    message = str(caught.value)
    assert "the server process exited with code 1" in message
    assert "the last lines of its stderr" in message
    assert str(missing) in message  # the server's own words about the directory
    no_leaks()


async def test_exit_code_3_with_stderr_and_no_secret_in_the_message() -> None:
    code = (
        "import os, sys; print('starting with key', os.environ['API_KEY'], file=sys.stderr); "
        "print('config file not found', file=sys.stderr); sys.exit(3)"
    )
    secret = "sk-live-0123456789abcdef"
    toolset = MCPToolset.stdio(sys.executable, ["-c", code], env={"API_KEY": secret}, errlog=QUIET)
    with pytest.raises(ToolError) as caught:
        await toolset.tools()
    message = str(caught.value)
    assert "the server process exited with code 3" in message
    assert message.endswith("config file not found")
    assert secret not in message


async def test_a_server_that_dies_mid_call_says_how() -> None:
    toolset = MCPToolset.stdio(sys.executable, [str(Path(__file__).with_name("server.py"))])
    try:
        with pytest.raises(
            ToolError, match=r"lost during 'crash' .*: the server process exited with code 3"
        ):
            await toolset.call("crash", {})
    finally:
        await toolset.aclose()


# ------------------------------------------------------------------ 4. sampling


async def test_without_a_sampling_model_the_capability_is_not_declared() -> None:
    toolset = everything(timeout=20)
    try:
        assert "trigger-sampling-request" not in await by_name(toolset)
    finally:
        await toolset.aclose()


async def test_a_sampling_model_answers_the_server() -> None:
    model = ScriptedModel(["Tides follow the moon."])
    toolset = everything(timeout=20, sampling_model=model, sampling_max_tokens=50)
    try:
        tools = await by_name(toolset)
        text = await tools["trigger-sampling-request"].function(prompt="Why tides?", maxTokens=80)
        assert "Tides follow the moon." in text
        [request] = model.requests
        assert request.max_tokens == 50  # the server asked 80, the toolset caps at 50
        assert request.messages[0].text == "You are a helpful test server."
        assert "Why tides?" in request.messages[1].text
    finally:
        await toolset.aclose()


async def test_a_refused_sampling_request_is_an_mcp_error_for_the_server() -> None:
    seen: list[SamplingRequest] = []

    def approve(request: SamplingRequest) -> bool:
        seen.append(request)
        return "allowed" in request.messages[-1].text

    model = ScriptedModel(["yes"])
    toolset = everything(timeout=20, sampling_model=model, approve_sampling=approve)
    try:
        tools = await by_name(toolset)
        with pytest.raises(ToolError, match="refused this sampling request"):
            await tools["trigger-sampling-request"].function(prompt="forbidden")
        assert model.requests == []
        assert "yes" in await tools["trigger-sampling-request"].function(prompt="allowed")
        assert [r.max_tokens for r in seen] == [100, 100]
    finally:
        await toolset.aclose()


async def test_sampling_stops_at_the_request_limit() -> None:
    model = ScriptedModel(["one", "two"])
    toolset = everything(timeout=20, sampling_model=model, sampling_max_requests=1)
    try:
        tools = await by_name(toolset)
        assert "one" in await tools["trigger-sampling-request"].function(prompt="a")
        with pytest.raises(ToolError, match="at most 1 sampling requests"):
            await tools["trigger-sampling-request"].function(prompt="b")
        assert len(model.requests) == 1
    finally:
        await toolset.aclose()


async def test_the_running_agents_model_answers_with_agent_model() -> None:
    model = ScriptedModel(
        [tool_call("trigger-sampling-request", prompt="Say hi."), "Hi from the agent.", "Done."]
    )
    toolset = everything(timeout=20, sampling_model=AGENT_MODEL)
    try:
        result = await Agent(model, tools=await toolset.tools()).run("Go.")
        assert "Hi from the agent." in result.steps[0].tool_results[0].text
        assert result.output == "Done."
        # Outside an agent run there is no model to answer with: refused.
        with pytest.raises(ToolError, match="No agent is calling"):
            await toolset.call("trigger-sampling-request", {"prompt": "x"})
    finally:
        await toolset.aclose()


# ------------------------------------------------------------------ 5. progress


async def test_progress_goes_to_the_callback_and_the_bus() -> None:
    bus = Bus()
    on_bus: list[ToolProgress] = []
    bus.on("tool.progress", on_bus.append, inline=True)
    seen: list[ToolProgress] = []
    toolset = everything(timeout=20, on_progress=seen.append, bus=bus, prefix="ev_")
    try:
        await toolset.call("trigger-long-running-operation", {"duration": 0.3, "steps": 3})
    finally:
        await toolset.aclose()
    assert [(e.progress, e.total) for e in seen] == [(1, 3), (2, 3), (3, 3)]
    assert {e.tool for e in seen} == {"ev_trigger-long-running-operation"}
    assert on_bus == seen


async def test_progress_events_name_the_agent_run_and_call() -> None:
    bus = Bus()
    seen: list[ToolProgress] = []
    bus.on("tool.progress", seen.append, inline=True)
    model = ScriptedModel(
        [tool_call("trigger-long-running-operation", duration=0.2, steps=2), "Finished."]
    )
    toolset = everything(timeout=20)
    try:
        with use_bus(bus):  # the bus the agent and the toolset both publish to
            result = await Agent(model, tools=await toolset.tools()).run("Go.")
    finally:
        await toolset.aclose()
    call = result.steps[0].tool_results[0]
    assert [(e.run_id, e.step, e.call_id, e.progress, e.total) for e in seen] == [
        (result.run_id, 1, call.call_id, 1, 2),
        (result.run_id, 1, call.call_id, 2, 2),
    ]


def test_llmkit_replay_shows_progress_between_the_call_and_its_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "run.jsonl"
    model = ScriptedModel(
        [tool_call("trigger-long-running-operation", duration=0.2, steps=2), "Finished."]
    )
    with record(path) as recorder:
        # A recording keeps what the agent's hooks see; progress is written by the toolset.
        toolset = everything(timeout=20, on_progress=recorder.write)
        try:
            Agent(model, tools=toolset.tools_sync()).run_sync("Go.")
        finally:
            toolset.close_sync()
    assert main(["replay", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    tool = next(i for i, line in enumerate(out) if line.startswith("  [1]    tool "))
    assert out[tool + 1 : tool + 3] == [
        "  [1]    ... trigger-long-running-operation: 1/2",
        "  [1]    ... trigger-long-running-operation: 2/2",
    ]
    assert out[tool + 3].startswith("  [1]    ok trigger-long-running-operation: ")

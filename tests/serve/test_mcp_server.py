"""MCPToolServer in process: what an MCP client sees of llmkit tools and agents (the SDK's client)."""

from __future__ import annotations

import base64
from typing import Any

import mcp
import pytest
from mcp.shared.exceptions import MCPError

from llmkit import Agent, RunContext, Toolbox, tool
from llmkit.errors import ToolError, UsageError
from llmkit.serve import MCPToolServer
from llmkit.testing import ScriptedModel
from llmkit.types import ImagePart

pytestmark = pytest.mark.anyio

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def fail(reason: str) -> str:
    """Fail with a message."""
    raise ValueError(reason)


@tool
def refuse(item: str) -> str:
    """Refuse on purpose, for the caller to read."""
    raise ToolError(f"{item} is out of stock; ask for another item.")


@tool
def picture() -> ImagePart:
    """A tiny PNG image."""
    return ImagePart(data=PNG, media_type="image/png")


@tool(errors="raise")
def strict(n: int) -> int:
    """A tool whose errors would stop an agent's run."""
    raise RuntimeError("broken")


@tool(idempotent=True)
def lookup(key: str) -> dict[str, str]:
    """Look a key up."""
    return {"key": key, "value": key.upper()}


def text_of(result: Any) -> str:
    return "\n".join(item.text for item in result.content if item.type == "text")


async def test_lists_the_tools_with_their_schemas() -> None:
    server = MCPToolServer(Toolbox([add, lookup]), name="calc")
    async with mcp.Client(server.sdk_server()) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
        assert client.server_info is not None
        assert client.server_info.name == "calc"
    assert set(listed) == {"add", "lookup"}
    assert listed["add"].description == "Add two integers."
    assert listed["add"].input_schema == add.spec.parameters
    assert listed["lookup"].annotations is not None
    assert listed["lookup"].annotations.idempotent_hint is True


async def test_a_call_answers_with_the_tool_s_value() -> None:
    server = MCPToolServer([add, lookup])
    async with mcp.Client(server.sdk_server()) as client:
        summed = await client.call_tool("add", {"a": 2, "b": 3})
        found = await client.call_tool("lookup", {"key": "tide"})
    assert (summed.is_error, text_of(summed)) == (False, "5")
    assert text_of(found) == '{"key":"tide","value":"TIDE"}'


async def test_arguments_that_do_not_fit_are_an_error_result_that_says_what_to_fix() -> None:
    server = MCPToolServer([add])
    async with mcp.Client(server.sdk_server()) as client:
        result = await client.call_tool("add", {"a": "two", "b": 3})
        missing = await client.call_tool("add", {"a": 1})
    assert result.is_error
    assert text_of(result).startswith("Invalid arguments for add:\n- a: ")
    assert "Fix them and call the tool again." in text_of(result)
    assert missing.is_error
    assert "b" in text_of(missing)


async def test_an_exception_in_a_tool_is_an_error_result_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = MCPToolServer([fail, strict, refuse])
    async with mcp.Client(server.sdk_server()) as client:
        failed = await client.call_tool("fail", {"reason": "disk full"})
        raised = await client.call_tool("strict", {"n": 1})
        refused = await client.call_tool("refuse", {"item": "bread"})
    assert failed.is_error
    assert text_of(failed) == "Tool fail raised ValueError: disk full."
    assert raised.is_error
    assert text_of(raised) == "Tool 'strict' raised RuntimeError: broken."
    assert refused.is_error
    assert text_of(refused) == "bread is out of stock; ask for another item."
    for result in (failed, raised, refused):
        assert "Traceback" not in text_of(result)
    # The traceback is not lost: it goes to the log (stderr), never to the client.
    assert any(r.exc_info and "disk full" in str(r.exc_info[1]) for r in caplog.records)


async def test_an_unknown_tool_is_an_invalid_params_error_naming_the_tools() -> None:
    server = MCPToolServer([add, fail])
    async with mcp.Client(server.sdk_server()) as client:
        with pytest.raises(MCPError) as caught:
            await client.call_tool("substract", {"a": 1})
    assert caught.value.error.code == -32602
    assert "Unknown tool 'substract'; the tools are: add, fail." in str(caught.value)


async def test_an_image_goes_as_mcp_image_content() -> None:
    server = MCPToolServer([picture])
    async with mcp.Client(server.sdk_server()) as client:
        result = await client.call_tool("picture", {})
    [item] = result.content
    assert item.type == "image"
    assert item.mime_type == "image/png"
    assert base64.b64decode(item.data) == PNG


async def test_an_agent_is_served_as_a_tool_that_takes_its_input() -> None:
    model = ScriptedModel(["Order 42 ships on Monday."])
    support = Agent(model, name="support", description="Answers questions about orders.")
    server = MCPToolServer([support])
    async with mcp.Client(server.sdk_server()) as client:
        [listed] = (await client.list_tools()).tools
        result = await client.call_tool("support", {"input": "Where is order 42?"})
    assert listed.name == "support"
    assert listed.description == "Answers questions about orders."
    assert listed.input_schema["required"] == ["input"]
    assert (result.is_error, text_of(result)) == (False, "Order 42 ships on Monday.")
    assert model.requests[0].messages[-1].text == "Where is order 42?"


async def test_tools_taking_a_context_get_the_server_s_deps() -> None:
    @tool
    def whoami(ctx: RunContext[dict[str, str]]) -> str:
        """The user the server runs for."""
        return ctx.deps["user"]

    server = MCPToolServer([whoami], deps={"user": "ada"})
    async with mcp.Client(server.sdk_server()) as client:
        result = await client.call_tool("whoami", {})
    assert text_of(result) == "ada"


async def test_call_runs_a_tool_without_a_client() -> None:
    server = MCPToolServer([add])
    result = await server.call("add", {"a": 40, "b": 2})
    assert (result.is_error, result.content) == (False, "42")
    with pytest.raises(UsageError, match="No tool named 'mul' here; the tools are: add"):
        await server.call("mul", {})


def plain_function(x: int) -> int:
    """Double a number."""
    return 2 * x


def test_a_plain_function_and_nested_lists_are_gathered() -> None:
    server = MCPToolServer([[add, plain_function], Toolbox([lookup])])
    assert list(server.tools) == ["add", "plain_function", "lookup"]


@pytest.mark.parametrize(
    ("tools", "message"),
    [
        ([], "There is no tool to serve"),
        ([add, add], "Two tools are named 'add'"),
        ("add", "Cannot serve a str as a tool"),
        ({"add": add}, "Cannot serve a dict as a tool"),
        (42, "Cannot serve a int as a tool"),
    ],
)
def test_what_cannot_be_served_is_refused_before_serving(tools: Any, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        MCPToolServer(tools)


def test_a_tool_that_requires_approval_is_refused() -> None:
    @tool(requires_approval=True)
    def delete_all() -> str:
        """Delete everything."""
        return "gone"

    with pytest.raises(UsageError, match="requires approval, and an MCP client calls tools"):
        MCPToolServer([add, delete_all])


def test_importing_llmkit_serve_loads_no_mcp() -> None:
    import subprocess
    import sys

    code = "import sys, llmkit.serve; print('mcp' in sys.modules, 'mcp_types' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


async def test_serving_http_on_a_port_in_use_is_a_usage_error_naming_it() -> None:
    import io
    import socket

    taken = socket.create_server(("127.0.0.1", 0))
    with taken:
        port = taken.getsockname()[1]
        announced = io.StringIO()
        with pytest.raises(UsageError, match=f"Cannot listen on 127.0.0.1:{port}"):
            await MCPToolServer([add]).serve_http(port=port, announce=announced)
        assert announced.getvalue() == ""  # nothing announced: nothing listens

"""LuaJIT drives libllmkit.so through its FFI: examples/capi/agent.lua runs as a user runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmkit.capi import Built
from llmkit.testing import FakeProviderServer

from ._langs import (
    EXAMPLES,
    PARIS,
    example_env,
    script_weather,
    succeeded,
    tool_results,
    which_or_skip,
)
from .conftest import RunProgram

pytestmark = pytest.mark.capi


def test_the_lua_example_runs_a_lua_tool_streams_and_reports_an_error(
    capi_library: Built, llmkit_fake_server: FakeProviderServer, run_program: RunProgram
) -> None:
    luajit = Path(which_or_skip("luajit", "make luajit"))
    script_weather(llmkit_fake_server, stream_tool=False)
    env = example_env(capi_library, llmkit_fake_server)
    out = succeeded(run_program(luajit, str(EXAMPLES / "agent.lua"), env=env))
    lines = out.splitlines()
    assert lines[0].startswith("llmkit ") and lines[0].endswith(", ABI 1")
    assert "[lua tool] get_weather(Paris)" in lines
    assert "[run] kind run_result" in lines
    assert f"[run] output: {PARIS}" in lines
    count, kinds = next(line for line in lines if line.startswith("[stream] ")).split(": ", 1)
    kinds_list = kinds.split()
    assert count == f"[stream] {len(kinds_list)} events"
    assert kinds_list[0] == "run.start" and kinds_list[-1] == "run.end"
    assert "model.text_delta" in kinds_list and "tool.call" not in kinds_list
    assert "[error] status 2: " in out  # LLMKIT_ERR_JSON, with a message
    assert lines[-1] == "done"
    requests = [r.json for r in llmkit_fake_server.requests]
    assert len(requests) == 3
    # What the Lua function returned reached the model as the tool's result.
    results = tool_results(llmkit_fake_server)
    assert any('"Paris"' in r and "sunny" in r for r in results), results
    # The streamed run offered no tool: no Lua callback can run while events come.
    assert "tools" in requests[0] and not requests[2].get("tools")


# A tool whose Lua code fails: pcall catches the error (it must not unwind through C), the
# callback returns NULL, and the run fails with LLMKIT_ERR_TOOL and a message.
_FAILING_TOOL = """
local ffi = require("ffi")
local dir = os.getenv("LLMKIT_CAPI_DIR")
local header = assert(io.open(dir .. "/llmkit.h")):read("*a")
ffi.cdef(header:match("/%* llmkit%-api%-begin.-%*/(.-)/%* llmkit%-api%-end %*/"))
local llmkit = ffi.load(dir .. "/libllmkit.so", true)
assert(llmkit.llmkit_init('{"tool_threads": 1}') == llmkit.LLMKIT_OK)
local client = llmkit.llmkit_client_new(string.format(
  '{"model": "openai/m", "base_url": "%s", "api_key": "k"}', os.getenv("LLMKIT_BASE_URL")))
local tool = ffi.cast("llmkit_tool_fn", function(args, userdata)
  local ok = pcall(error, "the weather station is down")
  assert(not ok)
  return nil
end)
assert(llmkit.llmkit_tool_register(client, "get_weather", '{"type": "object"}', tool, nil) == 0)
local out = ffi.new("char *[1]")
local status = llmkit.llmkit_run(client, '{"input": "Weather in Paris?"}', out)
print(string.format("status %d, out %s: %s", tonumber(status), tostring(out[0] == nil),
  ffi.string(llmkit.llmkit_last_error(client))))
llmkit.llmkit_client_free(client)
"""


def test_a_lua_tool_that_fails_returns_null_and_the_run_gets_the_tool_status(
    capi_library: Built,
    llmkit_fake_server: FakeProviderServer,
    run_program: RunProgram,
    tmp_path: Path,
) -> None:
    luajit = Path(which_or_skip("luajit", "make luajit"))
    script_weather(llmkit_fake_server)
    script = tmp_path / "failing_tool.lua"
    script.write_text(_FAILING_TOOL)
    env = example_env(capi_library, llmkit_fake_server)
    out = succeeded(run_program(luajit, str(script), env=env))
    assert out.startswith("status 6, out true: "), out  # LLMKIT_ERR_TOOL, *out_json left NULL
    assert "get_weather" in out

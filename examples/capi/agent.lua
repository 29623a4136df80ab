--[[
An llmkit agent driven from LuaJIT through its FFI: a tool written in Lua, a run, a stream.

    make capi                                    # build/capi/libllmkit.so and llmkit.h
    python -m llmkit.testing serve               # a fake provider server; prints its URL
    LLMKIT_BASE_URL=http://127.0.0.1:PORT/v1 luajit examples/capi/agent.lua

The declarations come from llmkit.h itself (the block between its llmkit-api-begin
and llmkit-api-end lines, which is plain C that ffi.cdef reads), so this script and
the library cannot disagree. LLMKIT_CAPI_DIR names the folder of the library and
header (default build/capi).

A Lua state is single-threaded, and llmkit calls tool callbacks on its own worker
threads, so the script keeps two rules that make sure the state is never entered twice
at once. Lua tools run only under llmkit_run, whose calling thread waits in C, with
llmkit started with one tool thread, so one tool runs at a time. A stream calls its
event callback on the calling thread while the run's tools run on the workers, so the
streamed run offers no Lua tool ("tools": []). A Lua error must not unwind through
llmkit's C frames either: the tool catches it with pcall and returns NULL, which fails
the run with LLMKIT_ERR_TOOL and a message.
]]

local ffi = require("ffi")

local dir = os.getenv("LLMKIT_CAPI_DIR") or "build/capi"
local base_url = os.getenv("LLMKIT_BASE_URL")
if not base_url then
  io.stderr:write("set LLMKIT_BASE_URL to a provider's base URL, such as the one that\n",
    "python -m llmkit.testing serve prints, followed by /v1\n")
  os.exit(2)
end

local header = assert(io.open(dir .. "/llmkit.h")):read("*a")
local api = assert(header:match("/%* llmkit%-api%-begin.-%*/(.-)/%* llmkit%-api%-end %*/"),
  "llmkit.h has no llmkit-api-begin/end block")
ffi.cdef(api)
ffi.cdef("char *strdup(const char *s);")
-- A plain ffi.load (RTLD_LOCAL) is enough: the library makes its libpython global itself.
local llmkit = ffi.load(dir .. "/libllmkit.so")

-- One value of a JSON text, named by a JSON Pointer ("/data/output"), read by llmkit's own
-- JSON utility: a string as plain text, any other value as JSON; nil when there is none.
local function json_text(json, pointer)
  local text = ffi.new("char *[1]")
  if llmkit.llmkit_json_text(json, pointer, text) ~= llmkit.LLMKIT_OK then return nil end
  local value = ffi.string(text[0])
  llmkit.llmkit_free(text[0])
  return value
end

-- A Lua string as a JSON string, to write the options (the API reads JSON, it writes none).
local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

local function check(status, client)
  if status ~= llmkit.LLMKIT_OK then
    error(string.format("llmkit status %d: %s", tonumber(status),
      ffi.string(llmkit.llmkit_last_error(client))), 2)
  end
end

print(string.format("llmkit %s, ABI %d", ffi.string(llmkit.llmkit_version()),
  llmkit.llmkit_abi_version()))
check(llmkit.llmkit_init('{"tool_threads": 1}'), nil)

local client = llmkit.llmkit_client_new(string.format(
  '{"model": "openai/gpt-4.1-mini", "base_url": %s, "api_key": "sk-example",'
  .. ' "instructions": "Answer in one sentence."}', quote(base_url)))
if client == nil then error(ffi.string(llmkit.llmkit_last_error(nil))) end

local function get_weather(args_json)
  local city = json_text(args_json, "/city") or "?"
  print("[lua tool] get_weather(" .. city .. ")")
  return string.format('{"city": %s, "temperature_c": 18, "sky": "sunny"}', quote(city))
end

-- The callback object must stay referenced while llmkit may call it (until the client is freed).
local tool = ffi.cast("llmkit_tool_fn", function(args_json, userdata)
  local ok, result = pcall(get_weather, args_json)
  if not ok then
    io.stderr:write("get_weather failed: ", tostring(result), "\n")
    return nil
  end
  return ffi.C.strdup(result)  -- llmkit frees it with free()
end)
check(llmkit.llmkit_tool_register(client, "get_weather", [[{"type": "object",
  "description": "Current weather in a city.",
  "properties": {"city": {"type": "string"}}, "required": ["city"]}]], tool, nil), client)

local out = ffi.new("char *[1]")
check(llmkit.llmkit_run(client, '{"input": "What is the weather in Paris?"}', out), client)
local result = ffi.string(out[0])
llmkit.llmkit_free(out[0])
print("[run] kind " .. json_text(result, "/kind"))
print("[run] output: " .. json_text(result, "/data/output"))

local kinds = {}
local on_event = ffi.cast("llmkit_event_fn", function(event_json, userdata)
  kinds[#kinds + 1] = json_text(event_json, "/kind") or "?"
  return 0
end)
-- No Lua tool in a stream: its events come on this thread while its tools would run on others.
check(llmkit.llmkit_stream(client, '{"input": "And in Rome?", "tools": []}', on_event, nil),
  client)
print("[stream] " .. #kinds .. " events: " .. table.concat(kinds, " "))

local bad = llmkit.llmkit_run(client, "{not json", out)
print(string.format("[error] status %d: %s", tonumber(bad),
  ffi.string(llmkit.llmkit_last_error(client))))

llmkit.llmkit_client_free(client)
on_event:free()
tool:free()
print("done")

-- The engine's own Lua code, run once per interpreter before any script. It receives the
-- Python clock and returns the table K of internals the Python side drives. Scripts never see
-- K, the debug library or the raw coroutine functions: they are upvalues here.
local clock = ...
local pack, unpack = table.pack, table.unpack
local raw_create, raw_resume, raw_yield = coroutine.create, coroutine.resume, coroutine.yield
local raw_status, raw_running, raw_isyieldable = coroutine.status, coroutine.running, coroutine.isyieldable
local sethook, getinfo, traceback = debug.sethook, debug.getinfo, debug.traceback
local raw_cg = collectgarbage
local K = {}

local PENDING = setmetatable({}, { __metatable = false })
local HANDLE = setmetatable({}, { __metatable = false })
local ARRAY = { __name = "array" }
local NULL = setmetatable({}, {
  __metatable = false, __name = "null",
  __tostring = function() return "null" end,
  __newindex = function() error("json.null cannot hold fields", 2) end,
})
K.NULL, K.ARRAY = NULL, ARRAY

-- ------------------------------------------------------------------- limits
-- One budget per run, shared by every coroutine of the run. Once a limit trips, the hook
-- fires at every instruction of any coroutine, so a pcall that catches the error cannot
-- carry on: the script stops at its next instruction.
local STEP = 1000
local L = { used = 0, max = -1, deadline = -1, depth = -1, kind = nil, message = nil, line = -1 }

-- level: where the error points, counted from trip's caller (1: the caller itself).
local function trip(kind, message, level)
  if L.kind == nil then
    local info = getinfo(level + 1, "l")
    L.kind, L.message, L.line = kind, message, info and info.currentline or -1
  end
  error(L.message, level + 1)
end

local hook
hook = function()
  if L.kind ~= nil then
    sethook(raw_running(), hook, "", 1)
    error(L.message, 2)
  end
  L.used = L.used + STEP
  local kind, message
  if L.max >= 0 and L.used > L.max then
    kind, message = "instructions", "instruction limit: the script ran more than " .. L.max .. " instructions"
  elseif L.deadline >= 0 and clock() > L.deadline then
    kind, message = "timeout", "time limit: the script ran past its timeout"
  elseif L.depth >= 0 and getinfo(L.depth + 2, "l") ~= nil then
    kind, message = "recursion", "recursion limit: calls nested deeper than " .. L.depth
  end
  if kind ~= nil then
    sethook(raw_running(), hook, "", 1)
    trip(kind, message, 2)  -- 1: this hook, 2: the function it interrupted
  end
end

function K.configure(max_instructions, deadline, depth)
  L.used, L.max, L.deadline, L.depth, L.kind, L.message = 0, max_instructions, deadline, depth, nil, nil
  L.line = -1
end
function K.tripped() return L.kind, L.message, L.line end
function K.trip(kind, message) if L.kind == nil then L.kind, L.message = kind, message end end
function K.used() return L.used end

local function new_coroutine(f)
  local co = raw_create(f)
  sethook(co, hook, "", STEP)
  return co
end

-- ---------------------------------------------------------- host calls, coroutines
-- A host function answers (0, value), (1, awaitable) or (2, error message). An awaitable is
-- yielded up to the Python driver with the PENDING marker, through any coroutines the script
-- made itself (their resume passes the marker on), and the driver resumes with the answer.
function K.host(fn, level)
  level = level or 2
  return function(...)
    local status, value = fn(...)
    if status == 0 then return value end
    if status == 1 then
      if not raw_isyieldable() then
        error("this call waits for the host and cannot run here (inside a metamethod or a C function)", 2)
      end
      status, value = raw_yield(PENDING, value)
      if status == 0 then return value end
    end
    error(value, level)
  end
end

local function resume(co, ...)
  local r = pack(raw_resume(co, ...))
  while r[1] and r[2] == PENDING and raw_status(co) == "suspended" do
    local back = pack(raw_yield(PENDING, r[3]))
    r = pack(raw_resume(co, unpack(back, 1, back.n)))
  end
  return unpack(r, 1, r.n)
end

local function wrap(f)
  local co = new_coroutine(f)
  return function(...)
    local r = pack(resume(co, ...))
    if r[1] then return unpack(r, 2, r.n) end
    error(r[2], 0)
  end
end

-- The driver's view of one coroutine: step(...) -> ok, finished, value, traceback.
function K.stepper(f)
  local co = new_coroutine(f)
  return function(...)
    local r = pack(raw_resume(co, ...))
    if r[1] then
      if raw_status(co) == "dead" then return true, true, r[2], nil end
      if r[2] == PENDING then return true, false, r[3], nil end
      return false, false, "coroutine.yield outside a coroutine the script made", nil
    end
    local ok, tb = pcall(traceback, co, tostring(r[2]))
    return false, false, r[2], ok and tb or tostring(r[2])
  end
end

-- ------------------------------------------------------------------- values
function K.array(t) return setmetatable(t, ARRAY) end
function K.kind(v)
  if v == NULL then return 2 end
  if rawget(v, HANDLE) ~= nil then return 3 end
  if getmetatable(v) == ARRAY then return 1 end
  return 0
end
function K.handle(t) return rawget(t, HANDLE) end
function K.object(t, handle, methods)
  rawset(t, HANDLE, handle)
  for name, call in pairs(methods) do  -- each already a host function (K.host)
    t[name] = function(self, ...)
      if self ~= t then error("call " .. name .. " with a colon: obj:" .. name .. "(...)", 2) end
      return call(...)
    end
  end
  return t
end
function K.same(v) return v end

-- ------------------------------------------------------------------ sandbox
local SAFE = { "assert", "error", "ipairs", "next", "pairs", "pcall", "rawequal", "rawget", "rawlen",
  "rawset", "select", "setmetatable", "getmetatable", "tonumber", "tostring", "type", "xpcall", "_VERSION" }
local WITHHELD = { os = true, io = true, debug = true, load = true, loadstring = true, dofile = true,
  loadfile = true, require = true, package = true, python = true }

-- No count-1 hook here (it would fire inside trip itself): a pcall that catches the violation
-- meets the hook within STEP instructions, and the driver refuses to go on in any case.
local function violation(what, level)
  trip("sandbox", "sandbox: " .. what, level + 1)  -- level counted from violation's caller
end

local function guarded(t, library, level_name)
  return setmetatable(t, { __metatable = false, __index = function(_, key)
    violation(library .. "." .. tostring(key) .. " is not available in the " .. level_name .. " sandbox", 2)
  end })
end

local function copy(t, except)
  local c = {}
  for k, v in pairs(t) do if k ~= except then c[k] = v end end
  return c
end

function K.lock_strings(level)
  -- Strings index the real string table: take string.dump from it and hide the metatable,
  -- so ("").dump is gone and no script changes what string methods do for the next one.
  if level ~= "permissive" then
    string.dump = nil
    setmetatable(string, { __index = function(_, key)
      if key == "dump" then violation("string.dump is not available in the " .. level .. " sandbox", 2) end
    end })
  end
  getmetatable("").__metatable = "string"
end

local coroutine_lib = { create = new_coroutine, resume = resume, wrap = wrap, yield = raw_yield,
  status = raw_status, running = raw_running, isyieldable = raw_isyieldable, close = coroutine.close }

local function count_only(option)
  if option == nil or option == "count" then return raw_cg("count") end
  violation("collectgarbage(" .. tostring(option) .. ") is not available (only \"count\")", 2)
end

function K.env(level)
  local env
  if level == "permissive" then
    env = copy(_G)
    env.python = nil
  else
    env = {}
    for _, name in ipairs(SAFE) do env[name] = _G[name] end
    env.string = guarded(copy(string, "dump"), "string", level)
    env.table, env.math, env.utf8 = copy(table), copy(math), copy(utf8)
    env.collectgarbage = count_only
    if level == "standard" then
      env.os = guarded({ time = os.time, clock = os.clock, date = os.date, difftime = os.difftime }, "os", level)
    end
    setmetatable(env, { __index = function(_, key)
      if WITHHELD[key] then violation(tostring(key) .. " is not available in the " .. level .. " sandbox", 2) end
    end })
  end
  env.coroutine = coroutine_lib
  env._G = env
  return env
end

function K.load(code, name, env)
  local chunk, problem = load(code, "=" .. name, "t", env)
  return chunk, problem
end

function K.print_with(write)
  local tostring, select, concat = tostring, select, table.concat
  return function(...)
    local n, parts = select("#", ...), {}
    for i = 1, n do parts[i] = tostring((select(i, ...))) end
    write(concat(parts, "\t") .. "\n")
  end
end

function K.require_with(read, env)
  local loaded = {}
  return function(name)
    if type(name) ~= "string" then error("require takes a module name such as \"helpers\"", 2) end
    if loaded[name] ~= nil then return loaded[name] end
    local source = read(name)
    local chunk, err = load(source, "=" .. name:gsub("%.", "/") .. ".lua", "t", env)
    if not chunk then error(err, 2) end
    local value = chunk(name)
    if value == nil then value = true end
    loaded[name] = value
    return value
  end
end

function K.install(env, name, functions, values, flat)
  local target = flat and env or {}
  for k, v in pairs(functions) do target[k] = v end
  for k, v in pairs(values) do target[k] = v end
  if not flat then env[name] = target end
end

function K.collect() raw_cg("collect") end
return K

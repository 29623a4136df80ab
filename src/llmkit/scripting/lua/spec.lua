-- describe / it / expect for Lua spec files (llmkit script test). Loaded into the spec's
-- globals before the spec file; __spec_results() hands the outcomes to the runner.
local results, names = {}, {}

function describe(name, body)
  names[#names + 1] = tostring(name)
  local ok, err = pcall(body)
  if not ok then
    results[#results + 1] = { name = table.concat(names, " "), ok = false, message = tostring(err) }
  end
  names[#names] = nil
end

function it(name, body)
  local full = table.concat(names, " ")
  full = (full == "" and "" or full .. " ") .. tostring(name)
  local ok, err = pcall(body)
  results[#results + 1] = { name = full, ok = ok, message = ok and "" or tostring(err) }
end

local function same(a, b)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  for k, v in pairs(a) do if not same(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

local function show(v)
  if type(v) == "string" then return string.format("%q", v) end
  if type(v) == "table" then
    local ok, text = pcall(json.encode, v)
    if ok then return text end
  end
  return tostring(v)
end

function expect(actual)
  local m = {}
  local function check(ok, wanted) if not ok then error("expected " .. show(actual) .. " " .. wanted, 3) end end
  function m.to_be(v) check(actual == v, "to be " .. show(v)) end
  function m.to_equal(v) check(same(actual, v), "to equal " .. show(v)) end
  function m.to_contain(v)
    if type(actual) == "string" then return check(actual:find(v, 1, true) ~= nil, "to contain " .. show(v)) end
    local found = false
    for _, item in pairs(actual) do if same(item, v) then found = true end end
    check(found, "to contain " .. show(v))
  end
  function m.to_be_truthy() check(actual, "to be truthy") end
  function m.to_be_nil() check(actual == nil, "to be nil") end
  function m.to_fail(pattern)
    local ok, err = pcall(actual)
    if ok then error("expected the function to fail", 2) end
    if pattern and not tostring(err):find(pattern, 1, true) then
      error("expected the error to contain " .. show(pattern) .. ", got " .. show(tostring(err)), 2)
    end
  end
  return m
end

function __spec_results() return results end

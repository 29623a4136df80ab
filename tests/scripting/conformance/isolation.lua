-- A run changes built-ins, a bridge module and the globals; the next run sees none of it.
local attempts = {
  function() string.upper = function() return "changed" end end,
  function() json.encode = function() return "replaced" end end,
  function() getmetatable("").__index = {} end,
  function() table.concat = nil end,
}
for _, attempt in ipairs(attempts) do pcall(attempt) end
leaked = "from the last run"
print = function() end
return "tampered"

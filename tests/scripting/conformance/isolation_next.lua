-- The next run on the same engine: built-ins, bridge modules and globals as they were.
local own = setmetatable({}, { __tostring = function() return "own" end })
return { ("  a  "):match("^%s*(.-)%s*$"), tostring(own), json.encode({ 1 }),
  leaked == nil and "absent" or "present", type(print) }

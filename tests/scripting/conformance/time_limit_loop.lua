local n = 0
local function spin()
  while true do n = n + 1 end
end
spin()

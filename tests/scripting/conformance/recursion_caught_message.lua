local function deep(n) return deep(n + 1) + 1 end local ok, message = pcall(deep, 0) return "survived: " .. tostring(message)

local function deep(n) return deep(n + 1) + 1 end pcall(deep, 0) return "survived"

local function deep(n) return deep(n + 1) + 1 end
return deep(0)

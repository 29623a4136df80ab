local pieces = {}
local text = llm.stream({ model = "openai/gpt-4.1-mini", base_url = BASE, api_key = "test", prompt = "hi" },
  function(piece) pieces[#pieces + 1] = piece end)
local s = llm.stream{ model = "openai/gpt-4.1-mini", base_url = BASE, api_key = "test", prompt = "again" }
local again = {}
for piece in s.next, s do again[#again + 1] = piece end
return { text = text, joined = table.concat(pieces), several = #pieces > 1, again = table.concat(again) }

-- Fan-out: one model call per topic, all at once, then one summary of the answers.
--   llmkit script run examples/scripts/fanout.lua -p topics="tides,volcanoes,bees" --fake
local model = params.model or "openai/gpt-4.1-mini"
local pending, names = {}, {}
for name in (params.topics or "tides,volcanoes,bees"):gmatch("[^,]+") do
  names[#names + 1] = name
  pending[#pending + 1] = llm.generate_async{ model = model, prompt = "One line about " .. name }
end
local answers = promise.all(pending)           -- the calls run concurrently
local lines = {}
for i, answer in ipairs(answers) do
  lines[#lines + 1] = names[i] .. ": " .. answer.text
end
-- promise.spawn runs a Lua function as its own coroutine, concurrently too.
local count = promise.spawn(function(items) return #items end, answers)
print(table.concat(lines, "\n"))
output(count:await() .. " answers")

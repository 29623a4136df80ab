-- A research agent with a tool written in Lua, two questions at once, and its events logged.
--   llmkit script run examples/scripts/research.lua -p topic="tidal energy" --timeout 30s --max-memory 64MB --fake
local topic = params.topic or "tidal energy"
local square = tools.define{
  name = "square", description = "Square a number",
  parameters = { x = "number" },
  run = function(args) return args.x * args.x end,
}
local agent = llm.agent{
  model = params.model or "openai/gpt-4.1-mini",
  instructions = "Be brief.",
  tools = { square, "calculator" },
}
local tool_calls = 0
events.on("tool.call", function(e) tool_calls = tool_calls + 1 end)
local answers = promise.all{ agent:run_async("Define " .. topic), agent:run_async("Risks of " .. topic) }
local r = agent:run("What is 12 squared?")
output(json.encode{
  definition = answers[1].output,
  risks = answers[2].output,
  square = r.output,
  tool_calls = tool_calls,
  tokens = r.usage.total_tokens > 0,
})

local square = tools.define{ name = "square", description = "Square x.",
  parameters = { x = "number" }, run = function(args) return args.x * args.x end }
local agent = llm.agent{ model = "openai/gpt-4.1-mini", base_url = BASE, api_key = "test", tools = { square } }
return agent:run("square 7").output

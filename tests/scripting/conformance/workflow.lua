local writer = llm.agent{ model = "openai/gpt-4.1-mini", base_url = BASE, api_key = "test", name = "writer" }
local flow = workflow.sequence{
  name = "article",
  workflow.step(function(s) return string.upper(s.topic) end, { name = "shout", output = "loud" }),
  workflow.step(writer, { input = "loud", output = "draft" }),
}
local r = flow:run{ topic = "tides" }
local both = workflow.parallel{
  name = "both", output = "both", max_concurrency = 2,
  workflow.step(function(s) return #s.topic end, { name = "count" }),
  workflow.step(function(s) return s.topic .. "!" end, { name = "mark" }),
}
local size = workflow.branch{
  workflow.when("n > 10", workflow.step(function() return "big" end, { name = "big", output = "size" })),
  otherwise = workflow.step(function() return "small" end, { name = "small", output = "size" }),
}
local more = workflow.sequence{ both, size }:run{ topic = "tides", n = 3 }
return { r.state.loud, r.state.draft, more.state.both, more.state.size }

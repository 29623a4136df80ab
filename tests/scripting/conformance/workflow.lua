local writer = llm.agent{ model = "openai/gpt-4.1-mini", base_url = BASE, api_key = "test", name = "writer" }
local flow = workflow.sequence{
  name = "article",
  workflow.step(function(s) return string.upper(s.topic) end, { name = "shout", output = "loud" }),
  workflow.step(writer, { input = "loud", output = "draft" }),
}
local r = flow:run{ topic = "tides" }
return { r.state.loud, r.state.draft }

local function ask(prompt)
  return llm.generate_async{ model = "openai/gpt-4.1-mini", base_url = BASE, api_key = "test", prompt = prompt }
end
local answers = promise.all{ ask("a"), ask("b") }
return { answers[1].text, answers[2].text }

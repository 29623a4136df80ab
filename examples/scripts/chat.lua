-- A conversation: each question is sent with the whole history so far.
--   llmkit script run examples/scripts/chat.lua -p questions="Hi, I am Ada;What is my name?" --fake
local model = llm.model{ model = params.model or "openai/gpt-4.1-mini" }
local history = {}
for question in (params.questions or "Hello!;How are you?"):gmatch("[^;]+") do
  history[#history + 1] = { role = "user", text = question }
  local answer = model:generate{ system = "Be brief.", messages = history }
  history[#history + 1] = { role = "assistant", text = answer.text }
  print("you: " .. question)
  print("assistant: " .. answer.text)
end
output(#history .. " messages")

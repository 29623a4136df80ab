-- Memory in Lua: a vector store that finds notes by meaning, and an agent that reads it.
--   llmkit script run examples/scripts/memory.lua --fake
local store = memory.vectors{ embedder = "local" }   -- all-MiniLM-L6-v2, on this machine
store:add({ "Our office is at 12 Harbour Street.",
            "Support answers from 9 to 5 on weekdays.",
            "Invoices are sent on the first day of the month." },
          { ids = { "office", "hours", "invoices" } })
local question = params.question or "When can I reach support?"
local best = store:search(question, { k = 1 })[1]
print(best.id .. " " .. best.text)
local agent = llm.agent{ model = params.model or "openai/gpt-4.1-mini", knowledge = store, retrieve_k = 2 }
output{ best = best.id, answer = agent:run(question).output,
        tokens = memory.count_tokens("openai/gpt-4.1-mini", question) }

-- A workflow in Lua: research, two critics at once, a score, a branch, a polishing loop.
--   llmkit script run examples/scripts/workflow.lua -p topic="tidal energy" --fake
local model = params.model or "openai/gpt-4.1-mini"
local researcher = llm.agent{ model = model, name = "researcher",
  instructions = "Research the topic in three short lines." }
local critic = llm.agent{ model = model, name = "critic", instructions = "Criticise in one line." }
local editor = llm.agent{ model = model, name = "editor", instructions = "Rewrite the notes." }

-- A script function is a step too: it gets the state and returns the step's output.
local function score(state)
  return #state.reviews / 4
end

local flow = workflow.sequence{
  name = "article",
  workflow.step(researcher, { input = "topic", output = "notes" }),
  workflow.parallel{                               -- both critics run at once
    workflow.step(critic, { name = "style", input = "'Style of: ' + notes" }),
    workflow.step(critic, { name = "facts", input = "'Facts of: ' + notes" }),
    output = "reviews" },
  workflow.step(score, { name = "score", output = "score" }),
  workflow.branch{                                 -- conditions are expressions over the state
    workflow.when("score < 0.8", workflow.step(editor, { name = "rewrite", input = "notes", output = "notes" })),
    otherwise = workflow.step(function(s) return s.notes end, { name = "keep", output = "notes" }) },
  workflow.loop(workflow.step(function(s) return { rounds = s.rounds + 1 } end, { name = "round" }),
    { name = "polish", until_ = "rounds >= 2", max_iterations = 5 }),
}

local result = flow:run{ topic = params.topic or "tidal energy", rounds = 0 }
for _, record in ipairs(result.trace) do
  print(record.path .. " " .. record.status)
end
output{ notes = result.state.notes, score = result.state.score, rounds = result.state.rounds,
        requests = result.usage.requests }

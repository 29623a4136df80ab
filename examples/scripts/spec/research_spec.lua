-- A spec file: llmkit script test examples/scripts/spec
local square = tools.define{
  name = "square", parameters = { x = "number" },
  run = function(args) return args.x * args.x end,
}

describe("the square tool", function()
  it("squares", function()
    expect(square:call{ x = 12 }).to_be(144)
  end)

  it("is used by an agent", function()
    local model = testing.model{ testing.tool_call("square", { x = 3 }), "It is 9." }
    local r = llm.agent{ model = model, tools = { square } }:run("3 squared?")
    expect(r.output).to_be("It is 9.")
    expect(r.steps).to_be(2)
  end)
end)

describe("json", function()
  it("keeps empty arrays", function()
    expect(json.encode{ items = json.array() }).to_be('{"items": []}')
  end)
end)

// A spec file: llmkit script test examples/scripts/spec
const square = await tools.define({
  name: "square", parameters: { x: "number" },
  run: ({ x }) => x * x,
});

describe("the square tool", () => {
  it("squares", async () => {
    expect(await square.call({ x: 12 })).toBe(144);
  });

  it("is used by an agent", async () => {
    const model = await testing.model([await testing.toolCall("square", { x: 3 }), "It is 9."]);
    const agent = await llm.agent({ model, tools: [square] });
    const r = await agent.run("3 squared?");
    expect(r.output).toBe("It is 9.");
    expect(r.steps).toBe(2);
  });

});

describe("json", () => {
  it("keeps empty arrays", async () => {
    expect(await json.encode({ items: [] })).toBe('{"items": []}');
  });

  it("refuses text that is not JSON", async () => {
    await expect(() => json.decode("{")).toThrow("JSON");
  });
});

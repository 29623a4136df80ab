// A research agent with a tool written in JavaScript, two questions at once, and its events counted.
//   llmkit script run examples/scripts/research.js -p topic="tidal energy" --sandbox strict --timeout 30s --fake
const topic = params.topic || "tidal energy";
const calc = await tools.define({
  name: "square", description: "Square a number",
  parameters: { x: "number" },
  run: ({ x }) => x * x,
});
const agent = await llm.agent({
  model: params.model || "openai/gpt-4.1-mini",
  instructions: "Be brief.",
  tools: [calc, "calculator"],  // the offline fake model calls the first tool
});
let toolCalls = 0;
await events.on("tool.call", () => { toolCalls += 1; });
const [a, b] = await Promise.all([agent.run("Define " + topic), agent.run("Risks of " + topic)]);
await output({ a: a.output, b: b.output, tool_calls: toolCalls, tokens: a.usage.total_tokens > 0 });

const writer = await llm.agent({ model: "openai/gpt-4.1-mini", base_url: BASE, api_key: "test", name: "writer" });
const flow = await workflow.sequence([
  await workflow.step((s) => s.topic.toUpperCase(), { name: "shout", output: "loud" }),
  await workflow.step(writer, { input: "loud", output: "draft" }),
]);
const r = await flow.run({ topic: "tides" });
return [r.state.loud, r.state.draft];

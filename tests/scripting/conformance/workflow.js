const writer = await llm.agent({ model: "openai/gpt-4.1-mini", base_url: BASE, api_key: "test", name: "writer" });
const flow = await workflow.sequence([
  await workflow.step((s) => s.topic.toUpperCase(), { name: "shout", output: "loud" }),
  await workflow.step(writer, { input: "loud", output: "draft" }),
], { name: "article" });
const r = await flow.run({ topic: "tides" });
const both = await workflow.parallel([
  await workflow.step((s) => s.topic.length, { name: "count" }),
  await workflow.step((s) => s.topic + "!", { name: "mark" }),
], { name: "both", output: "both", max_concurrency: 2 });
const size = await workflow.branch(
  [await workflow.when("n > 10", await workflow.step(() => "big", { name: "big", output: "size" }))],
  { otherwise: await workflow.step(() => "small", { name: "small", output: "size" }) },
);
const more = await (await workflow.sequence([both, size])).run({ topic: "tides", n: 3 });
return [r.state.loud, r.state.draft, more.state.both, more.state.size];

// Fan-out: one model call per topic, all at once with Promise.all.
//   llmkit script run examples/scripts/fanout.js -p topics="tides,volcanoes,bees" --fake
const model = params.model || "openai/gpt-4.1-mini";
const names = (params.topics || "tides,volcanoes,bees").split(",");
const answers = await Promise.all(
  names.map((name) => llm.generate({ model, prompt: "One line about " + name })),
);  // the calls run concurrently
print(names.map((name, i) => name + ": " + answers[i].text).join("\n"));
await output(answers.length + " answers");

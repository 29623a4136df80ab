// A workflow in JavaScript: research, two critics at once, a score, a branch, a polishing loop.
//   llmkit script run examples/scripts/workflow.js -p topic="tidal energy" --fake
const model = params.model || "openai/gpt-4.1-mini";
const researcher = await llm.agent({ model, name: "researcher",
  instructions: "Research the topic in three short lines." });
const critic = await llm.agent({ model, name: "critic", instructions: "Criticise in one line." });
const editor = await llm.agent({ model, name: "editor", instructions: "Rewrite the notes." });

// A script function is a step too: it gets the state and returns the step's output.
const score = (state) => state.reviews.length / 4;

const flow = await workflow.sequence([
  await workflow.step(researcher, { input: "topic", output: "notes" }),
  await workflow.parallel([                        // both critics run at once
    await workflow.step(critic, { name: "style", input: "'Style of: ' + notes" }),
    await workflow.step(critic, { name: "facts", input: "'Facts of: ' + notes" }),
  ], { output: "reviews" }),
  await workflow.step(score, { name: "score", output: "score" }),
  await workflow.branch([                          // conditions are expressions over the state
    await workflow.when("score < 0.8",
      await workflow.step(editor, { name: "rewrite", input: "notes", output: "notes" })),
  ], { otherwise: await workflow.step((s) => s.notes, { name: "keep", output: "notes" }) }),
  await workflow.loop(await workflow.step((s) => ({ rounds: s.rounds + 1 }), { name: "round" }),
    { name: "polish", until_: "rounds >= 2", max_iterations: 5 }),
], { name: "article" });

const result = await flow.run({ topic: params.topic || "tidal energy", rounds: 0 });
for (const record of result.trace) print(record.path + " " + record.status);
await output({ notes: result.state.notes, score: result.state.score, rounds: result.state.rounds,
  requests: result.usage.requests });

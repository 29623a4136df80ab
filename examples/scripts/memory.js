// Memory in JavaScript: a vector store that finds notes by meaning, and an agent that reads it.
//   llmkit script run examples/scripts/memory.js --fake
const store = await memory.vectors({ embedder: "local" });  // all-MiniLM-L6-v2, on this machine
await store.add(["Our office is at 12 Harbour Street.",
                 "Support answers from 9 to 5 on weekdays.",
                 "Invoices are sent on the first day of the month."],
                { ids: ["office", "hours", "invoices"] });
const question = params.question || "When can I reach support?";
const [best] = await store.search(question, { k: 1 });
print(best.id + " " + best.text);
const agent = await llm.agent({ model: params.model || "openai/gpt-4.1-mini", knowledge: store, retrieve_k: 2 });
await output({ best: best.id, answer: (await agent.run(question)).output,
               tokens: await memory.countTokens("openai/gpt-4.1-mini", question) });

const square = await tools.define({ name: "square", description: "Square x.",
  parameters: { x: "number" }, run: ({ x }) => x * x });
const agent = await llm.agent({ model: "openai/gpt-4.1-mini", base_url: BASE, api_key: "test", tools: [square] });
return (await agent.run("square 7")).output;

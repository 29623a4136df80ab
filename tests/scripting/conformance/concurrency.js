const ask = async (prompt) =>
  (await llm.generate({ model: "openai/gpt-4.1-mini", base_url: BASE, api_key: "test", prompt })).text;
return await Promise.all([ask("a"), ask("b")]);

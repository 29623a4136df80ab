const pieces = [];
const text = await llm.stream({ model: "openai/gpt-4.1-mini", base_url: BASE, api_key: "test", prompt: "hi" },
  (piece) => { pieces.push(piece); });
const s = await llm.stream({ model: "openai/gpt-4.1-mini", base_url: BASE, api_key: "test", prompt: "again" });
const again = [];
for await (const piece of s) again.push(piece);
return { text, joined: pieces.join(""), several: pieces.length > 1, again: again.join("") };

const r = await llm.generate({ model: "openai/gpt-4.1-mini", base_url: BASE, api_key: "test", prompt: "hi" });
return r.text;

// A conversation: each question is sent with the whole history so far.
//   llmkit script run examples/scripts/chat.js -p questions="Hi, I am Ada;What is my name?" --fake
const model = await llm.model({ model: params.model || "openai/gpt-4.1-mini" });
const history = [];
for (const question of (params.questions || "Hello!;How are you?").split(";")) {
  history.push({ role: "user", text: question });
  const answer = await model.generate({ system: "Be brief.", messages: history });
  history.push({ role: "assistant", text: answer.text });
  print("you: " + question);
  print("assistant: " + answer.text);
}
await output(history.length + " messages");

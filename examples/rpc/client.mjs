// A JSON-RPC client of `llmkit rpc`, in Node with nothing but its standard library.
//
//     node examples/rpc/client.mjs            # PYTHON=/path/to/python to pick the interpreter
//
// It starts `python -m llmkit rpc examples/rpc/app.py:support`, writes one JSON request per
// line on its stdin, and reads one JSON message per line from its stdout: responses (matched
// by id) and `run.event` notifications (the run's events, live).
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const python = process.env.PYTHON || "python3";
const server = spawn(python, ["-m", "llmkit", "rpc", join(here, "app.py") + ":support"], {
  stdio: ["pipe", "pipe", "inherit"], // the server's logs go to our stderr
});

const waiting = new Map(); // request id -> resolve
let nextId = 0;

createInterface({ input: server.stdout }).on("line", (line) => {
  const message = JSON.parse(line);
  if (message.method === "run.event") {
    const event = message.params.event;
    if (event.topic === "tool.call") console.log(`[tool call] ${event.call.name}(${JSON.stringify(event.call.arguments)})`);
    if (event.topic === "tool.result") console.log(`[tool result] ${event.result.content}`);
    return;
  }
  const resolve = waiting.get(message.id);
  waiting.delete(message.id);
  resolve(message);
});

function call(method, params) {
  const id = ++nextId;
  server.stdin.write(JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n");
  return new Promise((resolve) => waiting.set(id, resolve));
}

// 1. A run whose events arrive as notifications while it goes.
const streamed = (await call("stream", { input: "Where is order 42?", session: "user-42" })).result;
console.log(`[stream] ${streamed.status}: ${streamed.output}`);

// 2. A run that pauses for an approval, approved here.
const paused = (await call("run", { input: "Please refund order 42.", session: "user-42" })).result;
const pending = paused.pending.map((p) => `${p.name}(${JSON.stringify(p.arguments)})`);
console.log(`[run] ${paused.status}, waiting for: ${pending.join(", ")}`);
const decisions = Object.fromEntries(paused.pending.map((p) => [p.id, true]));
const approved = (await call("approve", { run: paused.id, decisions })).result;
console.log(`[approve] ${approved.status}: ${approved.output}`);

// 3. The conversation the session kept, and an error as JSON-RPC reports it.
const session = (await call("sessions.get", { session: "user-42" })).result;
console.log(`[session] ${session.id} holds ${session.messages.length} messages`);
const wrong = (await call("get", { run: "run_unknown" })).error;
console.log(`[error] ${wrong.code} ${wrong.data.type}`);

server.stdin.end(); // the server answers what is in progress, then exits
server.on("exit", (code) => console.log(`[server exited] ${code}`));

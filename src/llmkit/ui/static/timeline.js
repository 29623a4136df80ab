// A run as a timeline: model calls (latency, tokens, cost), tool calls (arguments,
// results), handoffs, retries, approvals, errors; each expandable to its raw JSON.
// Fed one event at a time, live or from a recording (whose lines carry `t`). The
// server stamps each live event with its own clock (`time`, seconds): latencies
// come from it, so a run reopened later shows what the server saw, not when the
// page happened to read each event. Events without it (an older server) are timed
// as they arrive.

import { h, json, lazyDetails, rawJson, renderParts } from "./dom.js";

function tokens(usage) {
  if (!usage) return "";
  let text = `${usage.input_tokens ?? 0} in / ${usage.output_tokens ?? 0} out tokens`;
  if (typeof usage.cost === "number") text += ` · $${usage.cost.toFixed(6)}`;
  return text;
}

function args(call) {
  const text = JSON.stringify(call.arguments ?? {});
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

export class Timeline {
  constructor(root) {
    this.root = root;
    this.models = new Map(); // step -> {entry, seen}
    this.tools = new Map(); // call id -> entry
    this.count = 0;
  }

  clear() {
    this.root.replaceChildren();
    this.models.clear();
    this.tools.clear();
    this.count = 0;
  }

  entry(kind, title, ...body) {
    const node = h("li", { class: `entry ${kind}`, dataset: { kind } }, h("div", { class: "title", text: title }), ...body);
    this.root.append(node);
    this.count += 1;
    return node;
  }

  // `seen` (ms) is the recorded time (`t` * 1000) of a recording's line; for a live
  // event, the server's `time` when it has one, else when it arrived.
  add(event, seen = typeof event.time === "number" ? event.time * 1000 : performance.now()) {
    const topic = event.topic;
    if (topic === "model.text_delta" || topic === "model.tool_call_delta" || topic === "model.reasoning_delta") return;
    if (topic === "run.start") {
      this.entry("run", `Run started · ${event.agent}`, lazyDetails("input", () => rawJson(event.input)));
    } else if (topic === "model.request") {
      const entry = this.entry(
        "model",
        `Model call · step ${event.step}`,
        h("div", { class: "meta", text: "waiting for the model…" }),
        lazyDetails("raw request", () => rawJson(event.request), { class: "raw-request" }),
      );
      this.models.set(event.step ?? this.count, { entry, seen });
      this.lastModel = event.step ?? this.count;
    } else if (topic === "model.response") {
      const open = this.models.get(this.lastModel);
      const response = event.response || {};
      const meta = [];
      if (open && !open.done) {
        meta.push(`${Math.max(0, Math.round(seen - open.seen))} ms`);
        open.done = true;
      }
      meta.push(tokens(response.usage));
      if (response.finish_reason) meta.push(response.finish_reason);
      // Its request may be gone (a long run's first events are no longer kept).
      const entry = open ? open.entry : this.entry("model", "Model response", h("div", { class: "meta" }));
      entry.querySelector(".meta").textContent = meta.filter(Boolean).join(" · ");
      entry.append(lazyDetails("raw response", () => rawJson(response), { class: "raw-response" }));
    } else if (topic === "tool.call") {
      const call = event.call || {};
      const entry = this.entry(
        "tool",
        `Tool call · ${call.name}(${args(call)})`,
        lazyDetails("arguments", () => rawJson(call.arguments)),
        h("div", { class: "result pending", text: "running…" }),
      );
      entry.dataset.tool = call.name;
      this.tools.set(call.id, entry);
    } else if (topic === "tool.result") {
      const result = event.result || {};
      const entry = this.tools.get(result.call_id) || this.entry("tool", `Tool result · ${result.name}`, h("div", { class: "result" }));
      const box = entry.querySelector(".result");
      box.classList.remove("pending");
      box.replaceChildren(
        h("span", { class: "label", text: event.error ? `failed (${event.error.type}): ` : "result: " }),
        ...renderParts(event.error ? event.error.message : result.content),
      );
      if (event.error) entry.classList.add("failed");
      if (typeof event.duration === "number") {
        box.append(h("span", { class: "meta", text: ` · ${Math.round(event.duration * 1000)} ms` }));
      }
    } else if (topic === "tool.progress") {
      const entry = this.tools.get(event.call_id);
      if (entry) entry.querySelector(".result").textContent = `${event.progress}${event.total ? `/${event.total}` : ""} ${event.message ?? ""}`;
    } else if (topic === "handoff") {
      this.entry("handoff", `Handoff · ${event.source} → ${event.target}`);
    } else if (topic === "approval.required") {
      const names = (event.calls || []).map((c) => `${c.name}(${args(c)})`).join(", ");
      this.entry("approval", `Waiting for approval · ${names}`);
    } else if (topic === "step.end") {
      this.entry("step", `Step ${event.step} done · ${tokens(event.usage)}`);
    } else if (topic === "workflow.step.retry") {
      this.entry("retry", `Retry · ${event.path} attempt ${event.attempt} failed: ${event.error_type}: ${event.message}`);
    } else if (topic === "workflow.step.start" || topic === "workflow.step.end" || topic === "workflow.start") {
      return;
    } else if (topic === "workflow.end") {
      this.entry(event.status === "complete" ? "run" : "error", `Workflow ${event.workflow} ${event.status}`);
    } else if (topic === "error") {
      this.entry("error", `Error · ${event.error_type}: ${event.message}`);
    } else if (topic === "run.end") {
      const result = event.result || {};
      const status = result.status || "complete";
      this.entry("run", `Run ${status} · ${tokens(result.usage)}`, lazyDetails("result", () => rawJson(result)));
    } else {
      this.entry("other", topic, lazyDetails("event", () => h("pre", { class: "raw", text: json(event) })));
    }
  }
}

// A workflow's steps, lighting up as its run goes: the structure the workflow draws of
// itself (Workflow.tree()) above, then one row per step path as the run reaches it,
// with its status (running, ok, failed, skipped) and retries.

import { h } from "./dom.js";

export class WorkflowDiagram {
  constructor(root, target) {
    this.root = root;
    this.tree = h("pre", { class: "workflow-tree", text: target.tree || "" });
    this.steps = h("ul", { class: "workflow-steps" });
    root.replaceChildren(h("div", { class: "title", text: "Workflow" }), this.tree, this.steps);
    this.rows = new Map();
  }

  reset() {
    this.steps.replaceChildren();
    this.rows.clear();
  }

  row(path, kind) {
    let row = this.rows.get(path);
    if (!row) {
      const depth = path.split("/").length - 1;
      row = h("li", { class: "step", dataset: { path, status: "waiting" } },
        h("span", { class: "name", text: path.split("/").pop() }),
        h("span", { class: "kind", text: kind || "" }),
        h("span", { class: "state", text: "" }));
      row.style.marginLeft = `${depth * 1.2}em`; // CSSOM: allowed by the page's policy
      this.rows.set(path, row);
      this.steps.append(row);
    }
    return row;
  }

  set(row, status, text) {
    row.dataset.status = status;
    row.querySelector(".state").textContent = text;
  }

  add(event) {
    const topic = event.topic;
    if (topic === "workflow.step.start") {
      this.set(this.row(event.path, event.kind), "running", event.attempt > 1 ? `attempt ${event.attempt}` : "running");
    } else if (topic === "workflow.step.retry") {
      this.set(this.row(event.path), "retrying", `retrying after ${event.error_type}`);
    } else if (topic === "workflow.step.end") {
      const text = event.status === "failed" ? `failed: ${event.error_type ?? ""}` : event.status;
      this.set(this.row(event.path, event.kind), event.status, `${text} · ${Math.round((event.duration || 0) * 1000)} ms`);
    }
  }
}

// The runs the server keeps for this token (GET /v1/runs): newest first, a page at
// a time ("More" reads the next page with the cursor the server gave). Each row
// shows the run's status, agent or workflow, start, duration and cost; a click
// opens the run as #run=<id> does.

import { h } from "./dom.js";

const PAGE = 25;

function two(n) {
  return String(n).padStart(2, "0");
}

// The local date and time of `seconds` since the epoch, as 2026-12-05 06:41:12.
export function when(seconds) {
  const d = new Date(seconds * 1000);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

export function lasted(seconds) {
  if (typeof seconds !== "number") return "";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

function cost(usage) {
  return usage && typeof usage.cost === "number" ? `$${usage.cost.toFixed(6)}` : "—";
}

export class Runs {
  // `open(run)` shows a run (its summary as the list has it).
  constructor(api, root, status, open) {
    this.api = api;
    this.root = root;
    this.status = status;
    this.openRun = open;
    this.body = h("tbody", { id: "runs-body" });
    this.more = h("button", { type: "button", class: "more", text: "More", hidden: true, onclick: () => this.page() });
    this.empty = h("p", { class: "meta empty", text: "No runs yet for this token: start one in the chat.", hidden: true });
    root.append(
      h(
        "div",
        { class: "runs-panel" },
        h(
          "div",
          { class: "runs-bar" },
          h("div", { class: "title", text: "Runs" }),
          h("button", { type: "button", class: "refresh", text: "Refresh", onclick: () => this.load() }),
        ),
        h(
          "table",
          { class: "runs" },
          h(
            "thead",
            {},
            h("tr", {}, ...["status", "agent", "started", "duration", "cost", "run"].map((name) => h("th", { text: name }))),
          ),
          this.body,
        ),
        this.empty,
        this.more,
      ),
    );
    this.next = null;
  }

  // The first page again (what the server keeps now).
  async load() {
    this.body.replaceChildren();
    this.next = null;
    await this.page();
  }

  async page() {
    const query = new URLSearchParams({ limit: String(PAGE) });
    if (this.next) query.set("after", this.next);
    this.root.dataset.loading = "yes";
    try {
      const page = await this.api.get(`/v1/runs?${query}`);
      for (const run of page.data) this.body.append(this.row(run));
      this.next = page.next;
    } catch (error) {
      this.status.show(error.message, "error");
    } finally {
      this.more.hidden = !this.next;
      this.empty.hidden = this.body.children.length > 0;
      this.root.dataset.loading = "no";
      this.root.dataset.rows = String(this.body.children.length);
    }
  }

  row(run) {
    const duration = run.duration === null || run.duration === undefined ? run.status : lasted(run.duration);
    return h(
      "tr",
      { class: "run-row", dataset: { run: run.id, status: run.status }, tabindex: "0", onclick: () => this.openRun(run), onkeydown: (event) => event.key === "Enter" && this.openRun(run) },
      h("td", {}, h("span", { class: `run-status ${run.status}`, text: run.status })),
      h("td", { class: "target", text: `${run.target}${run.kind === "workflow" ? " (workflow)" : ""}` }),
      h("td", { class: "started", text: when(run.created) }),
      h("td", { class: "duration", text: duration }),
      h("td", { class: "cost", text: cost(run.usage) }),
      h("td", { class: "run-id", text: run.id }),
    );
  }
}

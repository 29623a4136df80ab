// The recordings browser: the folder's files, a recording stepped through line by
// line (its timeline up to the current line, the line's JSON), the diff of two
// recordings, and evaluation reports. A file that cannot be read shows why.

import { h, clear, json, rawJson } from "./dom.js";
import { Timeline } from "./timeline.js";
import { showReport } from "./report.js";

// An event's own fields that differ between two runs of the same thing and say
// nothing of it. Only the event's top level: a tool argument called `path` or
// `duration` is part of what ran and is compared.
const NOISE = new Set(["t", "run_id", "created", "duration"]);

function strip(data) {
  const out = {};
  for (const [key, value] of Object.entries(data || {})) if (!NOISE.has(key)) out[key] = value;
  return out;
}

// What pairs two lines of two recordings: the run (by order of appearance), the
// step and the topic; a tool's events add the tool's name.
function keys(lines) {
  const runs = new Map();
  return lines.map((line) => {
    const data = line.data || {};
    const run = data.run_id ?? "";
    if (!runs.has(run)) runs.set(run, runs.size);
    const tool = (data.call || data.result || {}).name ?? "";
    return `${runs.get(run)}|${data.step ?? ""}|${line.topic}|${tool}`;
  });
}

// Line pairs [a, b] (one side null where a line has no partner), aligned on keys by
// a longest common subsequence; past LCS_CELLS the middle is paired by position.
const LCS_CELLS = 4_000_000;

export function align(left, right) {
  const ka = keys(left);
  const kb = keys(right);
  let start = 0;
  while (start < ka.length && start < kb.length && ka[start] === kb[start]) start++;
  let endA = ka.length;
  let endB = kb.length;
  while (endA > start && endB > start && ka[endA - 1] === kb[endB - 1]) {
    endA--;
    endB--;
  }
  const pairs = [];
  for (let i = 0; i < start; i++) pairs.push([left[i], right[i]]);
  const n = endA - start;
  const m = endB - start;
  if (n * m > LCS_CELLS) {
    for (let i = 0; i < Math.max(n, m); i++) pairs.push([i < n ? left[start + i] : null, i < m ? right[start + i] : null]);
  } else {
    // lengths[i][j]: the LCS of ka[start+i..endA) and kb[start+j..endB).
    const lengths = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lengths[i][j] = ka[start + i] === kb[start + j] ? lengths[i + 1][j + 1] + 1 : Math.max(lengths[i + 1][j], lengths[i][j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && ka[start + i] === kb[start + j]) {
        pairs.push([left[start + i], right[start + j]]);
        i++;
        j++;
      } else if (j >= m || (i < n && lengths[i + 1][j] >= lengths[i][j + 1])) {
        pairs.push([left[start + i], null]);
        i++;
      } else {
        pairs.push([null, right[start + j]]);
        j++;
      }
    }
  }
  for (let i = endA; i < ka.length; i++) pairs.push([left[i], right[endB + i - endA]]);
  return pairs;
}

function show(value) {
  const text = JSON.stringify(value);
  return text === undefined ? "missing" : text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

// Where b first departs from a ("request.messages[1].parts[0].text: …"), or null.
export function firstDifference(a, b, path = "") {
  if (a && b && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b)) {
    if (Array.isArray(a)) {
      for (let i = 0; i < Math.min(a.length, b.length); i++) {
        const found = firstDifference(a[i], b[i], `${path}[${i}]`);
        if (found) return found;
      }
      return a.length === b.length ? null : `${path || "(whole)"}: ${a.length} items, then ${b.length}`;
    }
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const found = firstDifference(a[key], b[key], path ? `${path}.${key}` : key);
      if (found) return found;
    }
    return null;
  }
  return JSON.stringify(a) === JSON.stringify(b) ? null : `${path || "(whole)"}: ${show(a)} → ${show(b)}`;
}

export class Recordings {
  constructor(api, root, status) {
    this.api = api;
    this.root = root;
    this.status = status;
    this.files = [];
  }

  async load() {
    try {
      const listing = await this.api.get("/ui/api/recordings");
      this.files = listing.files;
    } catch (error) {
      this.status.show(error.message, "error");
      return;
    }
    this.list = h("ul", { class: "files" });
    for (const file of this.files) {
      this.list.append(
        h("li", {}, h("button", { type: "button", class: `file ${file.kind}`, dataset: { name: file.name }, onclick: () => this.open(file.name), text: file.name })),
      );
    }
    if (!this.files.length) this.list.append(h("li", { class: "empty", text: "No recordings (.jsonl) or reports (.json) in this folder." }));
    this.view = h("div", { class: "file-view" });
    this.root.replaceChildren(h("nav", { class: "file-list" }, h("div", { class: "title", text: "Files" }), this.list), this.view);
  }

  async fetch(name) {
    return this.api.get(`/ui/api/recordings/${name.split("/").map(encodeURIComponent).join("/")}`);
  }

  async open(name) {
    clear(this.view);
    for (const button of this.list.querySelectorAll("button")) button.classList.toggle("current", button.dataset.name === name);
    let data;
    try {
      data = await this.fetch(name);
    } catch (error) {
      this.view.append(h("div", { class: "error unreadable", text: error.message }));
      return;
    }
    // A file the page cannot show says why, never leaves a blank view.
    try {
      if (data.kind === "report") showReport(this.view, data);
      else this.showRecording(data);
    } catch (error) {
      console.error(error);
      this.view.replaceChildren(h("div", { class: "error unreadable", text: `${name} could not be shown: ${error.message}` }));
    }
  }

  showRecording(data) {
    const lines = data.lines;
    const header = data.header || {};
    const others = this.files.filter((f) => f.kind === "recording" && f.name !== data.name);
    const compare = h("select", { class: "compare" }, h("option", { value: "", text: "Diff with…" }), others.map((f) => h("option", { value: f.name, text: f.name })));
    compare.addEventListener("change", () => compare.value && this.diff(data, compare.value));
    const position = h("span", { class: "position" });
    const current = h("div", { class: "current-line" });
    const timeline = new Timeline(h("ol", { class: "timeline" }));
    let at = 0;
    const go = (index) => {
      at = Math.max(0, Math.min(lines.length - 1, index));
      timeline.clear();
      for (const line of lines.slice(0, at + 1)) timeline.add({ topic: line.topic, ...line.data }, line.t * 1000);
      const line = lines[at];
      position.textContent = lines.length ? `line ${line.line} of ${lines.length + 1} · ${line.topic} · t=${line.t.toFixed(3)} s` : "no events";
      current.replaceChildren(lines.length ? rawJson(line.data) : "");
    };
    const bar = h(
      "div",
      { class: "stepper" },
      h("button", { type: "button", class: "first", onclick: () => go(0), text: "first" }),
      h("button", { type: "button", class: "prev", onclick: () => go(at - 1), text: "◀ previous" }),
      h("button", { type: "button", class: "next", onclick: () => go(at + 1), text: "next ▶" }),
      h("button", { type: "button", class: "last", onclick: () => go(lines.length - 1), text: "last" }),
      position,
      compare,
    );
    this.diffBox = h("div", { class: "diff" });
    this.view.replaceChildren(
      h("h2", { text: data.name }),
      h("div", { class: "meta", text: `llmkit ${header.llmkit ?? "?"} · recording format ${header.llmkit_recording} · ${data.runs.length} run(s) · ${lines.length} events` }),
      bar,
      h("div", { class: "recording-panes" }, timeline.root, current),
      this.diffBox,
    );
    if (lines.length) go(lines.length - 1);
  }

  async diff(left, name) {
    let right;
    try {
      right = await this.fetch(name);
    } catch (error) {
      this.diffBox.replaceChildren(h("div", { class: "error unreadable", text: error.message }));
      return;
    }
    const rows = [];
    let first = null;
    const pairs = align(left.lines, right.lines);
    for (let i = 0; i < pairs.length; i++) {
      const [a, b] = pairs[i];
      const why = !a || !b ? (a ? "only in the first" : "only in the second") : firstDifference(strip(a.data), strip(b.data));
      if (why && first === null) first = i;
      rows.push(
        h("tr", { class: why ? "differs" : "same" },
          h("td", { text: a ? a.topic : "" }),
          h("td", { text: b ? b.topic : "" }),
          h("td", { text: why || "same" })),
      );
    }
    const where = (pair) => [pair[0] ? `line ${pair[0].line} of the first` : null, pair[1] ? `line ${pair[1].line} of the second` : null].filter(Boolean).join(", ");
    const summary = first === null ? "The two recordings hold the same events (times and ids aside)." : `They part at event ${first + 1} (${where(pairs[first])}).`;
    this.diffBox.replaceChildren(
      h("h3", { text: `Diff: ${left.name} ↔ ${name}` }),
      h("div", { class: "summary", text: summary }),
      h("table", { class: "diff-table" }, h("tr", {}, h("th", { text: left.name }), h("th", { text: name }), h("th", { text: "first difference" })), rows),
    );
  }
}

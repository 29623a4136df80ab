// An evaluation report: pass or fail, each metric's mean against its threshold,
// per-case scores, and for each case its answer, tool calls and notes (the
// trajectory's note says which expected calls were missing or out of order).

import { h, rawJson } from "./dom.js";

const num = (value) => (typeof value === "number" ? value.toFixed(2) : "-");

export function showReport(view, data) {
  const report = data.report;
  const metrics = Object.entries(report.metrics || {});
  const names = metrics.map(([name]) => name);
  const failed = metrics.filter(([, m]) => m.passed === false);
  view.replaceChildren(
    h("h2", { text: `${report.name ?? data.name} · ${report.model ?? ""}` }),
    h("div", {
      class: `verdict ${report.passed ? "passed" : "failed"}`,
      text: report.passed ? "PASSED" : `FAILED: ${failed.map(([n, m]) => `${n} ${num(m.mean)} < ${num(m.threshold)}`).join(", ")}`,
    }),
    h("table", { class: "metrics" },
      h("tr", {}, h("th", { text: "metric" }), h("th", { text: "mean" }), h("th", { text: "threshold" }), h("th", { text: "cases" })),
      metrics.map(([name, m]) =>
        h("tr", { class: m.passed === false ? "missed" : "met" },
          h("td", { text: name }), h("td", { text: num(m.mean) }), h("td", { text: num(m.threshold) }), h("td", { text: String(m.cases) })))),
    h("table", { class: "cases" },
      h("tr", {}, h("th", { text: "case" }), names.map((n) => h("th", { text: n })), h("th", { text: "error" })),
      (report.cases || []).map((c) =>
        h("tr", { class: c.error ? "case-error" : "" },
          h("td", { text: c.id }),
          names.map((n) => h("td", { class: (c.scores || {})[n] < 1 ? "low" : "", text: num((c.scores || {})[n]) })),
          h("td", { text: c.error || "" })))),
    ...(report.cases || []).map((c) =>
      h("details", { class: "case" },
        h("summary", { text: `${c.id}: ${c.input}` }),
        h("div", { class: "answer" }, h("span", { class: "label", text: "answer: " }), typeof c.output === "string" ? c.output : rawJson(c.output)),
        h("div", { class: "trajectory" }, h("span", { class: "label", text: "tool calls: " }), (c.tool_calls || []).join(" → ") || "none"),
        Object.entries(c.notes || {}).map(([metric, note]) => h("div", { class: `note note-${metric}` }, h("span", { class: "label", text: `${metric}: ` }), note)))),
  );
}

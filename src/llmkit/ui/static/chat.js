// The chat with one served agent (or a workflow run with a JSON state), its live run
// timeline, pending approvals and, for a workflow, its steps lighting up.

import { h, json, rawJson } from "./dom.js";
import { setMarkdown } from "./markdown.js";
import { Timeline } from "./timeline.js";
import { WorkflowDiagram } from "./workflow.js";

export class Chat {
  constructor(api, elements, status) {
    this.api = api;
    this.el = elements;
    this.status = status;
    this.timeline = new Timeline(elements.timeline);
    // One session per tab, kept across reloads (session storage is the tab's own).
    this.session = sessionStorage.getItem("llmkit-ui-session");
    if (!this.session) {
      this.session = `ui-${Math.random().toString(36).slice(2, 10)}`;
      sessionStorage.setItem("llmkit-ui-session", this.session);
    }
    this.follower = null;
    this.el.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
    this.el.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && this.target?.kind === "agent") {
        event.preventDefault();
        this.send();
      }
    });
  }

  choose(target) {
    this.target = target;
    this.el.title.textContent = `${target.kind === "workflow" ? "Workflow" : "Agent"} ${target.name}`;
    this.el.input.placeholder = target.kind === "workflow" ? 'The workflow\'s input state, as JSON: {"topic": "tides"}' : "Message";
    this.diagram = target.kind === "workflow" ? new WorkflowDiagram(this.el.diagram, target) : null;
    this.el.diagram.hidden = !this.diagram;
  }

  async send() {
    const text = this.el.input.value.trim();
    if (!text || !this.target) return;
    let input = text;
    if (this.target.kind === "workflow") {
      try {
        input = JSON.parse(text);
      } catch (error) {
        this.status.show(`The workflow's input is JSON: ${error.message}`, "error");
        return;
      }
    }
    this.el.input.value = "";
    this.el.messages.append(h("div", { class: "message user" }, h("div", { class: "text", text })));
    const body = { input };
    body[this.target.kind] = this.target.name;
    if (this.target.kind === "agent") body.session = this.session;
    try {
      const run = await this.api.post("/v1/runs", body);
      this.open(run.id, 0);
    } catch (error) {
      this.status.show(error.message, "error");
    }
  }

  // Show run `runId`, reading its events after `after` (0: all of them, from the API).
  // `withInput`: also show what the run was asked (a run opened from the list of runs).
  open(runId, after, { withInput = false } = {}) {
    this.follower?.abort();
    this.runId = runId;
    history.replaceState(null, "", `#run=${encodeURIComponent(runId)}`);
    this.timeline.clear();
    this.diagram?.reset();
    // Another run's pending calls stay until decided; this run's are asked again by its events.
    this.dropApprovals(runId);
    const bubble = h("div", { class: "message assistant", dataset: { run: runId } }, h("div", { class: "text" }));
    this.el.messages.append(bubble);
    const reply = { text: "", stepText: false, dirty: false, partial: false, bubble, withInput };
    this.reply = reply;
    const render = () => {
      reply.dirty = false;
      setMarkdown(bubble.querySelector(".text"), reply.text);
      this.el.messages.scrollTop = this.el.messages.scrollHeight;
    };
    this.follower = this.api.follow(runId, after, {
      event: (id, event) => {
        this.handle(event, reply);
        if (event.topic === "model.text_delta" && !reply.dirty) {
          reply.dirty = true;
          requestAnimationFrame(render);
        }
        document.body.dataset.lastEvent = String(id);
      },
      dropped: (last, id) => {
        reply.partial = true; // the answer is taken whole from the run's output at the end
        this.status.show(
          `Events ${last + 1}–${id - 1} are no longer kept by the server: the timeline starts at event ${id}; the answer is the run's output.`,
          "warning",
          "dropped",
        );
      },
      broken: (error, id) => this.status.show(`Event ${id} could not be shown (${error.message}); the following ones still are.`, "error", "broken"),
      lost: (last) => this.status.show(`Connection to the server lost after event ${last}; reconnecting…`, "warning", "lost"),
      back: (last) => this.status.show(`Reconnected: the events after ${last} were read again from the server.`, "ok", "back"),
      done: (run) => {
        this.finish(run, reply);
        render();
        performance.mark("llmkit-run-shown");
      },
      failed: (error) => this.status.show(error.message, "error"),
    });
  }

  // What the run was asked, from its first start event (an agent's input messages,
  // a workflow's state), shown once as the user's message.
  showInput(event, reply) {
    let text;
    if (event.topic === "workflow.start") text = json(event.state);
    else if (event.topic === "run.start") {
      const users = (event.input || []).filter((m) => m && m.role === "user");
      text = users.flatMap((m) => (m.parts || []).filter((p) => p && p.type === "text").map((p) => p.text)).join("\n");
    } else return;
    reply.withInput = false;
    if (text) reply.bubble.before(h("div", { class: "message user" }, h("div", { class: "text", text })));
  }

  handle(event, reply) {
    if (reply.withInput) this.showInput(event, reply);
    this.timeline.add(event);
    this.diagram?.add(event);
    const topic = event.topic;
    if (topic === "model.text_delta") {
      if (reply.text && !reply.stepText) reply.text += "\n\n";
      reply.stepText = true;
      reply.text += event.text;
    } else if (topic === "step.end") {
      reply.stepText = false;
    } else if (topic === "run.start") {
      this.dropApprovals(this.runId); // a resumed run: the calls it waited on are decided
    } else if (topic === "approval.required") {
      if (!reply.text) reply.bubble.querySelector(".text").textContent = "Waiting for approval…";
      this.ask(event.calls || [], this.runId);
    } else if (topic === "error") {
      reply.bubble.append(h("div", { class: "error", text: `${event.error_type}: ${event.message}` }));
    }
  }

  finish(run, reply) {
    document.body.dataset.runStatus = run.status;
    if (run.kind === "workflow" && run.status === "complete") {
      reply.bubble.append(h("div", { class: "workflow-output" }, h("span", { class: "label", text: "output: " }), rawJson(run.output)));
    } else if ((!reply.text || reply.partial) && run.output !== null && run.output !== undefined) {
      if (typeof run.output === "string") reply.text = run.output;
      else reply.bubble.append(rawJson(run.output));
    }
    if (run.status === "failed" && run.error && !reply.bubble.querySelector(".error")) {
      reply.bubble.append(h("div", { class: "error", text: `${run.error.type}: ${run.error.message}` }));
    }
  }

  dropApprovals(runId) {
    for (const box of this.el.approvals.querySelectorAll(".approval-box")) {
      if (box.dataset.run === runId) box.remove();
    }
  }

  // Pending tool calls of run `runId`: each gets Approve and Deny; once all are
  // decided, they are sent to that run (even when another run is shown by then).
  ask(calls, runId) {
    const decisions = {};
    const box = h("div", { class: "approval-box", dataset: { run: runId } }, h("div", { class: "title", text: "Waiting for your approval" }));
    for (const call of calls) {
      const row = h(
        "div",
        { class: "approval", dataset: { call: call.id } },
        h("span", { class: "call", text: `${call.name}` }),
        h("pre", { class: "raw", text: json(call.arguments) }),
      );
      const decide = (value) => async () => {
        decisions[call.id] = value;
        row.classList.add(value ? "approved" : "denied");
        for (const button of row.querySelectorAll("button")) button.disabled = true;
        if (Object.keys(decisions).length === calls.length) {
          try {
            await this.api.post(`/v1/runs/${encodeURIComponent(runId)}/approvals`, { approvals: decisions });
            box.remove();
            if (runId !== this.runId) {
              this.status.show(`Decisions sent: run ${runId} goes on; open #run=${runId} to follow it.`, "ok", "decided");
            }
          } catch (error) {
            this.status.show(error.message, "error");
          }
        }
      };
      row.append(
        h("button", { class: "approve", type: "button", onclick: decide(true), text: "Approve" }),
        h("button", { class: "deny", type: "button", onclick: decide(false), text: "Deny" }),
      );
      box.append(row);
    }
    this.el.approvals.append(box);
  }
}

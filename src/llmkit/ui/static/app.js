// The page: reads the token (from the URL's fragment once, then from this tab's
// session storage), asks the server what it serves, and shows the chat, the runs
// this token started, or the recordings. #run=<id> reopens a run: its events are
// read again from the API.

import { Api } from "./api.js";
import { h } from "./dom.js";
import { Chat } from "./chat.js";
import { Recordings } from "./recordings.js";
import { Runs } from "./runs.js";

const $ = (id) => document.getElementById(id);

class Status {
  constructor(node) {
    this.node = node;
  }

  show(text, kind = "ok", state = kind) {
    this.node.textContent = text;
    this.node.className = `status ${kind}`;
    this.node.dataset.state = state;
    this.node.hidden = false;
  }
}

function fragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get("token");
  if (token) {
    sessionStorage.setItem("llmkit-ui-token", token);
    params.delete("token");
    const rest = params.toString();
    history.replaceState(null, "", rest ? `#${rest}` : location.pathname);
  }
  return params;
}

async function start() {
  const params = fragment();
  const status = new Status($("status"));
  const token = sessionStorage.getItem("llmkit-ui-token");
  if (!token) {
    $("login").hidden = false;
    $("login").addEventListener("submit", (event) => {
      event.preventDefault();
      sessionStorage.setItem("llmkit-ui-token", $("token").value.trim());
      location.reload();
    });
    document.body.dataset.ready = "login";
    return;
  }
  const api = new Api(token);
  let info;
  try {
    info = await api.get("/ui/api/info");
  } catch (error) {
    status.show(error.status === 401 ? `${error.message} (the token of this tab was refused)` : error.message, "error");
    $("login").hidden = false;
    document.body.dataset.ready = "error";
    return;
  }
  const tabs = $("tabs");
  const views = { chat: $("chat-view"), runs: $("runs-view"), recordings: $("recordings-view") };
  const select = (name) => {
    for (const [key, view] of Object.entries(views)) view.hidden = key !== name;
    for (const button of tabs.querySelectorAll("button")) button.classList.toggle("current", button.dataset.view === name);
  };
  let recordings = null;
  if (info.targets.length) {
    tabs.append(h("button", { type: "button", dataset: { view: "chat" }, text: "Chat", onclick: () => select("chat") }));
  }
  if (info.recordings) {
    tabs.append(
      h("button", {
        type: "button", dataset: { view: "recordings" }, text: "Recordings",
        onclick: async () => {
          select("recordings");
          if (!recordings) {
            recordings = new Recordings(api, views.recordings, status);
            await recordings.load();
          }
        },
      }),
    );
  }
  if (info.targets.length) {
    const chat = new Chat(api, {
      title: $("target-title"), form: $("composer"), input: $("input"), messages: $("messages"),
      timeline: $("timeline"), approvals: $("approvals"), diagram: $("diagram"),
    }, status);
    const picker = $("target");
    for (const target of info.targets) picker.append(h("option", { value: target.name, text: `${target.name} (${target.kind})` }));
    const byName = Object.fromEntries(info.targets.map((t) => [t.name, t]));
    picker.addEventListener("change", () => chat.choose(byName[picker.value]));
    chat.choose(info.targets[0]);
    // A run picked in the list opens in the chat view, with its agent or workflow chosen.
    const runs = new Runs(api, views.runs, status, (run) => {
      if (byName[run.target] && picker.value !== run.target) {
        picker.value = run.target;
        chat.choose(byName[run.target]);
      }
      select("chat");
      chat.open(run.id, 0, { withInput: true });
    });
    tabs.querySelector('[data-view="chat"]').after(
      h("button", {
        type: "button", dataset: { view: "runs" }, text: "Runs",
        onclick: async () => {
          select("runs");
          await runs.load();
        },
      }),
    );
    select("chat");
    const run = params.get("run");
    if (run) chat.open(run, 0);
  } else {
    tabs.querySelector("button").click();
  }
  document.body.dataset.ready = "yes";
}

start();

// The page's client of the serve API (/v1) and the UI's read-only API (/ui/api).
// Every call sends the bearer token; events are read with fetch (EventSource cannot
// send a header) and resumed with Last-Event-ID after a lost connection.

export class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const OVER = new Set(["complete", "failed", "cancelled"]);

function delay(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export class Api {
  constructor(token) {
    this.token = token;
  }

  headers(extra = {}) {
    return { Authorization: `Bearer ${this.token}`, ...extra };
  }

  async request(method, path, body) {
    const options = { method, headers: this.headers() };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!response.ok) {
      const error = data && data.error ? data.error : { message: `${response.status} ${response.statusText}` };
      throw new ApiError(response.status, error.message, error.code);
    }
    return data;
  }

  get(path) {
    return this.request("GET", path);
  }

  post(path, body) {
    return this.request("POST", path, body);
  }

  // Follow a run's events from after `after`: handlers.event(id, data) for each,
  // handlers.dropped(last, id) when the server no longer keeps the events between,
  // handlers.broken(error, id) when showing one threw (the stream goes on),
  // handlers.lost() when the connection drops, handlers.back(replayed) once it is
  // back, handlers.done(run) at the end. Returns the AbortController that stops it.
  follow(runId, after, handlers) {
    const control = new AbortController();
    const signal = control.signal;
    let last = after;
    const run = async () => {
      let failures = 0;
      let lostAt = null;
      while (!signal.aborted) {
        try {
          const response = await fetch(`/v1/runs/${encodeURIComponent(runId)}/events`, {
            headers: this.headers({ "Last-Event-ID": String(last) }),
            signal,
          });
          if (!response.ok) {
            const data = await response.json().catch(() => null);
            const message = data && data.error ? data.error.message : `${response.status}`;
            if (response.status >= 500) throw new Error(message);
            handlers.failed?.(new ApiError(response.status, message));
            return;
          }
          if (lostAt !== null) {
            handlers.back?.(lostAt);
            lostAt = null;
          }
          failures = 0;
          await this.readEvents(response, (id, data) => {
            if (id !== null && id > last + 1) handlers.dropped?.(last, id);
            if (id !== null) last = id;
            // A page error is not a lost connection: say so and read on.
            try {
              handlers.event(id, data);
            } catch (error) {
              console.error(error);
              handlers.broken?.(error, id);
            }
          });
          const state = await this.get(`/v1/runs/${encodeURIComponent(runId)}`);
          if (OVER.has(state.status)) {
            handlers.done?.(state);
            return;
          }
          throw new Error("the event stream ended before the run did");
        } catch (error) {
          if (signal.aborted) return;
          if (error instanceof ApiError && error.status < 500) {
            handlers.failed?.(error);
            return;
          }
          if (lostAt === null) {
            lostAt = last;
            handlers.lost?.(last);
          }
          failures += 1;
          await delay(Math.min(200 * 2 ** Math.min(failures, 4), 2000), signal);
        }
      }
    };
    run();
    return control;
  }

  async readEvents(response, onEvent) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let id = null;
        const data = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("id:")) id = Number(line.slice(3).trim());
          else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
        }
        if (data.length) onEvent(id, JSON.parse(data.join("\n")));
      }
    }
  }
}

// The llmkit runtime inside each V8 isolate: host calls as promises, values by one JSON rule,
// the sandbox. Evaluated once per isolate; returns the functions the Python driver calls.
(function (bell, alarm) {
  "use strict";
  const MARK = "$$llmkit";
  const HANDLE = Symbol("llmkit.handle");
  const pending = new Map();      // host call id -> [resolve, reject]
  const functions = new Map();    // function id -> a script function handed to Python
  const ids = new WeakMap();      // script function -> its id
  let nextCall = 1, nextFunction = 1, tripped = null;
  // The line of the loop the script went round last: the engine marks each loop's condition
  // with a call of this probe (see _loops.py), as a terminated run leaves no stack to read.
  let at = 0;
  Object.defineProperty(globalThis, "$llmkit$at", { value: (line) => { at = line; return true; } });
  // Python may not read the isolate while the script runs: messages wait in the outbox, and the
  // bell (which carries no data) tells the driver to fetch them with drain().
  const outbox = [];
  // True from a call of the driver that lets the script run until the drain() that follows
  // it: the driver fetches the messages then, unasked.
  let expecting = false;
  const send = (message) => {
    outbox.push(JSON.stringify(message));
    if (outbox.length === 1 && !expecting) bell();
  };

  function encode(value) {
    return JSON.stringify(value === undefined ? null : value, function (key, v) {
      if (v === undefined) return null;
      if (typeof v === "function") {
        if (v[HANDLE] !== undefined) return { [MARK]: v[HANDLE] };
        let id = ids.get(v);
        if (id === undefined) { id = nextFunction++; ids.set(v, id); functions.set(id, v); }
        return { [MARK]: ["fn", id] };
      }
      if (v !== null && typeof v === "object" && Object.prototype.hasOwnProperty.call(v, HANDLE)) {
        return { [MARK]: v[HANDLE] };
      }
      if (typeof v === "bigint") return Number(v);
      if (v instanceof Map) return Object.fromEntries(v);
      if (v instanceof Set) return Array.from(v);
      return v;
    });
  }

  function camel(name) { return name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase()); }

  function hostObject(spec) {
    const [, id, type, methods, fields] = spec;
    const obj = fields && typeof fields === "object" ? fields : {};
    Object.defineProperty(obj, HANDLE, { value: ["obj", id] });
    for (const name of methods) {
      Object.defineProperty(obj, camel(name), {
        value: (...args) => hostCall("method", id, name, args), enumerable: false,
      });
    }
    if (methods.includes("next")) {
      obj[Symbol.asyncIterator] = async function* () {
        for (;;) { const piece = await obj.next(); if (piece === null) return; yield piece; }
      };
    }
    Object.defineProperty(obj, Symbol.toStringTag, { value: type });
    return obj;
  }

  function decode(text) {
    return JSON.parse(text, function (key, v) {
      if (v === null || typeof v !== "object" || !Object.prototype.hasOwnProperty.call(v, MARK)) return v;
      const spec = v[MARK];
      switch (spec[0]) {
        case "fn": return functions.get(spec[1]) || null;
        case "py": {
          const f = (...args) => hostCall("py", spec[1], "", args);
          Object.defineProperty(f, HANDLE, { value: spec });
          return f;
        }
        case "promise": {
          const p = hostCall("await", spec[1], "", []);
          Object.defineProperty(p, HANDLE, { value: spec });
          return p;
        }
        case "obj": return hostObject(spec);
        default: return null;
      }
    });
  }

  function hostCall(kind, target, name, args) {
    if (tripped !== null) throw tripped;
    const id = nextCall++;
    const site = new Error();  // where the script made the call: a host error points there
    return new Promise((resolve, reject) => {
      pending.set(id, [resolve, reject, site, kind]);
      send(["call", id, kind, target, name, encode(args)]);
    });
  }

  function makeError(text) {
    const info = JSON.parse(text);
    const err = new Error(info.message);
    if (info.name) err.name = info.name;
    return err;
  }

  function errorInfo(e) {
    if (e instanceof Error) return { name: e.name, message: String(e.message), stack: String(e.stack || "") };
    let message;
    try { message = typeof e === "string" ? e : JSON.stringify(e); } catch (_) { message = String(e); }
    return { name: "", message: "error value: " + message, stack: "" };
  }

  function fail(callId, e) { send(["return", callId, false, JSON.stringify(errorInfo(e))]); }

  function give(callId, value) {
    let text;
    try { text = encode(value); } catch (e) { fail(callId, e); return; }
    send(["return", callId, true, text]);
  }

  // Send the result of call `callId` back: at once when it is a value, once settled when a promise.
  function finish(callId, result) {
    const thenable = result !== null && (typeof result === "object" || typeof result === "function")
      && typeof result.then === "function";
    if (!thenable) { give(callId, result); return; }
    Promise.resolve(result).then((value) => give(callId, value), (e) => fail(callId, e));
  }

  function trip(kind, message) {
    const err = new Error(message);
    err.name = "SandboxViolation";
    tripped = err;
    send(["trip", kind, message, String(err.stack || "")]);
    alarm();
    throw err;
  }

  function withheld(what, level) {
    return () => trip("sandbox", "sandbox: " + what + " is not available in the " + level + " sandbox");
  }

  const compile = globalThis.eval;
  const modules = new Map();
  async function require(name) {
    if (modules.has(name)) return modules.get(name);
    const [source, file] = await hostCall("require", 0, "", [name]);
    const module = { exports: {} };
    compile("(function (module, exports) {" + source + "\n})\n//# sourceURL=" + file)(module, module.exports);
    modules.set(name, module.exports);
    return module.exports;
  }
  const write = (text) => { hostCall("print", 0, "", [text]).catch(() => {}); };
  const show = (args) => args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" ") + "\n";
  globalThis.print = (...args) => write(args.map(String).join("\t") + "\n");
  globalThis.console = { log: (...a) => write(show(a)), info: (...a) => write(show(a)),
    warn: (...a) => write(show(a)), error: (...a) => write(show(a)) };
  const baseline = new Set();
  // Resolve (ok) or reject host call `id` with `text`; the script runs on meanwhile.
  function settle(id, ok, text) {
    at = 0;
    expecting = true;
    const entry = pending.get(id);
    if (entry === undefined) return;
    pending.delete(id);
    if (ok) { entry[0](decode(text)); return; }
    const err = makeError(text);
    err.stack = err.name + ": " + err.message + "\n" + String(entry[2].stack).split("\n").slice(1).join("\n");
    entry[1](err);
  }
  function drain() {
    // No script code runs in here: a loop line kept past it would be stale by the next call.
    at = 0;
    expecting = false;
    const text = "[" + outbox.join(",") + "]";
    outbox.length = 0;
    return text;
  }
  // Call `fn` with the arguments `argsText`; its (awaited) result is sent back as call `callId`.
  // Returns the messages the script sent meanwhile (a value's return among them); what it
  // sends after, from promises that settle later, rings the bell.
  function start(callId, fn, argsText) {
    at = 0;
    expecting = true;
    try { finish(callId, fn(...decode(argsText))); } catch (e) { fail(callId, e); }
    return drain();
  }
  return {
    drain,
    // The answers of several host calls at once: [[id, ok, text], ...].
    answer(repliesText) {
      for (const [id, ok, text] of JSON.parse(repliesText)) settle(id, ok, text);
    },
    settle,
    start,
    // Start the global function `name` as start() does; null when there is none.
    startGlobal(callId, name, argsText) {
      const fn = globalThis[name];
      return typeof fn === "function" ? start(callId, fn, argsText) : null;
    },
    // The sandbox violation that stopped the script: [message, stack], or null.
    violation() { return tripped === null ? null : JSON.stringify([tripped.message, String(tripped.stack || "")]); },
    invoke(callId, fnId, argsText) { return start(callId, functions.get(fnId), argsText); },
    install(name, namesText, flat, valuesText) {
      const functionNames = JSON.parse(namesText);
      const target = flat ? globalThis : (globalThis[name] = {});
      for (const fname of functionNames) {
        target[camel(fname)] = (...args) => hostCall("bridge", name, fname, args);
      }
      Object.assign(target, decode(valuesText));
    },
    assign(name, flat, valuesText) {
      Object.assign(flat ? globalThis : globalThis[name], decode(valuesText));
    },
    define(name, valueText) { globalThis[name] = decode(valueText); },
    sandbox(level, allowRequire) {
      const g = globalThis;
      const lock = (obj, key, what) => Object.defineProperty(obj, key, { get: withheld(what, level), configurable: false });
      if (level !== "permissive") {
        lock(g, "eval", "eval");
        lock(g, "WebAssembly", "WebAssembly");
        const protos = [Function.prototype, Object.getPrototypeOf(async function () {}),
          Object.getPrototypeOf(function* () {}), Object.getPrototypeOf(async function* () {})];
        for (const proto of protos) lock(proto, "constructor", "the Function constructor");
        lock(g, "Function", "the Function constructor");
      }
      if (allowRequire) g.require = require; else lock(g, "require", "require");
      for (const key of Reflect.ownKeys(g)) baseline.add(key);
    },
    reset() {
      tripped = null;
      expecting = false;
      modules.clear();
      pending.clear();
      functions.clear();
      for (const key of Reflect.ownKeys(globalThis)) {
        if (!baseline.has(key)) { try { delete globalThis[key]; } catch (_) {} }
      }
    },
    // The stack where the script made host call `id` (a limit or violation it met points there).
    site(id) {
      const entry = pending.get(id);
      return entry === undefined ? "" : String(entry[2].stack).split("\n").slice(1).join("\n");
    },
    // Where a run stopped by its time limit was: in a loop (busy) or awaiting a host call.
    where(busy) {
      if (busy) return JSON.stringify({ line: at, stack: "" });
      let site = null;
      for (const entry of pending.values()) if (entry[3] !== "print") site = entry[2];
      return JSON.stringify({ line: 0, stack: site === null ? "" : String(site.stack) });
    },
    forget() { tripped = null; expecting = false; pending.clear(); outbox.length = 0; },
  };
})

// The llmkit runtime inside each V8 isolate: host calls as promises, values by one JSON rule,
// the sandbox. Evaluated once per isolate; returns the functions the Python driver calls.
(function (bell, alarm, token) {
  "use strict";
  // The built-ins the runtime uses, taken before any script runs: a script that replaces one
  // (possible in the permissive sandbox, where built-ins are not frozen) cannot reach in here.
  const stringify = JSON.stringify, parse = JSON.parse;
  const define = Object.defineProperty, hasOwn = Object.prototype.hasOwnProperty;
  const fromEntries = Object.fromEntries, arrayFrom = Array.from, ownKeys = Reflect.ownKeys;
  const describe = Reflect.getOwnPropertyDescriptor, freeze = Object.freeze;
  const protoOf = Reflect.getPrototypeOf, isView = ArrayBuffer.isView;
  const Buffer = ArrayBuffer, Bytes = Uint8Array, View = DataView;
  const apply = Reflect.apply, assign = Object.assign, ParseError = SyntaxError;
  const call = (f, self, ...args) => apply(f, self, args);
  const MARK = "$$llmkit";
  const HANDLE = Symbol("llmkit.handle");
  const pending = new Map();      // host call id -> [resolve, reject]
  const functions = new Map();    // function id -> a script function handed to Python
  const ids = new WeakMap();      // script function -> its id
  let nextCall = 1, nextFunction = 1, tripped = null, trippedKind = "sandbox";
  // The line of the loop the script went round last: the engine marks each loop's condition
  // with a call of this probe (see _loops.py), as a terminated run leaves no stack to read.
  // A loop of a module (require) gives the module's number too. Both sit in memory Python
  // reads without entering the isolate: a script that never yields, even one that runs in
  // promise callbacks between the driver's calls, still tells where it is.
  const spot = new Int32Array(new ArrayBuffer(8));
  define(globalThis, "$llmkit$at", { value: (line, module) => { spot[1] = module || 0; spot[0] = line; return true; } });
  // A too deep recursion is a limit, as in Lua: a script that catches V8's RangeError still
  // ends. The engine calls this probe first in each `catch` block of the script (see _loops.py),
  // and a rejection handler gets it from then() below: the limit trips as a violation does.
  const StackError = RangeError, OVERFLOW = "Maximum call stack size exceeded";
  function overflow(e) {
    if (tripped === null && e instanceof StackError && e.message === OVERFLOW) trip("recursion", e.message, e);
  }
  function caught(e) {
    if (tripped !== null) throw tripped;
    overflow(e);
  }
  define(globalThis, "$llmkit$caught", { value: caught });
  const then = Promise.prototype.then;
  define(Promise.prototype, "then", {
    value: function (ok, bad) {
      const guarded = typeof bad === "function" ? function (e) { overflow(e); return call(bad, this, e); } : bad;
      return call(then, this, ok, guarded);
    },
    writable: true, configurable: true,
  });
  // Python may not read the isolate while the script runs: messages wait in the outbox, and the
  // bell (which carries no data) tells the driver to fetch them with drain().
  const outbox = [];
  // True from a call of the driver that lets the script run until the drain() that follows
  // it: the driver fetches the messages then, unasked.
  let expecting = false;
  const send = (message) => {
    outbox[outbox.length] = stringify(message);
    if (outbox.length === 1 && !expecting) bell();
  };

  function encode(value) {
    return stringify(value === undefined ? null : value, function (key, v) {
      if (v === undefined || typeof v === "symbol") return null;
      if (typeof v === "function") {
        if (v[HANDLE] !== undefined) return { [MARK]: v[HANDLE] };
        let id = ids.get(v);
        if (id === undefined) { id = nextFunction++; ids.set(v, id); functions.set(id, v); }
        return { [MARK]: ["fn", id] };
      }
      if (v !== null && typeof v === "object" && call(hasOwn, v, HANDLE)) {
        return { [MARK]: v[HANDLE] };
      }
      if (v instanceof Promise) {
        throw new TypeError("a promise was given where a value is expected: did you forget `await`?");
      }
      if (typeof v === "bigint") return Number(v);
      // Typed arrays as lists of their numbers; a DataView or an ArrayBuffer as its bytes.
      if (v instanceof View) return arrayFrom(new Bytes(v.buffer, v.byteOffset, v.byteLength));
      if (isView(v)) return arrayFrom(v);
      if (v instanceof Buffer) return arrayFrom(new Bytes(v));
      if (v instanceof Map) return fromEntries(v);
      if (v instanceof Set) return arrayFrom(v);
      return v;
    });
  }

  function camel(name) { return name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase()); }

  function hostObject(spec) {
    const [, id, type, methods, fields] = spec;
    const obj = fields && typeof fields === "object" ? fields : {};
    define(obj, HANDLE, { value: ["obj", id] });
    for (const name of methods) {
      define(obj, camel(name), {
        value: (...args) => hostCall("method", id, name, args), enumerable: false,
      });
    }
    if (methods.includes("next")) {
      obj[Symbol.asyncIterator] = async function* () {
        for (;;) { const piece = await obj.next(); if (piece === null) return; yield piece; }
      };
    }
    define(obj, Symbol.toStringTag, { value: type });
    return obj;
  }

  const includes = String.prototype.includes;
  function decode(text) {
    // Text without a marked value is plain JSON: parsed without a reviver, several times faster.
    if (!call(includes, text, MARK)) return parse(text);
    return parse(text, function (key, v) {
      if (v === null || typeof v !== "object" || !call(hasOwn, v, MARK)) return v;
      const spec = v[MARK];
      switch (spec[0]) {
        case "fn": return functions.get(spec[1]) || null;
        case "py": {
          const f = (...args) => hostCall("py", spec[1], "", args);
          define(f, HANDLE, { value: spec });
          return f;
        }
        case "promise": {
          const p = hostCall("await", spec[1], "", []);
          define(p, HANDLE, { value: spec });
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
    const info = parse(text);
    const err = new Error(info.message);
    if (info.name) err.name = info.name;
    return err;
  }

  function errorInfo(e) {
    if (e instanceof Error) return { name: e.name, message: String(e.message), stack: String(e.stack || "") };
    let message;
    try { message = typeof e === "string" ? e : stringify(e); } catch (_) { message = String(e); }
    return { name: "", message: "error value: " + message, stack: "" };
  }

  function fail(callId, e) { send(["return", callId, false, stringify(errorInfo(e))]); }

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

  function trip(kind, message, err) {
    if (err === undefined) { err = new Error(message); err.name = "SandboxViolation"; }
    tripped = err;
    trippedKind = kind;
    send(["trip", kind, message, String(err.stack || "")]);
    alarm();
    throw err;
  }

  function withheld(what, level) {
    return () => trip("sandbox", "sandbox: " + what + " is not available in the " + level + " sandbox");
  }

  // Timers of the run. A callback waits on a host sleep, so it runs within a call of the driver
  // (which bounds it by the run's time limit), and a timer cannot outlive its run: the run's
  // end cancels its sleeps and reset() forgets every timer.
  const timers = new Set();
  let nextTimer = 1;
  function arm(id, fn, seconds, args, repeat) {
    hostCall("timer", 0, "", [seconds]).then(() => {
      if (!timers.has(id)) return;
      if (repeat) arm(id, fn, seconds, args, true); else timers.delete(id);
      fn(...args);
    }, () => { timers.delete(id); });
  }
  function timer(what, repeat) {
    return (fn, ms, ...args) => {
      if (typeof fn !== "function") throw new TypeError(what + " takes a function (a string of code is not run)");
      const id = nextTimer++;
      timers.add(id);
      arm(id, fn, Math.max(0, Number(ms) || 0) / 1000, args, repeat);
      return id;
    };
  }
  const clearTimer = (id) => { timers.delete(id); };
  const compile = globalThis.eval;
  const modules = new Map();
  async function require(name) {
    if (modules.has(name)) return modules.get(name);
    // The module with its loops and catch blocks marked, as the script is; as written should
    // the marks not parse.
    const [marked, source, file] = await hostCall("require", 0, "", [name]);
    const wrap = (body) => compile("(function (module, exports) {" + body + "\n})\n//# sourceURL=" + file);
    let body;
    try { body = wrap(marked); } catch (e) { if (!(e instanceof ParseError) || marked === source) throw e; body = wrap(source); }
    const module = { exports: {} };
    body(module, module.exports);
    modules.set(name, module.exports);
    return module.exports;
  }
  const write = (text) => { hostCall("print", 0, "", [text]).catch(() => {}); };
  const show = (args) => args.map((a) => (typeof a === "string" ? a : stringify(a))).join(" ") + "\n";
  globalThis.print = (...args) => write(args.map(String).join("\t") + "\n");
  globalThis.console = { log: (...a) => write(show(a)), info: (...a) => write(show(a)),
    warn: (...a) => write(show(a)), error: (...a) => write(show(a)) };
  const baseline = new Map();  // global name -> its descriptor once the sandbox is set
  // Resolve (ok) or reject host call `id` with `text`; the script runs on meanwhile.
  function settle(id, ok, text) {
    spot[0] = 0;
    expecting = true;
    const entry = pending.get(id);
    if (entry === undefined) return;
    pending.delete(id);
    if (ok) { entry[0](decode(text)); return; }
    const err = makeError(text);
    err.stack = err.name + ": " + err.message + "\n" + String(entry[2].stack).split("\n").slice(1).join("\n");
    entry[1](err);
  }
  // Freeze every object reachable from the globals (not globalThis itself), so a run cannot change
  // a built-in or a bridge function for the runs after it. Data properties a script may assign on
  // its own objects (toString, name, ...) become accessors first: assigning on an object that
  // inherits them defines its own property, as it does where the built-ins are not frozen.
  const OVERRIDABLE = new Set(["constructor", "toString", "toLocaleString", "valueOf", "name",
    "message", "hasOwnProperty", "isPrototypeOf", "propertyIsEnumerable", "toJSON"]);
  function overridable(obj, key) {
    const d = describe(obj, key);
    if (d === undefined || !("value" in d) || !d.writable || !d.configurable) return;
    const value = d.value;
    define(obj, key, {
      get() { return value; },
      set(v) {
        if (this === obj) throw new TypeError("Cannot assign to " + String(key) + ": built-ins are frozen");
        define(this, key, { value: v, writable: true, enumerable: true, configurable: true });
      },
      enumerable: d.enumerable, configurable: false,
    });
  }
  function harden(roots) {
    const seen = new Set();
    const stack = roots.slice();
    while (stack.length > 0) {
      const obj = stack.pop();
      if (obj === null || (typeof obj !== "object" && typeof obj !== "function") || seen.has(obj)) continue;
      if (obj === globalThis) continue;
      seen.add(obj);
      for (const key of ownKeys(obj)) {
        const d = describe(obj, key);
        if ("value" in d) stack.push(d.value); else stack.push(d.get, d.set);
      }
      stack.push(protoOf(obj));
    }
    for (const obj of seen) {
      for (const key of ownKeys(obj)) if (OVERRIDABLE.has(key)) overridable(obj, key);
      freeze(obj);
    }
  }
  function drain() {
    // No script code runs in here: a loop line kept past it would be stale by the next call.
    spot[0] = 0;
    expecting = false;
    const text = "[" + outbox.join(",") + "]";
    outbox.length = 0;
    return text;
  }
  // Call `fn` with the arguments `argsText`; its (awaited) result is sent back as call `callId`.
  // Returns the messages the script sent meanwhile (a value's return among them); what it
  // sends after, from promises that settle later, rings the bell.
  function begin(callId, fn, argsText) {
    spot[0] = 0;
    expecting = true;
    try { finish(callId, fn(...decode(argsText))); } catch (e) { fail(callId, e); }
    return drain();
  }
  let compiled = null;  // the script function compiled last (hold), which start() calls
  const api = {
    drain,
    hold(fn) { compiled = fn; return null; },
    // The answers of several host calls at once: [[id, ok, text], ...].
    answer(repliesText) {
      const replies = parse(repliesText);
      for (let i = 0; i < replies.length; i++) settle(replies[i][0], replies[i][1], replies[i][2]);
    },
    settle,
    start(callId, argsText) { return begin(callId, compiled, argsText); },
    // Start the global function `name` as start() does; null when there is none.
    startGlobal(callId, name, argsText) {
      const fn = globalThis[name];
      return typeof fn === "function" ? begin(callId, fn, argsText) : null;
    },
    // The sandbox violation or limit that stopped the script: [message, stack, kind], or null.
    violation() {
      return tripped === null ? null : stringify([tripped.message, String(tripped.stack || ""), trippedKind]);
    },
    invoke(callId, fnId, argsText) { return begin(callId, functions.get(fnId), argsText); },
    install(name, namesText, flat, valuesText) {
      const functionNames = parse(namesText);
      const target = flat ? globalThis : (globalThis[name] = {});
      for (const fname of functionNames) {
        target[camel(fname)] = (...args) => hostCall("bridge", name, fname, args);
      }
      assign(target, decode(valuesText));
    },
    assign(name, flat, valuesText) {
      assign(flat ? globalThis : globalThis[name], decode(valuesText));
    },
    define(name, valueText) { globalThis[name] = decode(valueText); },
    sandbox(level, allowRequire) {
      const g = globalThis;
      g.setTimeout = timer("setTimeout", false);
      g.setInterval = timer("setInterval", true);
      g.clearTimeout = clearTimer;
      g.clearInterval = clearTimer;
      const lock = (obj, key, what) => define(obj, key, { get: withheld(what, level), configurable: false });
      if (level !== "permissive") {
        lock(g, "eval", "eval");
        lock(g, "WebAssembly", "WebAssembly");
        const protos = [Function.prototype, Object.getPrototypeOf(async function () {}),
          Object.getPrototypeOf(function* () {}), Object.getPrototypeOf(async function* () {})];
        for (const proto of protos) lock(proto, "constructor", "the Function constructor");
        lock(g, "Function", "the Function constructor");
      }
      if (allowRequire) g.require = require; else lock(g, "require", "require");
      if (level !== "permissive") {
        const roots = [];
        for (const key of ownKeys(g)) {
          const d = describe(g, key);
          if ("value" in d && !(typeof key === "string" && key.startsWith("$llmkit"))) roots.push(d.value);
        }
        harden(roots);
      }
      for (const key of ownKeys(g)) baseline.set(key, describe(g, key));
    },
    reset() {
      tripped = null;
      expecting = false;
      modules.clear();
      pending.clear();
      functions.clear();
      timers.clear();
      for (const key of ownKeys(globalThis)) {
        if (!baseline.has(key)) { try { delete globalThis[key]; } catch (_) {} }
      }
      // A global of the baseline the run replaced gets its first value back.
      for (const [key, was] of baseline) {
        const now = describe(globalThis, key);
        if (now === undefined || now.value !== was.value || now.get !== was.get || now.set !== was.set) {
          try { define(globalThis, key, was); } catch (_) {}
        }
      }
    },
    // The stack where the script made host call `id` (a limit or violation it met points there).
    site(id) {
      const entry = pending.get(id);
      return entry === undefined ? "" : String(entry[2].stack).split("\n").slice(1).join("\n");
    },
    // Where a run stopped by its time limit was: in a loop (busy) or awaiting a host call.
    where(busy) {
      if (busy) return stringify({ line: spot[0], module: spot[1], stack: "" });
      let site = null;
      for (const entry of pending.values()) if (entry[3] !== "print") site = entry[2];
      return stringify({ line: 0, stack: site === null ? "" : String(site.stack) });
    },
    forget() { tripped = null; expecting = false; pending.clear(); timers.clear(); outbox.length = 0; },
  };
  // The driver reaches these functions by evaluating calls through this gate; a script, which
  // never sees the token, gets nothing from it.
  define(globalThis, "$llmkit$k", { value: (key) => (key === token ? api : undefined) });
  return spot.buffer;
})

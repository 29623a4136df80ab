// describe / it / expect for JavaScript spec files (llmkit script test), run before the spec
// file on the same engine. describe runs its body at once and it() registers a case, as in
// mocha and jest; __spec_results() then runs the cases in order (awaiting each) and hands
// their outcomes to the runner. A failure names the spec file's line.
const specCases = [];
const specNames = [];
const specChecks = [];  // the promises of toThrow, awaited with their case even when it does not

function specWhere(stack) {
  // The first frame in the spec file itself: V8 counts one line more (the run's wrapper).
  for (const frame of String(stack || "").split("\n").slice(1)) {
    const found = /\(?([^()]*):(\d+):\d+\)?\s*$/.exec(frame.replace(/^\s*at\s+(async\s+)?/, ""));
    if (found === null) continue;
    // A script's whitespace is percent-encoded in its sourceURL (V8 cuts a URL at whitespace).
    const file = found[1].replace(/%(09|0A|0D|20)/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
    // The helpers and the runner's own runs have names with a space and no .js: not spec files.
    if (file === "<anonymous>" || file === "llmkit-prelude.js") continue;
    if (file.includes(" ") && !/\.m?js$/.test(file)) continue;
    return file + ":" + Math.max(Number(found[2]) - 1, 1) + ": ";
  }
  return "";
}

function specMessage(e) {
  if (!(e instanceof Error)) return "error value: " + specShow(e);
  const text = e.name && e.name !== "Error" ? e.name + ": " + e.message : String(e.message);
  return specWhere(e.stack) + text;
}

function specShow(v) {
  if (v === undefined) return "undefined";
  if (typeof v === "function") return "a function";
  try { return JSON.stringify(v); } catch (_) { return String(v); }
}

function specSame(a, b) {
  if (a === b || (a == null && b == null)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if (!specSame(a[k], b[k])) return false;
  return true;
}

function describe(name, body) {
  specNames.push(String(name));
  try {
    const result = body();
    if (result && typeof result.then === "function") {
      throw new Error("describe's body registers cases with it() and must not be async");
    }
  } catch (e) {
    specCases.push({ name: specNames.join(" "), failed: specMessage(e) });
  } finally {
    specNames.pop();
  }
}

function it(name, body) {
  specCases.push({ name: [...specNames, String(name)].join(" "), body });
}

function expect(actual) {
  const fail = (wanted) => { throw new Error("expected " + specShow(actual) + " " + wanted); };
  return {
    toBe(v) { if (actual !== v) fail("to be " + specShow(v)); },
    toEqual(v) { if (!specSame(actual, v)) fail("to equal " + specShow(v)); },
    toContain(v) {
      const found = typeof actual === "string" ? actual.includes(v)
        : Array.from(Object.values(actual || {})).some((item) => specSame(item, v));
      if (!found) fail("to contain " + specShow(v));
    },
    toBeTruthy() { if (!actual) fail("to be truthy"); },
    toBeNull() { if (actual != null) fail("to be null"); },
    toThrow(pattern) {
      const site = new Error("expected the function to throw");
      const check = (async () => {
        let error = null;
        try { await actual(); } catch (e) { error = e; }
        if (error === null) throw site;
        const text = error instanceof Error ? String(error.message) : specShow(error);
        if (pattern !== undefined && !text.includes(pattern)) {
          site.message = "expected the error to contain " + specShow(pattern) + ", got " + specShow(text);
          throw site;
        }
      })();
      check.catch(() => {});  // reported by the case, awaited or not
      specChecks.push(check);
      return check;
    },
  };
}

async function __spec_results() {
  const results = [];
  for (const c of specCases) {
    if (c.body === undefined) { results.push({ name: c.name, ok: false, message: c.failed }); continue; }
    specChecks.length = 0;
    try {
      await c.body();
      for (const check of specChecks) await check;
      results.push({ name: c.name, ok: true, message: "" });
    } catch (e) {
      results.push({ name: c.name, ok: false, message: specMessage(e) });
    }
  }
  return results;
}

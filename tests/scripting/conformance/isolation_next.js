// The next run on the same engine: built-ins, bridge modules and globals as they were.
const own = { toString: () => "own" };
return ["  a  ".trim(), String(own), await json.encode([1]),
  typeof leaked === "undefined" ? "absent" : "present", typeof print];

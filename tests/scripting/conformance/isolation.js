// A run changes built-ins, a bridge module and the globals; the next run sees none of it.
const attempts = [
  () => { String.prototype.trim = function () { return "changed"; }; },
  () => { JSON.stringify = () => "garbage"; },
  () => { json.encode = async () => "replaced"; },
  () => { Object.freeze(String.prototype); },
  () => { console.log = () => {}; },
];
for (const attempt of attempts) {
  try { attempt(); } catch (_) { /* refused: as good as ignored */ }
}
globalThis.leaked = "from the last run";
print = () => {};
return "tampered";

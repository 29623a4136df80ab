// Timers run within their run, in order; one still armed when the run ends never fires.
const seen = [];
await new Promise((resolve) => setTimeout(resolve, 1));
setTimeout((what) => seen.push(what), 0, "zero");
const dropped = setTimeout(() => seen.push("cleared"), 0);
clearTimeout(dropped);
let ticks = 0;
await new Promise((resolve) => {
  const every = setInterval(() => {
    ticks += 1;
    if (ticks === 3) { clearInterval(every); resolve(); }
  }, 1);
});
seen.push("ticks:" + ticks);
setTimeout(() => state.set("late", "the timer outlived its run"), 20);
return seen;

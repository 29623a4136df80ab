// The next run on the same engine: the timer the last run left never fires.
await promise.sleep(0.2);
return state.get("late", "none");

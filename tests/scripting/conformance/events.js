const seen = [];
await events.on("report.*", (e) => { seen.push(e.topic + ":" + e.data.n); });
await events.publish("report.ready", { n: 3 });
await promise.sleep(0);
return seen;

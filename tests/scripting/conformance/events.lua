local seen = {}
events.on("report.*", function(e) seen[#seen + 1] = e.topic .. ":" .. e.data.n end)
events.publish("report.ready", { n = 3 })
promise.sleep(0)
return seen

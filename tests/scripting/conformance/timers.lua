-- Lua's timers are spawned functions that sleep: they run within their run, in order,
-- and one still asleep when the run ends never wakes.
local seen = {}
promise.all{ promise.spawn(function(what) promise.sleep(0) table.insert(seen, what) end, "zero") }
local ticks = 0
for _ = 1, 3 do promise.sleep(0.001) ticks = ticks + 1 end
table.insert(seen, "ticks:" .. ticks)
promise.spawn(function() promise.sleep(0.02) state.set("late", "the timer outlived its run") end)
return seen

"""Lua scripts driving llmkit, offline: a chat, a research agent with a Lua tool, a fan-out, a
workflow, a vector memory, specs.

The scripts are in examples/scripts/; here each runs on the fake provider server (every
model the scripts name answers from it). Run one yourself with
``llmkit script run examples/scripts/research.lua --fake`` (or with a real key and no --fake).
"""

from __future__ import annotations

from pathlib import Path

from llmkit.scripting import lua
from llmkit.testing import FakeProviderServer, default_responder, fake_model
from llmkit.testing.scripts import run_specs

SCRIPTS = Path(__file__).resolve().parent / "scripts"

with FakeProviderServer(default_responder) as server:
    engine = lua.Engine(model=fake_model(server), timeout=30, max_memory="64MB")
    with engine:
        chat = engine.run_file_sync(
            SCRIPTS / "chat.lua", params={"questions": "Hi, I am Ada;What is my name?"}
        )
        print(chat.printed, end="")
        print(f"[chat] {chat.output}")
        research = engine.run_file_sync(SCRIPTS / "research.lua", params={"topic": "tides"})
        print(f"[research] {research.output}")
        fanout = engine.run_file_sync(SCRIPTS / "fanout.lua")
        print(fanout.printed, end="")
        print(f"[fanout] {fanout.output}")
        flow = engine.run_file_sync(SCRIPTS / "workflow.lua", params={"topic": "tides"})
        print(flow.printed.splitlines()[3])
        print(f"[workflow] {sorted(flow.output.items())}")
        notes = engine.run_file_sync(SCRIPTS / "memory.lua")
        print(f"[memory] {sorted(notes.output.items())}")
    requests = len(server.requests)

print(f"model requests: {requests}")
report = run_specs([SCRIPTS / "spec" / "research_spec.lua"])
for case in report.cases:
    print(f"[spec] {case.name}: {'passed' if case.passed else 'FAILED ' + case.message}")

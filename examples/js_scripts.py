"""JavaScript scripts driving llmkit, offline: a chat, a fan-out, research and memory, a spec file.

The scripts are in examples/scripts/ beside their Lua twins; here each runs on the fake
provider server (every model the scripts name answers from it). Run one yourself with
``llmkit script run examples/scripts/fanout.js --fake`` (or with a real key and no --fake).
"""

from __future__ import annotations

from pathlib import Path

from llmkit.scripting import create_engine
from llmkit.testing import FakeProviderServer, default_responder, fake_model
from llmkit.testing.scripts import run_specs

SCRIPTS = Path(__file__).resolve().parent / "scripts"

with FakeProviderServer(default_responder) as server:
    with create_engine("js", model=fake_model(server), timeout=30, max_memory="64MB") as engine:
        chat = engine.run_file_sync(
            SCRIPTS / "chat.js", params={"questions": "Hi, I am Ada;What is my name?"}
        )
        print(chat.printed, end="")
        print(f"[chat] {chat.output}")
        fanout = engine.run_file_sync(SCRIPTS / "fanout.js", params={"topics": "tides,bees"})
        print(fanout.printed, end="")
        print(f"[fanout] {fanout.output}")
        research = engine.run_file_sync(SCRIPTS / "research.js", params={"topic": "tides"})
        print(f"[research] {sorted(research.output.items())}")
        notes = engine.run_file_sync(SCRIPTS / "memory.js")
        print(notes.printed, end="")
        print(f"[memory] {sorted(notes.output.items())}")
    requests = len(server.requests)

print(f"model requests: {requests}")
report = run_specs([SCRIPTS / "spec" / "research_spec.js"])  # describe / it / expect, as in jest
for case in report.cases:
    print(f"[spec] {case.name}: {'passed' if case.passed else 'FAILED ' + case.message}")

"""JavaScript scripts driving llmkit, offline: a chat and a fan-out with Promise.all.

The scripts are in examples/scripts/ beside their Lua twins; here each runs on the fake
provider server (every model the scripts name answers from it). Run one yourself with
``llmkit script run examples/scripts/fanout.js --fake`` (or with a real key and no --fake).
"""

from __future__ import annotations

from pathlib import Path

from llmkit.scripting import create_engine
from llmkit.testing import FakeProviderServer, default_responder, fake_model

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
    requests = len(server.requests)

print(f"model requests: {requests}")

"""What a fresh process loads for its first agent run, and what it leaves until a run needs it.

Each check runs a program in a new interpreter against the fake server and
reads ``sys.modules`` at each stage: after the import, after building the
agent, after a plain run (sync tool, no hooks, not streamed), and then after
the runs that do need the deferred modules (a streamed run, a run with a
hook), so a name that no longer exists cannot make the first checks pass.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from llmkit.testing import FakeProviderServer, tool_call

DEFERRED = (
    # Only a run with hooks: the hook contexts.
    "llmkit._hooks.base",
    # Only a streamed answer: the SSE and NDJSON decoders.
    "llmkit.http._decoders",
    # Only the other providers' capability tables.
    "llmkit.providers._profiles.anthropic",
    "llmkit.providers._profiles.gemini",
    # Only a price from the genai-prices dataset.
    "decimal",
)
"""Modules a plain first agent run on the OpenAI protocol does not load."""

BEFORE_A_REQUEST = ("queue",)
"""Modules neither ``from llmkit import Agent, tool`` nor building the agent loads (``queue``:
only a bus worker thread, or the thread of the first sync tool call)."""

PROGRAM = """
import asyncio, json, sys

WATCHED = json.loads(sys.argv[1])
stages = {}

def stage(name):
    stages[name] = sorted(m for m in WATCHED if m in sys.modules)

from llmkit import Agent, tool
import llmkit
stage("imported")

def get_weather(city: str) -> dict:
    \"\"\"Current weather in a city.\"\"\"
    return {"city": city, "sky": "sunny"}

model = llmkit.model("openai/gpt-4.1-mini", base_url=BASE_URL, api_key="sk-x")
agent = Agent(model, tools=[tool(get_weather)])
stage("built")
assert agent.run_sync("Weather in Paris?").output == "sunny"
stage("ran")

async def streamed():
    async for _ in agent.stream("Weather in Paris?"):
        pass

asyncio.run(streamed())
stage("streamed")

class Count:
    calls = 0

    def before_tool(self, ctx, call):
        Count.calls += 1

hooked = Agent(model, tools=[tool(get_weather)], hooks=[Count()])
assert hooked.run_sync("Weather in Paris?").output == "sunny" and Count.calls == 1
stage("hooked")
print(json.dumps(stages))
"""


def test_the_first_run_leaves_hooks_stream_decoders_and_other_providers_unloaded(
    llmkit_fake_server: FakeProviderServer,
) -> None:
    answer = [tool_call("get_weather", city="Paris"), "sunny"]
    llmkit_fake_server.script(answer * 3)
    code = f"BASE_URL = {llmkit_fake_server.openai_base_url!r}\n{PROGRAM}"
    watched = json.dumps([*DEFERRED, *BEFORE_A_REQUEST])
    # The default transport, whatever the suite's environment picks.
    env = {k: v for k, v in os.environ.items() if k != "LLMKIT_TRANSPORT"}
    done = subprocess.run(
        [sys.executable, "-c", code, watched], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    stages = json.loads(done.stdout.splitlines()[-1])
    assert stages["imported"] == []
    assert stages["built"] == []
    assert not set(stages["ran"]) & set(DEFERRED)
    assert "llmkit.http._decoders" in stages["streamed"]
    assert "llmkit._hooks.base" in stages["hooked"]

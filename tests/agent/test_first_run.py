"""What a first agent run in a fresh process loads: no pydantic for plain tools, no price dataset."""

from __future__ import annotations

import subprocess
import sys

from llmkit.testing import FakeProviderServer, tool_call

PROGRAM = """
import sys

def loaded():
    return sorted(m for m in ("pydantic", "genai_prices") if m in sys.modules)

from llmkit import Agent, tool
import llmkit

def get_weather(city: str, days: int = 1) -> dict:
    \"\"\"Current weather in a city.\"\"\"
    return {"city": city, "sky": "sunny"}

weather = tool(get_weather)
model = llmkit.model("openai/gpt-4.1-mini", base_url=BASE_URL, api_key="sk-x")
agent = Agent(model, tools=[weather])
print("built", loaded())
result = agent.run_sync("What is the weather in Paris?")
print("ran", loaded(), result.output, result.steps[0].tool_results[0].is_error)
weather.validate({"city": "Paris", "days": "2"})  # needs converting: pydantic does it
print("converted", loaded())
result.usage.cost
print("cost read", loaded())
"""


def test_a_run_with_a_plain_tool_loads_neither_pydantic_nor_prices_until_asked(
    llmkit_fake_server: FakeProviderServer,
) -> None:
    llmkit_fake_server.script([tool_call("get_weather", city="Paris"), "sunny"])
    code = f"BASE_URL = {llmkit_fake_server.openai_base_url!r}\n{PROGRAM}"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "built []",
        "ran [] sunny False",
        "converted ['pydantic']",
        "cost read ['genai_prices', 'pydantic']",
    ]

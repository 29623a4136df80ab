"""A batch: one agent over twelve questions, four at a time, results in question order.

``llmkit.batch`` runs the agent once per input, keeps each item's error instead of stopping
(one question here hits a rate limit the agent does not retry), sums the usage, and writes a
line per finished item to a results file. Running it again with the same file skips the
items already done: here the second run only answers the question that failed. The fake
provider server on 127.0.0.1 answers from the request, so it runs offline.

    python examples/batch_agents.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import llmkit
from llmkit import Agent, Request
from llmkit.testing import FakeProviderServer, Fault

CAPITALS = {
    "France": "Paris",
    "Japan": "Tokyo",
    "Kenya": "Nairobi",
    "Peru": "Lima",
    "Norway": "Oslo",
    "Egypt": "Cairo",
    "Canada": "Ottawa",
    "India": "New Delhi",
    "Chile": "Santiago",
    "Spain": "Madrid",
    "Ghana": "Accra",
    "Nepal": "Kathmandu",
}
QUESTIONS = [f"What is the capital of {country}?" for country in CAPITALS]
limited = {"Peru"}  # the first question about Peru meets a 429


def answer(request: Request) -> str | Fault:
    """The fake server's reply: the capital asked for (a rate limit once for Peru)."""
    country = (request.messages[-1].text or "").removeprefix("What is the capital of ")[:-1]
    if country in limited:
        limited.discard(country)
        return Fault.status(429, retry_after=0)
    return CAPITALS[country]


server = FakeProviderServer(answer).start()
model = llmkit.model(
    "openai/gpt-4.1-mini", base_url=server.openai_base_url, api_key="sk-example", max_retries=0
)
agent = Agent(model, instructions="Name the capital only.")
results_file = Path(tempfile.mkdtemp()) / "capitals.jsonl"


def show(progress: llmkit.workflow.BatchProgress) -> None:
    """Progress after each item: here only when the batch is done."""
    if progress.done == progress.total:
        print(
            f"progress: {progress.done}/{progress.total} done, {progress.failed} failed, "
            f"{progress.tokens} tokens"
        )


first = llmkit.batch_sync(agent, QUESTIONS, concurrency=4, results=results_file, progress=show)
print(f"first run: {len(first) - first.failed} answered, {first.failed} failed")
for item in first.errors:
    print(f"  item {item.index} failed: {item.error.type if item.error else ''}")
print(f"usage: {first.usage.requests} requests, {first.usage.total_tokens} tokens")

again = llmkit.batch_sync(agent, QUESTIONS, concurrency=4, results=results_file, progress=False)
print(f"second run: {again.resumed} resumed from the file, {len(again) - again.resumed} run again")
for question, capital in zip(QUESTIONS[:4], again.outputs[:4], strict=True):
    print(f"  {question} {capital}")
print(f"all answered: {again.ok}; {len(results_file.read_text().splitlines())} lines in the file")
server.stop()

"""A batch and a workflow's map items on Ray: a local cluster on this machine, loopback only.

``RayExecutor()`` starts a local Ray cluster (2 workers here) bound to 127.0.0.1, with no
dashboard and no outside probes. ``llmkit.batch`` sends each question to a worker: the agent,
its tool and its output type travel pickled, the model as its provider, model id and base
URL; its API key does not travel: the workers read it from their environment, which a local
cluster's workers inherit from this process. The events of every run come back and are
published on this process's bus. Then a workflow runs its ``map_each`` items on the same
workers. The fake provider server on 127.0.0.1 answers, so it runs offline.

    pip install 'llmkit[ray,testing]'
    python examples/batch_on_ray.py
"""

from __future__ import annotations

import asyncio
import os

from pydantic import BaseModel

import llmkit
from llmkit import Agent, Request, tool
from llmkit.testing import FakeProviderServer, tool_call
from llmkit.workflow import map_each

# The key the workers will read: set before the cluster starts (its workers inherit it).
os.environ.setdefault("OPENAI_API_KEY", "sk-example-key")


@tool
def population(city: str) -> int:
    """The population of a city, in thousands."""
    return {"Paris": 2_100, "Tokyo": 14_000, "Lima": 10_000, "Oslo": 700}.get(city, 0)


class Fact(BaseModel):
    city: str
    thousands: int


def answer(request: Request) -> object:
    """The fake server: call the tool for the city asked about, then answer from its result."""
    last = request.messages[-1]
    if last.role == "tool":
        city = request.messages[-3].text.split()[-1].rstrip("?")
        return f'{{"city": "{city}", "thousands": {last.tool_results[0].text}}}'
    return tool_call("population", city=(last.text or "").split()[-1].rstrip("?"))


def shout(city: str) -> str:
    """A map item: runs in a worker."""
    return f"{city.upper()} (worker {os.getpid()})"


async def main(base_url: str) -> None:
    model = llmkit.model("openai/gpt-4.1-mini", base_url=base_url)
    agent = Agent(model, tools=[population], output_type=Fact, name="census")
    questions = [f"How many people live in {c}?" for c in ("Paris", "Tokyo", "Lima", "Oslo")]

    runs_ended: list[str] = []
    llmkit.bus().on("run.end", lambda event: runs_ended.append(event.run_id), inline=True)

    executor = llmkit.RayExecutor(num_cpus=2)
    try:
        results = await llmkit.batch(
            agent, questions, executor=executor, concurrency=4, progress=False
        )
        for outcome in results:
            print(f"{outcome.output.city}: {outcome.output.thousands} thousand")
        print(f"usage: {results.usage.requests} requests, {results.failed} failed")
        print(f"run.end events on this process's bus: {len(runs_ended)}")

        flow = map_each(shout, over="cities", output="loud", name="cities")
        done = await flow.run({"cities": ["Paris", "Lima"]}, executor=executor)
        workers = await executor.worker_pids()
        for line in done.state["loud"]:
            pid = int(line.rsplit(" ", 1)[1].rstrip(")"))
            print(line.split(" (")[0], "ran in a worker:", pid in workers and pid != os.getpid())
    finally:
        await executor.aclose()


if __name__ == "__main__":
    with FakeProviderServer(answer) as server:
        asyncio.run(main(server.openai_base_url))

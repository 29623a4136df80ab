"""A batch of agent runs on a local Ray cluster that RayExecutor starts: what the loopback test traces.

Run as a script: ``python loopback_run.py [--plant]``. It starts the fake provider server on
127.0.0.1, starts a local cluster through ``RayExecutor()``, runs six agent runs on it, prints
their outputs and ``done``. ``--plant`` also runs a unit that connects a UDP socket to
192.0.2.1 (TEST-NET-1, an address for documentation: a UDP connect sends no packet), from a
Ray worker: the outside connection the test must catch.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from dataclasses import dataclass
from typing import Any

import llmkit
from llmkit import Agent
from llmkit.testing import FakeProviderServer
from llmkit.workflow._ray import RayExecutor


@dataclass
class AgentRun:
    agent: Agent[Any]
    text: str

    async def __call__(self) -> Any:
        return (await self.agent.run(self.text)).output


@dataclass
class ReachesOut:
    async def __call__(self) -> str:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.connect(("192.0.2.1", 9))
        return "planted"


async def main(base_url: str, plant: bool) -> None:
    agent = Agent(llmkit.model("openai/gpt-4.1-mini", base_url=base_url))
    executor = RayExecutor(num_cpus=2, object_store_memory=100 * 1024 * 1024)
    try:
        outputs = await asyncio.gather(
            *(executor.submit(AgentRun(agent, f"item {i}")) for i in range(6))
        )
        if plant:
            outputs.append(await executor.submit(ReachesOut()))
    finally:
        await executor.aclose()
    print(outputs)
    print("done")


if __name__ == "__main__":
    # The workers inherit the key from the environment the cluster starts with.
    os.environ.setdefault("OPENAI_API_KEY", "sk-loopback-run-0000")
    with FakeProviderServer(lambda request: "echo " + request.messages[-1].text) as server:
        asyncio.run(main(server.openai_base_url, "--plant" in sys.argv))

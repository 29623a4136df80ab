"""The ``batch`` case: 1,000 agent runs at concurrency 50, by ``llmkit.batch`` and by hand.

Each run of the case is 1,000 runs of the agent case's agent (one tool call: two model calls
and the tool), 50 at a time, on the fake server:

- ``llmkit-agents``: the hand-written way, ``asyncio.gather`` of ``agent.run`` with an
  ``asyncio.Semaphore(50)`` (the base the batch path is measured against);
- ``llmkit``: ``llmkit.batch(agent, inputs, concurrency=50, progress=False)`` (outcomes in
  input order, errors kept per item, usage summed).

The difference of their client CPU per run, divided by 1,000, is what ``batch`` adds to one
agent run.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench._llmkit_side import _Agent
from bench._workload import AGENT_PROMPT

__all__ = ["BATCH_CONCURRENCY", "BATCH_ITEMS", "LLMKitBatch", "LLMKitGatherAgents"]

BATCH_ITEMS = 1_000
"""Agent runs in one run of the case."""
BATCH_CONCURRENCY = 50
"""Agent runs at once."""


class _Many(_Agent):
    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        self.inputs = [AGENT_PROMPT] * BATCH_ITEMS


class LLMKitGatherAgents(_Many):
    """1,000 ``agent.run`` by ``asyncio.gather`` under a semaphore of 50 (written by hand)."""

    async def run(self) -> None:
        limit = asyncio.Semaphore(BATCH_CONCURRENCY)

        async def one(prompt: str) -> Any:
            async with limit:
                return await self.agent.run(prompt)

        results = await asyncio.gather(*(one(p) for p in self.inputs))
        if not all(result.output for result in results):
            raise RuntimeError("a run has no output")


class LLMKitBatch(_Many):
    """The same 1,000 runs by ``llmkit.batch(agent, inputs, concurrency=50)``."""

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        import llmkit

        self.batch = llmkit.batch

    async def run(self) -> None:
        result = await self.batch(
            self.agent, self.inputs, concurrency=BATCH_CONCURRENCY, progress=False
        )
        if not result.ok or not all(result.outputs):
            raise RuntimeError(f"{result.failed} runs failed: {result.errors[:1]}")

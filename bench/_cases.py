"""The benchmark cases: what each one measures and which runners do it.

A case is one unit of work (a chat call, an agent run …) done several ways:
by the floor on ``httpx2`` (the reference of the first ratios), by the same
loop on ``aiohttp`` with ``orjson`` (the second floor, the cheapest loop known
here), by the same loop on ``httpx`` 0.28, and by llmkit. Runners are named by
import path, so the driver never imports an HTTP client or llmkit itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AIOHTTP_FLOOR",
    "CASES",
    "FLOOR",
    "FLOORS",
    "LLMKIT",
    "LLMKIT_AGENTS",
    "LLMKIT_HOOKS",
    "LLMKIT_MEMORY",
    "LLMKIT_NO_STORE",
    "LOCAL_FLOOR",
    "Case",
    "Variant",
    "find",
    "select",
]

FLOOR = "floor-httpx2"
"""The variant the first ratios (and the first targets) are taken against."""
AIOHTTP_FLOOR = "floor-aiohttp"
"""The second floor: the same loops on aiohttp with orjson (the cheaper one)."""
FLOORS = (FLOOR, AIOHTTP_FLOOR)
LLMKIT = "llmkit"
"""The variant being measured."""
LLMKIT_HOOKS = "llmkit-hooks"
"""The agent run with the logging and metrics hooks (measured against ``llmkit``)."""
LLMKIT_MEMORY = "llmkit-memory"
"""The agent run with a ConversationMemory whose budget it fits (measured against ``llmkit``)."""
LLMKIT_AGENTS = "llmkit-agents"
"""The workflow case's agents called by hand: ``llmkit`` minus this is the runner's cost."""
LLMKIT_NO_STORE = "llmkit-no-store"
"""The workflow-checkpoint case's runs without a store (its llmkit variant is taken against it)."""
LOCAL_FLOOR = "floor"
"""The floor of a case with no model call: the same work in plain Python."""


@dataclass(frozen=True, slots=True)
class Variant:
    """One way of doing a case's work: a runner class and the options it is built with."""

    name: str
    runner: str
    """``module:Class``; the class takes the server URL (and ``options``), has ``run`` and ``aclose``."""
    options: dict[str, Any] = field(default_factory=dict)
    imports: str = ""
    """The import statement a program doing this work starts with (timed apart from its first run)."""


@dataclass(frozen=True, slots=True)
class Case:
    """A unit of work, the ways it is done, and llmkit's target against the floor."""

    name: str
    title: str
    calls: int
    """Model calls per run (scales how many runs a repetition does)."""
    variants: tuple[Variant, ...]
    target: float | None = 1.5
    """The most llmkit's client CPU per run may be, as a multiple of the httpx2 floor's."""
    aiohttp_target: float | None = None
    """The most llmkit's client CPU per run may be, as a multiple of the aiohttp floor's."""
    only_with_llmkit: bool = False
    """Skip the whole case (floor too) while llmkit's side is not available."""
    runs: int = 0
    """Runs per repetition of a full run when ``calls`` is 0 (scaled down in quick mode)."""
    concurrency: bool = True
    """Whether the throughput runs apply (not to a case that makes no model call)."""
    steps: int = 0
    """Workflow steps per run: the case is a row of the per-step overhead table when set."""

    def variant(self, name: str) -> Variant:
        """The variant called ``name`` (KeyError if there is none)."""
        for variant in self.variants:
            if variant.name == name:
                return variant
        raise KeyError(name)


_LLMKIT_IMPORTS = {
    "LLMKitGenerate": "from llmkit import Message, Request, model",
    "LLMKitStream": "from llmkit import Message, ModelResponse, Request, model",
    "LLMKitWorkflow": "import llmkit",
}


def _three(floor: str, llmkit: str) -> tuple[Variant, ...]:
    runner = f"bench._floor:{floor}"
    return (
        Variant(FLOOR, runner, {"lib": "httpx2"}, "import httpx2"),
        Variant(AIOHTTP_FLOOR, runner, {"lib": "aiohttp"}, "import aiohttp, orjson"),
        Variant("floor-httpx", runner, {"lib": "httpx"}, "import httpx"),
        Variant(
            LLMKIT,
            f"bench._llmkit_side:{llmkit}",
            imports=_LLMKIT_IMPORTS.get(llmkit, "from llmkit import Agent, tool"),
        ),
    )


def _local(floor: str, llmkit: str) -> tuple[Variant, ...]:
    return (
        Variant(LOCAL_FLOOR, f"bench._floor:{floor}", imports=""),
        Variant(LLMKIT, f"bench._llmkit_side:{llmkit}", imports="from llmkit.workflow import step"),
    )


CASES: tuple[Case, ...] = (
    Case("generate", "one chat call, not streamed", 1, _three("FloorGenerate", "LLMKitGenerate")),
    Case("stream", "one chat call, streamed", 1, _three("FloorStream", "LLMKitStream")),
    Case(
        "agent",
        "agent run with one tool call (2 model calls + 1 tool)",
        2,
        (
            *_three("FloorAgent", "LLMKitAgent"),
            # The same run observed by a LoggingHook (INFO, discarded) and a MetricsHook.
            Variant(LLMKIT_HOOKS, "bench._llmkit_side:LLMKitAgentHooks"),
            # The same run with a ConversationMemory: every model call is counted, none trimmed.
            Variant(LLMKIT_MEMORY, "bench._llmkit_side:LLMKitAgentMemory"),
        ),
        aiohttp_target=1.3,
    ),
    Case(
        "agent-lua",
        "the agent run driven from a Lua script (tool in Lua)",
        2,
        (
            *_three("FloorAgent", "LLMKitAgent")[:2],
            Variant(
                LLMKIT, "bench._scripting:LuaAgent", imports="from llmkit.scripting import lua"
            ),
            # The same run from Python: the Lua run's goal is 1.2x this one.
            Variant("llmkit-python", "bench._llmkit_side:LLMKitAgent"),
        ),
        target=None,
    ),
    Case(
        "agent-js",
        "the agent run driven from a JavaScript script (tool in JavaScript)",
        2,
        (
            *_three("FloorAgent", "LLMKitAgent")[:2],
            Variant(
                LLMKIT,
                "bench._scripting:JsAgent",
                imports="from llmkit.scripting import javascript",
            ),
            # The same run from Python: the JavaScript run's goal is 1.2x this one.
            Variant("llmkit-python", "bench._llmkit_side:LLMKitAgent"),
        ),
        target=None,
    ),
    Case(
        "capi",
        "the agent run through the C ABI (llmkit_run, tool in C)",
        2,
        (
            *_three("FloorAgent", "LLMKitAgent")[:2],
            Variant(LLMKIT, "bench._capi:CAPIAgent", imports="import ctypes"),
            # The same run from Python: the C ABI's goal is 1.1x this one.
            Variant("llmkit-python", "bench._llmkit_side:LLMKitAgent"),
        ),
        target=None,
        # llmkit_run blocks its thread: concurrent asyncio tasks would measure nothing.
        concurrency=False,
    ),
    Case(
        "agent-stream",
        "the same agent run, streamed",
        2,
        _three("FloorAgentStream", "LLMKitAgentStream"),
        aiohttp_target=1.3,
    ),
    Case(
        "agent-output",
        "agent run with one tool call and structured output",
        2,
        (
            *_three("FloorAgentOutput", "LLMKitAgentOutput"),
            # The same run streamed, without and with partial answers (PartialOutput events).
            Variant(
                "llmkit-stream", "bench._llmkit_side:LLMKitAgentOutputStream", {"partial": False}
            ),
            Variant(
                "llmkit-partial", "bench._llmkit_side:LLMKitAgentOutputStream", {"partial": True}
            ),
        ),
        target=None,
    ),
    Case(
        "workflow",
        "3-step workflow (3 model calls in sequence)",
        3,
        (
            *_three("FloorWorkflow", "LLMKitWorkflow"),
            # The same three agent runs in a hand-written loop: what the runner adds is the rest.
            Variant(
                LLMKIT_AGENTS,
                "bench._llmkit_side:LLMKitThreeAgents",
                imports="from llmkit import Agent",
            ),
        ),
        target=1.1,
        only_with_llmkit=True,
        steps=3,
    ),
    Case(
        "workflow-checkpoint",
        "the workflow case, durable: store=SQLiteStore(file), 3 checkpoints per run",
        3,
        (
            Variant(FLOOR, "bench._floor:FloorWorkflow", {"lib": "httpx2"}, "import httpx2"),
            Variant(
                AIOHTTP_FLOOR,
                "bench._floor:FloorWorkflow",
                {"lib": "aiohttp"},
                "import aiohttp, orjson",
            ),
            Variant(
                LLMKIT,
                "bench._llmkit_side:LLMKitWorkflowCheckpoint",
                imports="from llmkit.durable import SQLiteStore",
            ),
            # The same runs without a store, measured in the same run: the goal is 1.3x of it.
            Variant(LLMKIT_NO_STORE, "bench._llmkit_side:LLMKitWorkflow", imports="import llmkit"),
        ),
        target=None,
        only_with_llmkit=True,
        concurrency=False,
    ),
    Case(
        "workflow-parallel",
        "parallel of 100 sync function steps (no model call)",
        0,
        _local("FloorParallel100", "LLMKitParallel100"),
        target=None,
        runs=200,
        concurrency=False,
        steps=100,
    ),
    Case(
        "workflow-map",
        "map_each of a sync function over 1,000 items (no model call)",
        0,
        _local("FloorMap1000", "LLMKitMap1000"),
        target=None,
        runs=100,
        concurrency=False,
        steps=1000,
    ),
    Case(
        "batch",
        "1,000 agent runs at concurrency 50 (2,000 model calls, 1,000 tools)",
        2_000,
        (
            # The same runs by asyncio.gather under a semaphore: batch's goal is 1.1x of it.
            Variant(
                LLMKIT_AGENTS, "bench._batch:LLMKitGatherAgents", imports="from llmkit import Agent"
            ),
            Variant(LLMKIT, "bench._batch:LLMKitBatch", imports="import llmkit"),
        ),
        target=None,
        only_with_llmkit=True,
        concurrency=False,
        steps=1_000,
    ),
    Case(
        "checkpoint",
        "one durable checkpoint of a 5 KB agent snapshot (no model call)",
        0,
        (
            Variant(LOCAL_FLOOR, "bench._durable:FloorCheckpoint", imports="import sqlite3"),
            Variant(
                LLMKIT,
                "bench._durable:LLMKitCheckpointSQLite",
                imports="from llmkit.durable import SQLiteStore",
            ),
            # Measured when LLMKIT_BENCH_PG_DSN names a PostgreSQL database.
            Variant(
                "llmkit-postgres",
                "bench._durable:LLMKitCheckpointPostgres",
                imports="from llmkit.durable import PostgresStore",
            ),
        ),
        target=None,
        runs=500,
        concurrency=False,
    ),
)
"""Every case, in report order."""


def find(name: str) -> Case:
    """The case called ``name`` (KeyError with the known names if there is none)."""
    for case in CASES:
        if case.name == name:
            return case
    raise KeyError(f"unknown case {name!r}; known cases: {', '.join(c.name for c in CASES)}")


def select(names: list[str]) -> list[tuple[Case, list[Variant]]]:
    """The cases and variants named by ``names`` (``case`` or ``case:variant``), in report order.

    No names means every case. Unknown names raise KeyError naming what exists.
    """
    if not names:
        return [(case, list(case.variants)) for case in CASES]
    chosen: dict[str, list[str]] = {}
    for name in names:
        case_name, _, variant_name = name.partition(":")
        case = find(case_name)
        wanted = chosen.setdefault(case.name, [])
        if not variant_name:
            wanted.extend(v.name for v in case.variants)
            continue
        try:
            case.variant(variant_name)
        except KeyError:
            known = ", ".join(v.name for v in case.variants)
            raise KeyError(
                f"case {case.name!r} has no variant {variant_name!r}; its variants: {known}"
            ) from None
        wanted.append(variant_name)
    return [
        (case, [v for v in case.variants if v.name in chosen[case.name]])
        for case in CASES
        if case.name in chosen
    ]

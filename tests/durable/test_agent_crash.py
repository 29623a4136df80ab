"""Crash tests that really crash: an agent run in a subprocess, killed with SIGKILL, resumed by another.

The agent talks to the fake provider server (in this process, so its request
log outlives the runs) and checkpoints to a SQLite file. Each test kills the
run at one point (the server holding a model reply; a tool blocked on its
stdin; a hook blocked between two steps), resumes it in a new process, and
checks that the result equals the uninterrupted run's, and that the server's
log and the tools' own counters show every model call answered once and every
tool finished once. Each test runs on SQLite, and on PostgreSQL with ``-m pg``. The processes are synchronised by the lines they print
and by events, never by sleeping; the timeouts are only guards.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from llmkit.testing import FakeProviderServer
from llmkit.types import Request, ToolCall

GUARD = 120.0
"""Seconds any wait may take before the test fails (a guard, never a synchronisation)."""

CHILD = textwrap.dedent(
    """
    import json, os, sys
    import llmkit
    from llmkit import Agent, tool
    from llmkit.durable import PostgresStore, SQLiteStore
    from llmkit.hooks import Hook

    where, base_url, counters, mode, block = sys.argv[1:6]

    def count(line):
        with open(counters, "a") as f:
            f.write(line + "\\n")

    def blocked(name):
        if block == name:
            print("IN " + name, flush=True)
            sys.stdin.readline()  # nobody writes: the process is killed here

    @tool
    def lookup(city: str) -> str:
        "The weather in a city."
        blocked("lookup")
        count("lookup:" + city)
        return "sunny in " + city

    @tool(idempotent=True)
    def rate(city: str) -> str:
        "The price of a trip (safe to repeat)."
        count("rate-start:" + city)
        blocked("rate")
        count("rate:" + city)
        return "120 EUR to " + city

    @tool
    def book(city: str) -> str:
        "Book a trip (not safe to repeat)."
        blocked("book")
        count("book:" + city)
        return "booked " + city

    class Between(Hook):
        def before_model(self, ctx, request):
            if ctx.run.step == 3:  # the second step is checkpointed; the third not asked for yet
                blocked("between")

    model = llmkit.model("openai/gpt-4.1-mini", base_url=base_url, api_key="test")
    agent = Agent(model, tools=[lookup, rate, book], hooks=[Between()])
    kind, _, address = where.partition(":")
    store = SQLiteStore(address) if kind == "sqlite" else PostgresStore(address)
    if mode == "run":
        result = agent.run_sync("Book the sunnier city", store=store, run_id="job")
    elif mode == "resume":
        result = agent.resume_sync("job", store=store)
    else:
        result = agent.resume_sync("job", approvals=json.loads(mode), store=store)
    if result.paused:
        print("PAUSED " + json.dumps(result.interrupted), flush=True)
    else:
        shown = [
            [m.role, m.text, [[c.id, c.name, c.arguments] for c in m.tool_calls],
             [[r.call_id, r.text] for r in m.tool_results]]
            for m in result.messages
        ]
        print("RESULT " + json.dumps([result.output, shown, result.usage.requests]), flush=True)
    """
)


def reply(request: Request) -> Any:
    """The model's turn, from how far the conversation is (so any process may ask)."""
    answered = sum(1 for m in request.messages if m.role == "tool")
    if answered == 0:
        return [
            ToolCall("c-oslo", "lookup", {"city": "Oslo"}),
            ToolCall("c-rome", "lookup", {"city": "Rome"}),
        ]
    if answered == 1:
        return [ToolCall("c-rate", "rate", {"city": "Rome"})]
    if answered == 2:
        return [ToolCall("c-book", "book", {"city": "Rome"})]
    return "Booked Rome: sunny, 120 EUR."


class Provider:
    """The fake server's script: ``reply``, holding the first request at ``hold_at`` answered calls."""

    def __init__(self, hold_at: int | None = None) -> None:
        self.hold_at = hold_at
        self.arrived = threading.Event()
        self.release = threading.Event()

    async def __call__(self, request: Request) -> Any:
        answered = sum(1 for m in request.messages if m.role == "tool")
        if answered == self.hold_at and not self.arrived.is_set():
            self.arrived.set()
            await asyncio.to_thread(self.release.wait, GUARD)
        return reply(request)


class Child:
    """One agent process; its printed lines arrive on a queue."""

    def __init__(
        self, tmp: Path, store: str, server: FakeProviderServer, mode: str, block: str = ""
    ) -> None:
        script = tmp / "child.py"
        script.write_text(CHILD)
        self.proc = subprocess.Popen(
            [sys.executable, str(script), store, server.openai_base_url,
             str(tmp / "counters.txt"), mode, block],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put("")  # the process ended

    def line(self) -> str:
        """The next line it prints ("" once it ended)."""
        return self.lines.get(timeout=GUARD)

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        assert self.proc.wait(timeout=GUARD) == -signal.SIGKILL

    def outcome(self) -> tuple[str, Any]:
        """What it printed last (RESULT or PAUSED) and the value, once it exited cleanly."""
        line = self.line()
        assert self.proc.wait(timeout=GUARD) == 0, line
        kind, _, data = line.partition(" ")
        return kind, json.loads(data)


def counters(tmp: Path) -> Counter[str]:
    path = tmp / "counters.txt"
    return Counter(path.read_text().split()) if path.exists() else Counter()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.pg)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the child processes keep the run: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:{tmp_path / 'runs.db'}"
    return f"postgres:{request.getfixturevalue('pg_dsn')}"


ONCE = Counter({"lookup:Oslo": 1, "lookup:Rome": 1, "rate:Rome": 1, "book:Rome": 1})


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, list[Any]]:
    """The uninterrupted run's result and the bodies of its model requests."""
    tmp = tmp_path_factory.mktemp("uninterrupted")
    with FakeProviderServer(Provider()) as server:
        kind, result = Child(tmp, f"sqlite:{tmp / 'runs.db'}", server, "run").outcome()
        bodies = [r.json["messages"] for r in server.requests]
    assert kind == "RESULT" and counters(tmp) == ONCE + Counter({"rate-start:Rome": 1})
    assert len(bodies) == 4
    return result, bodies


def test_killed_while_the_server_holds_a_model_reply(
    tmp_path: Path, store: str, expected: tuple[Any, list[Any]]
) -> None:
    provider = Provider(hold_at=2)  # the reply that asks for book()
    with FakeProviderServer(provider) as server:
        child = Child(tmp_path, store, server, "run")
        assert provider.arrived.wait(GUARD)
        child.kill()
        provider.release.set()
        kind, result = Child(tmp_path, store, server, "resume").outcome()
        bodies = [r.json["messages"] for r in server.requests]
    assert kind == "RESULT" and result == expected[0]
    # Every request once, but the one held: its reply never reached the killed process.
    assert bodies[:3] == expected[1][:3] and bodies[3:] == expected[1][2:]
    assert counters(tmp_path) == ONCE + Counter({"rate-start:Rome": 1})


def test_killed_inside_a_tool_that_is_not_idempotent(
    tmp_path: Path, store: str, expected: tuple[Any, list[Any]]
) -> None:
    with FakeProviderServer(Provider()) as server:
        child = Child(tmp_path, store, server, "run", block="book")
        assert child.line() == "IN book"
        child.kill()
        kind, interrupted = Child(tmp_path, store, server, "resume").outcome()
        assert (kind, interrupted) == ("PAUSED", ["c-book"])  # not run again on its own
        kind, result = Child(tmp_path, store, server, json.dumps({"c-book": True})).outcome()
        bodies = [r.json["messages"] for r in server.requests]
    assert kind == "RESULT" and result == expected[0]
    assert bodies == expected[1]
    assert counters(tmp_path) == ONCE + Counter({"rate-start:Rome": 1})


def test_killed_inside_an_idempotent_tool(
    tmp_path: Path, store: str, expected: tuple[Any, list[Any]]
) -> None:
    with FakeProviderServer(Provider()) as server:
        child = Child(tmp_path, store, server, "run", block="rate")
        assert child.line() == "IN rate"
        child.kill()
        kind, result = Child(tmp_path, store, server, "resume").outcome()
        bodies = [r.json["messages"] for r in server.requests]
    assert kind == "RESULT" and result == expected[0]
    assert bodies == expected[1]
    # It started twice (it may: it is idempotent) and finished once.
    assert counters(tmp_path) == ONCE + Counter({"rate-start:Rome": 2})


def test_killed_between_two_steps(
    tmp_path: Path, store: str, expected: tuple[Any, list[Any]]
) -> None:
    with FakeProviderServer(Provider()) as server:
        child = Child(tmp_path, store, server, "run", block="between")
        assert child.line() == "IN between"
        child.kill()
        kind, result = Child(tmp_path, store, server, "resume").outcome()
        bodies = [r.json["messages"] for r in server.requests]
    assert kind == "RESULT" and result == expected[0]
    assert bodies == expected[1]
    assert counters(tmp_path) == ONCE + Counter({"rate-start:Rome": 1})

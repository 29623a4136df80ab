"""Crash tests that really crash: a workflow process is SIGKILLed, and a new process resumes it.

The workflow (``CHILD`` below) runs two agents against the fake provider server this test
starts, and plain function steps that log each start and end to a file, with
``store=SQLiteStore(...)`` (and ``PostgresStore``, with the ``pg`` marker: ``make test-pg``). The child tells this test where it is on its stdout (after each
checkpoint, on entering a step) and stops there on cue, blocked on its stdin; the test kills
it with SIGKILL at that point, then runs a new process that resumes the run. Its result must
equal the uninterrupted run's, the server must have answered each agent exactly once, and
each function step must have finished exactly once (a step killed in the middle starts
twice: it never finished the first time, so the resume runs it again).

Synchronisation is on the child's stdout and stdin only; the timeouts are failure guards.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from llmkit.testing import FakeProviderServer, default_responder

CHILD = """
import asyncio, json, os, sys

import llmkit
from llmkit import Agent
from llmkit.durable import PostgresStore, SQLiteStore
from llmkit.workflow import parallel, sequence, step

URL, DB, LOG, MODE, RUN_ID = (os.environ[k] for k in ("URL", "DB", "LOG", "MODE", "RUN_ID"))
KIND, _, WHERE = DB.partition(":")
RESUMING = os.environ.get("RESUME") == "1"


def say(line):
    sys.stdout.write(line + "\\n")
    sys.stdout.flush()


def hold():
    sys.stdin.readline()  # blocks until the test kills this process


def log(line):
    with open(LOG, "a") as f:
        f.write(line + "\\n")


class Store(SQLiteStore if KIND == "sqlite" else PostgresStore):
    async def checkpoint(self, claim, put=None, **options):
        await super().checkpoint(claim, put, **options)
        for key in put or {}:
            if key.startswith("step:"):
                say("checkpoint " + key)
                if not RESUMING and MODE == "between:" + key:
                    say("paused")
                    await asyncio.get_running_loop().run_in_executor(None, hold)


def counted(name):
    async def run(state):
        log("start " + name)
        if not RESUMING and MODE == "inside:" + name:
            say("inside " + name)
            await asyncio.get_running_loop().run_in_executor(None, hold)
        log("end " + name)
        return name + ":" + str(len(state))

    run.__name__ = run.__qualname__ = name
    return run


model = llmkit.model("openai/gpt-4.1-mini", base_url=URL + "/v1", api_key="test")
writer = Agent(model, name="writer", instructions="You write drafts.")
critic = Agent(model, name="critic", instructions="You criticise drafts.")
flow = sequence(
    step(writer, input=lambda s: s["topic"], output="draft"),
    step(counted("shape"), output="shape"),
    parallel(
        step(critic, input=lambda s: s["draft"]),
        step(counted("check")),
        output="reviews",
    ),
    step(counted("finish"), output="final"),
    name="article",
)


async def main():
    store = Store(WHERE)
    try:
        if RESUMING:
            result = await flow.resume(RUN_ID, store=store)
        else:
            result = await flow.run({"topic": "tides"}, store=store, run_id=RUN_ID)
    finally:
        await store.close()
    say("result " + json.dumps(result.to_dict(comparable=True)))
    say("resumed " + json.dumps([r.path for r in result.trace if r.resumed]))


asyncio.run(main())
"""

GUARD = 120.0
"""Seconds a child may take to reach a point (a failure guard, never a wait)."""


class Child:
    """One child process running ``CHILD``, read line by line."""

    def __init__(self, script: Path, env: dict[str, str]) -> None:
        self.lines: list[str] = []
        self.pending = b""
        self.proc = subprocess.Popen(
            [sys.executable, str(script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, **env},
        )

    def read_until(self, wanted: set[str]) -> None:
        """Read lines until every line in ``wanted`` was seen; fail on exit or after GUARD."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()  # read raw: select() cannot see a file object's buffer
        missing = set(wanted)
        while missing:
            ready, _, _ = select.select([fd], [], [], GUARD)
            chunk = os.read(fd, 65536) if ready else b""
            if not chunk:
                self.proc.kill()
                err = self.proc.stderr.read() if self.proc.stderr else b""
                pytest.fail(f"the child stopped before {sorted(missing)}: {self.lines}\n{err!r}")
            self.pending += chunk
            *done, self.pending = self.pending.split(b"\n")
            for line in done:
                self.lines.append(line.decode())
                missing.discard(self.lines[-1])

    def kill(self) -> None:
        """SIGKILL it and reap it."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=GUARD)
        assert self.proc.returncode == -signal.SIGKILL

    def finish(self) -> tuple[dict[str, Any], list[str]]:
        """Wait for a normal end; the result's comparable form and the resumed paths."""
        out, err = self.proc.communicate(timeout=GUARD)
        self.lines.extend((self.pending + out).decode().splitlines())
        assert self.proc.returncode == 0, err.decode()
        result = next(line for line in self.lines if line.startswith("result "))
        resumed = next(line for line in self.lines if line.startswith("resumed "))
        return json.loads(result[7:]), json.loads(resumed[8:])


def _agent_calls(server: FakeProviderServer) -> Counter[str]:
    calls: Counter[str] = Counter()
    for request in server.requests:
        body = request.json or {}
        system = [m["content"] for m in body.get("messages", []) if m.get("role") == "system"]
        calls["writer" if "write drafts" in str(system) else "critic"] += 1
    return calls


@pytest.fixture(scope="module")
def server() -> Any:
    with FakeProviderServer(default_responder) as running:
        yield running


@pytest.fixture(scope="module")
def uninterrupted(server: FakeProviderServer, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The uninterrupted run's result (comparable form), run in a child like the others."""
    base = tmp_path_factory.mktemp("whole")
    script = base / "child.py"
    script.write_text(CHILD)
    _fresh(server)
    child = Child(script, _env(server, base, "none", "whole"))
    result, resumed = child.finish()
    assert resumed == []
    assert _agent_calls(server) == {"writer": 1, "critic": 1}
    return result


def _fresh(server: FakeProviderServer) -> None:
    server.reset()  # forgets the requests, and the script too
    server.script(default_responder)


def _env(
    server: FakeProviderServer, base: Path, mode: str, run_id: str, db: str = ""
) -> dict[str, str]:
    return {
        "URL": server.url,
        "DB": db or f"sqlite:{base / 'runs.db'}",
        "LOG": str(base / "steps.log"),
        "MODE": mode,
        "RUN_ID": run_id,
    }


SCENARIOS = {
    # name: (mode, lines that mean the child stands at the kill point, steps started twice)
    "between steps": ("between:step:article/shape", {"paused"}, set()),
    "mid step": ("inside:shape", {"inside shape"}, {"shape"}),
    "inside a parallel, one branch finished and one blocked": (
        "inside:check",
        {"checkpoint step:article/reviews[0]/critic", "inside check"},
        {"check"},
    ),
    "between a parallel's finished branches and the next step": (
        "between:step:article/reviews[1]/check",
        {"paused", "checkpoint step:article/reviews[0]/critic"},
        set(),
    ),
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.pg)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the child keeps its runs: ``sqlite:<file>`` or ``postgres:<dsn>``."""
    if request.param == "sqlite":
        return f"sqlite:{tmp_path / 'runs.db'}"
    return "postgres:" + str(request.getfixturevalue("pg_dsn"))


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_a_killed_workflow_resumes_in_a_new_process_and_runs_each_step_once(
    scenario: str, database: str, server: FakeProviderServer, uninterrupted: Any, tmp_path: Path
) -> None:
    mode, kill_point, twice = SCENARIOS[scenario]
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    _fresh(server)
    env = _env(server, tmp_path, mode, "article-42", database)
    first = Child(script, env)
    first.read_until(kill_point)
    first.kill()

    resumed_child = Child(script, {**env, "RESUME": "1"})
    result, resumed = resumed_child.finish()

    assert result == uninterrupted
    assert "article/draft" not in resumed  # the path is the agent's name, not its output
    assert "article/writer" in resumed
    assert _agent_calls(server) == {"writer": 1, "critic": 1}
    log = (tmp_path / "steps.log").read_text().splitlines()
    ends = Counter(line[4:] for line in log if line.startswith("end "))
    starts = Counter(line[6:] for line in log if line.startswith("start "))
    assert ends == {"shape": 1, "check": 1, "finish": 1}
    assert starts == {name: 2 if name in twice else 1 for name in ("shape", "check", "finish")}

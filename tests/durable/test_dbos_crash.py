"""A workflow on DBOS (SQLite) is SIGKILLed mid-flow; DBOS recovers it when a new process launches.

The child (``CHILD``) runs two agents against the fake provider server and plain function
steps that log each start and end to a file. Inside its ``parallel`` the branches finish in
one order in the first run (branch a waits for branch b's last step) and in the other on
recovery (b's new step waits for a's last), so the recovery calls DBOS's steps in another
order than the first run did. The first child is killed while a step of each branch is
running; the second only launches DBOS, which recovers the run, and waits for its result.
The result must equal an uninterrupted run's; each agent answered once; each step finished
once, and the two killed mid-way started twice (DBOS runs a step it has not recorded again).

Synchronisation is on the child's stdout only; the timeouts are failure guards.
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

pytest.importorskip("dbos")

CHILD = """
import asyncio, json, os, sys

from dbos import DBOS

import llmkit
from llmkit import Agent
from llmkit.workflow import parallel, sequence, step
from llmkit.workflow.dbos import DBOSRunner

URL, DB, LOG, MODE = (os.environ[k] for k in ("URL", "DB", "LOG", "MODE"))
RECOVERING = os.environ.get("RECOVER") == "1"
ended = {}


def say(line):
    sys.stdout.write(line + "\\n")
    sys.stdout.flush()


def log(line):
    with open(LOG, "a") as f:
        f.write(line + "\\n")


def counted(name, *, first_after=None, recovery_after=None):
    async def run(state):
        log("start " + name)
        after = recovery_after if RECOVERING else first_after
        if after:
            await ended.setdefault(after, asyncio.Event()).wait()
        if not RECOVERING and MODE == "kill" and name in ("a2", "b3"):
            say("inside " + name)
            await asyncio.Event().wait()  # until the test kills this process
        log("end " + name)
        ended.setdefault(name, asyncio.Event()).set()
        return name

    run.__name__ = run.__qualname__ = name
    return run


model = llmkit.model("openai/gpt-4.1-mini", base_url=URL + "/v1", api_key="test")
writer = Agent(model, name="writer", instructions="You write drafts.")
critic = Agent(model, name="critic", instructions="You criticise drafts.")
flow = sequence(
    step(writer, input=lambda s: s["topic"], output="draft"),
    parallel(
        sequence(
            step(counted("a1", first_after="b2")),
            step(counted("a2")),
            step(counted("a3")),
            name="a",
        ),
        sequence(
            step(counted("b1")),
            step(critic, input=lambda s: s["draft"]),
            step(counted("b2")),
            step(counted("b3", recovery_after="a3")),
            name="b",
        ),
        output="reviews",
    ),
    step(counted("finish"), output="final"),
    name="article",
)

DBOS(config={"name": "articles", "system_database_url": DB, "log_level": "WARNING"})
articles = DBOSRunner(flow)
DBOS.launch()  # recovers the pending run, in the second process


async def main():
    if RECOVERING:
        result = await articles.result("article-42")
    else:
        result = await articles.run({"topic": "tides"}, run_id="article-42")
    say("result " + json.dumps(result.to_dict(comparable=True)))


asyncio.run(main())
DBOS.destroy()
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
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, **env},
        )

    def read_until(self, wanted: set[str]) -> None:
        """Read lines until every line in ``wanted`` was seen; fail on exit or after GUARD."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
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

    def result(self) -> dict[str, Any]:
        """Wait for a normal end; the result's comparable form."""
        out, err = self.proc.communicate(timeout=GUARD)
        self.lines.extend((self.pending + out).decode().splitlines())
        assert self.proc.returncode == 0, err.decode()
        line = next(line for line in self.lines if line.startswith("result "))
        return json.loads(line[7:])


def _agent_calls(server: FakeProviderServer) -> Counter[str]:
    calls: Counter[str] = Counter()
    for request in server.requests:
        body = request.json or {}
        system = [m["content"] for m in body.get("messages", []) if m.get("role") == "system"]
        calls["writer" if "write drafts" in str(system) else "critic"] += 1
    return calls


def _env(server: FakeProviderServer, base: Path, mode: str) -> dict[str, str]:
    return {
        "URL": server.url,
        "DB": f"sqlite:///{base / 'dbos.sqlite'}",
        "LOG": str(base / "steps.log"),
        "MODE": mode,
    }


def _counts(base: Path, word: str) -> Counter[str]:
    log = (base / "steps.log").read_text().splitlines()
    return Counter(line.split(" ", 1)[1] for line in log if line.startswith(word + " "))


STEPS = ("a1", "a2", "a3", "b1", "b2", "b3", "finish")


def test_dbos_recovers_a_killed_workflow_and_each_finished_step_ran_once(tmp_path: Path) -> None:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    with FakeProviderServer(default_responder) as server:
        whole_dir = tmp_path / "whole"
        whole_dir.mkdir()
        uninterrupted = Child(script, _env(server, whole_dir, "none")).result()
        assert _agent_calls(server) == {"writer": 1, "critic": 1}
        assert _counts(whole_dir, "end") == dict.fromkeys(STEPS, 1)

        server.reset()
        server.script(default_responder)
        env = _env(server, tmp_path, "kill")
        first = Child(script, env)
        first.read_until({"inside a2", "inside b3"})
        first.kill()
        assert _counts(tmp_path, "end") == dict.fromkeys(("a1", "b1", "b2"), 1)

        result = Child(script, {**env, "RECOVER": "1"}).result()

        assert result == uninterrupted
        assert _agent_calls(server) == {"writer": 1, "critic": 1}
    assert _counts(tmp_path, "end") == dict.fromkeys(STEPS, 1)
    twice = {"a2", "b3"}  # killed mid-way: DBOS had not recorded them
    assert _counts(tmp_path, "start") == {name: 2 if name in twice else 1 for name in STEPS}

"""A workflow on DBOS: a killed run is recovered by DBOS when the next process launches.

The example starts llmkit's fake provider server and runs the workflow in a subprocess of
itself, as a DBOS workflow (``DBOSRunner``) whose system database is a SQLite file in a
temporary folder. In the middle of its third step that process is killed with SIGKILL.
Then this process makes the same runner and calls ``DBOS.launch()``: DBOS finds the run
pending and runs it again, and each step DBOS had recorded (the agent that called the model,
a function) returns its recorded outcome instead of running; the killed step runs again.

    pip install 'llmkit[dbos]'
    python examples/durable_workflow_dbos.py
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from dbos import DBOS

import llmkit
from llmkit import Agent
from llmkit.testing import FakeProviderServer, default_responder
from llmkit.workflow import sequence, step
from llmkit.workflow.dbos import DBOSRunner

RUN_ID = "article-42"


def log_run(name: str) -> None:
    """Count each time a step starts, in a file both processes share."""
    with open(os.environ["STEP_LOG"], "a") as f:
        f.write(name + "\n")


def outline(state: dict[str, Any]) -> list[str]:
    log_run("outline")
    return [f"{state['topic']}: why", f"{state['topic']}: how"]


def publish(state: dict[str, Any]) -> str:
    log_run("publish")
    if os.environ.get("CRASH_IN_PUBLISH") == "1":
        print("inside publish", flush=True)
        sys.stdin.readline()  # wait here until the parent kills this process
    return f"published {len(state['outline'])} sections"


def launch(base_url: str, db: str) -> DBOSRunner:
    """DBOS on the SQLite file, with the workflow registered, launched (recovery happens here)."""
    model = llmkit.model("openai/gpt-4.1-mini", base_url=base_url, api_key="sk-example")
    researcher = Agent(model, name="researcher", instructions="Research the topic.")
    flow = sequence(
        step(researcher, input=lambda s: s["topic"], output="notes"),
        step(outline, output="outline"),
        step(publish, output="status"),
        name="article",
    )
    config: Any = {"name": "articles", "system_database_url": f"sqlite:///{db}"}
    DBOS(config={**config, "log_level": "WARNING"})
    runner = DBOSRunner(flow)  # registers the DBOS workflow: before launch
    DBOS.launch()
    return runner


def child(base_url: str, db: str) -> None:
    """The process that crashes: it runs the workflow until it is killed in publish."""
    runner = launch(base_url, db)
    asyncio.run(runner.run({"topic": "tides"}, run_id=RUN_ID))


def main() -> None:
    with FakeProviderServer(default_responder) as server, tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "dbos.sqlite")
        os.environ["STEP_LOG"] = str(Path(tmp) / "steps.log")
        crashing = subprocess.Popen(
            [sys.executable, __file__, "--child", server.openai_base_url, db],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "CRASH_IN_PUBLISH": "1"},
        )
        assert crashing.stdout is not None
        line = crashing.stdout.readline()  # the child says when it is inside publish
        assert line == b"inside publish\n", line
        crashing.send_signal(signal.SIGKILL)
        crashing.wait()
        print(f"killed the run in the middle of article/publish (exit {crashing.returncode})")
        print(f"model requests before the recovery: {len(server.requests)}")

        runner = launch(server.openai_base_url, db)  # DBOS recovers the pending run
        try:
            result = asyncio.run(runner.result(RUN_ID))
        finally:
            DBOS.destroy()
        resumed = [r.path for r in result.trace if r.resumed]
        ran = [r.path for r in result.trace if not r.resumed and r.kind != "sequence"]
        print(f"recorded by DBOS, not run again: {', '.join(resumed)}")
        print(f"ran on recovery: {', '.join(ran)} (killed before it finished)")
        print(f"model requests in all: {len(server.requests)} (the researcher ran once)")
        starts = Path(os.environ["STEP_LOG"]).read_text().split()
        print(
            f"outline started {starts.count('outline')} time(s), publish {starts.count('publish')}"
        )
        print(f"status: {result.state['status']}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3])
    else:
        main()

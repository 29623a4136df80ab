"""Resume a workflow after a crash: finished steps are not run again.

The example starts llmkit's fake provider server, then runs the workflow in a
subprocess of itself with ``store=SQLiteStore(...)``. In the middle of its third
step that process is killed with SIGKILL (no clean-up runs: a crash). The example
then resumes the run from the SQLite file: the two finished steps (an agent that
called the model, and a function) are not run again; their recorded outputs flow
on, and the run finishes with the same result an uninterrupted run gives.

    python examples/durable_workflow_resume.py
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import llmkit
from llmkit import Agent
from llmkit.durable import SQLiteStore
from llmkit.testing import FakeProviderServer, default_responder
from llmkit.workflow import sequence, step

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


def build(base_url: str) -> Any:
    model = llmkit.model("openai/gpt-4.1-mini", base_url=base_url, api_key="sk-example")
    researcher = Agent(model, name="researcher", instructions="Research the topic.")
    return sequence(
        step(researcher, input=lambda s: s["topic"], output="notes"),
        step(outline, output="outline"),
        step(publish, output="status"),
        name="article",
    )


def child(base_url: str, db: str) -> None:
    """The process that crashes: it runs the workflow until it is killed in publish."""
    build(base_url).run_sync({"topic": "tides"}, store=SQLiteStore(db), run_id=RUN_ID)


def main() -> None:
    with FakeProviderServer(default_responder) as server, tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "runs.db")
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
        print(f"model requests before the resume: {len(server.requests)}")

        flow = build(server.openai_base_url)
        result = flow.resume_sync(RUN_ID, store=SQLiteStore(db))
        resumed = [r.path for r in result.trace if r.resumed]
        ran = [r.path for r in result.trace if not r.resumed and r.kind != "sequence"]
        print(f"resumed without running: {', '.join(resumed)}")
        print(f"ran on resume: {', '.join(ran)} (killed before it finished)")
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

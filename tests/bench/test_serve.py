"""The serve study: an agent in process and behind ``app_for``, its streams, its report section."""

from __future__ import annotations

from typing import Any

from bench._cli import QUICK, main, plan_work
from bench._report import markdown
from bench._responder import hold_prompt, respond
from bench._serve import serve_study
from bench._server import ServerProcess
from bench._workload import AGENT_PROMPT, TOOL_NAME, TOOL_PARAMETERS, get_weather
from llmkit import Message, Request, ToolSpec
from llmkit.testing import Fault


def _request(prompt: str) -> Request:
    spec = ToolSpec(TOOL_NAME, get_weather.__doc__ or "", TOOL_PARAMETERS)
    return Request(messages=[Message.user(prompt)], tools=[spec])


def test_a_held_prompt_gets_the_tool_call_after_the_hold_and_a_plain_one_at_once() -> None:
    held = respond(_request(hold_prompt(AGENT_PROMPT, 2.5)))
    assert isinstance(held, Fault) and held.kind == "slow" and held.seconds == 2.5
    plain = respond(_request(AGENT_PROMPT))
    assert not isinstance(plain, Fault)
    assert held.then == plain


def test_serve_is_planned_with_everything_and_alone_when_named() -> None:
    assert "serve" in plan_work([], QUICK)[1]
    assert plan_work(["serve"], QUICK) == ([], {"serve"})
    assert main(["--list"]) == 0


def test_a_tiny_serve_study_measures_both_ways_and_every_stream_open_at_once() -> None:
    with ServerProcess() as fake:
        found = serve_study(fake.url, quick=True, runs=2, reps=1, streams=6, hold=1.0)
    assert found["status"] == "ok", found
    inprocess, http = found["inprocess"], found["http"]
    assert inprocess["runs"] == http["runs"] == 2
    assert inprocess["cpu_ms"] > 0 and http["client_cpu_ms"] > 0
    assert http["cpu_ms"] == http["client_cpu_ms"] + http["server_cpu_ms"]
    held, burst = http["held"], http["burst"]
    assert (held["errors"], held["failures"], burst["errors"]) == (0, [], 0)
    assert held["most_open"] == held["streams"] == burst["streams"] == 6
    assert held["samples"] >= 1 and held["open_rss"] >= held["idle_rss"] > 0
    text = markdown(_results(found))
    assert "## Serving an agent: in process against `app_for(agent)` under uvicorn" in text
    assert "| 6 concurrent, first answer held 1 s | 0 | 6 open at once after" in text
    assert "KiB per open stream" in text


def test_a_study_that_did_not_run_says_why_in_the_report() -> None:
    text = markdown(_results({"status": "failed", "reason": "client exited with 1: boom"}))
    assert "Not measured: client exited with 1: boom." in text


def _results(serve: dict[str, Any]) -> dict[str, Any]:
    machine = {"packages": {}, "date": "today", "cpu": "cpu", "cores": 2, "python": "py"}
    settings = {"quick": True, "cores": "not pinned", "reps": 1}
    return {
        "machine": {**machine, "platform": "linux"},
        "settings": settings,
        "cases": [],
        "serve": serve,
    }

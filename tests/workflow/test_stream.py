"""Streaming a workflow: its events and its agents' events, in order, closing early, errors, over HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from llmkit import Agent
from llmkit.errors import WorkflowError
from llmkit.events import ErrorEvent, Event, RunEnd, TextDelta, WorkflowEnd
from llmkit.http import RetryPolicy
from llmkit.testing import FakeProviderServer, ScriptedModel, fake_model
from llmkit.workflow import sequence, step

pytestmark = pytest.mark.anyio


async def test_stream_yields_workflow_and_agent_events_tagged_with_paths() -> None:
    writer = Agent(ScriptedModel(["hello there"]), name="writer")
    flow = sequence(step(writer, output="text"), step(len, input="text", output="n"), name="doc")
    events = [e async for e in flow.stream({})]
    assert isinstance(events[-1], WorkflowEnd) and events[-1].status == "complete"
    assert events[-1].result.state == {"text": "hello there", "n": 11}
    deltas = [e for e in events if isinstance(e, TextDelta)]
    assert deltas and {e.path for e in deltas} == {"doc/writer"}
    topics = [e.topic for e in events]
    assert topics.index("run.end") < topics.index("workflow.step.end")
    assert [e.path for e in events if e.topic == "workflow.step.start"] == [
        "doc",
        "doc/writer",
        "doc/len",
    ]


async def test_a_failed_stream_yields_error_and_end_then_raises() -> None:
    def boom(state: Any) -> None:
        raise KeyError("k")

    seen: list[Event] = []
    with pytest.raises(WorkflowError) as info:
        async for event in sequence(step(boom), name="s").stream({}):
            seen.append(event)
    assert isinstance(seen[-2], ErrorEvent) and isinstance(seen[-1], WorkflowEnd)
    assert seen[-1].status == "failed" and info.value.path == "s/boom"


async def test_closing_the_stream_cancels_the_run_and_leaves_no_task() -> None:
    before = asyncio.all_tasks()
    cancelled: list[str] = []

    async def blocked(state: Any, context: Any) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.append(context.path)

    stream = sequence(step(blocked), name="s").stream({})
    async for event in stream:
        if event.topic == "workflow.step.start" and event.path == "s/blocked":
            break
    await stream.aclose()
    await asyncio.sleep(0)
    assert cancelled == ["s/blocked"]
    assert asyncio.all_tasks() == before


def test_stream_sync() -> None:
    flow = sequence(step(lambda s: 1, name="one", output="x"), name="s")
    events = list(flow.stream_sync({}))
    assert events[0].topic == "workflow.start" and events[-1].topic == "workflow.end"


async def test_a_workflow_of_agents_over_real_http(llmkit_fake_server: FakeProviderServer) -> None:
    server = llmkit_fake_server
    server.script(["a draft", "a critique", "the final text"])
    model = fake_model(server, "openai", retry=RetryPolicy(max_retries=0))
    agents = [
        Agent(model, name=name.lower(), instructions=f"{name}. Be brief.")
        for name in ("Draft", "Critique", "Rewrite")
    ]
    flow = sequence(*(step(agent, input="text", output="text") for agent in agents), name="bench")
    events = [e async for e in flow.stream({"text": "Write about tides."})]
    end = events[-1]
    assert isinstance(end, WorkflowEnd) and end.result.state == {"text": "the final text"}
    bodies = [request.json for request in server.requests]
    assert [b["messages"][0]["content"] for b in bodies] == [
        "Draft. Be brief.",
        "Critique. Be brief.",
        "Rewrite. Be brief.",
    ]
    assert [b["messages"][-1]["content"] for b in bodies] == [
        "Write about tides.",
        "a draft",
        "a critique",
    ]
    runs = [e for e in events if isinstance(e, RunEnd)]
    assert [e.path for e in runs] == ["bench/draft", "bench/critique", "bench/rewrite"]
    assert end.result.usage.requests == 3

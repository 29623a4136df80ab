"""Workflow branches and map items on Ray: the same result as in process, their work done in workers."""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

import pytest
from pydantic import BaseModel

import llmkit
from llmkit import Agent
from llmkit.bus import Bus, use_bus
from llmkit.errors import ToolError, UsageError, WorkflowError
from llmkit.testing import FakeProviderServer
from llmkit.workflow import InProcessExecutor, map_each, parallel, sequence, step
from llmkit.workflow._ray import RayExecutor
from llmkit.workflow._ray_ship import cloudpickle

pytestmark = [pytest.mark.anyio, pytest.mark.ray]
cloudpickle().register_pickle_by_value(sys.modules[__name__])


class Doc(BaseModel):
    topic: str = "tides"
    summary: str = ""
    title: str = ""
    chapters: list[str] = ["one", "two", "three"]
    notes: list[str] = []
    where: list[int] = []


def title_of(state: Doc) -> str:
    return state.topic.upper()


def shout(chapter: str) -> str:
    return chapter.upper() + "!"


def pid(state: Any) -> int:
    return os.getpid()


def broken(state: Any) -> str:
    raise ToolError("the archive is closed")


def echo(request: Any) -> str:
    return "echo " + request.messages[-1].text


@pytest.fixture(scope="module")
def server() -> Any:
    with FakeProviderServer(echo) as running:
        yield running


def document_flow(base_url: str) -> Any:
    agent = Agent(llmkit.model("openai/gpt-4.1-mini", base_url=base_url), name="summariser")
    return sequence(
        parallel(
            step(agent, name="summarise", input=lambda s: f"summarise {s.topic}", output="summary"),
            step(title_of, name="title", output="title"),
            name="fan",
        ),
        map_each(shout, over="chapters", output="notes"),
        name="doc",
        state=Doc,
    )


def shape(result: Any) -> list[tuple[str, str, int]]:
    return [(r.path, r.status, r.usage.total_tokens) for r in result.trace]


async def test_branches_and_map_items_give_what_they_give_in_process(
    ray_executor: RayExecutor, server: Any
) -> None:
    flow = document_flow(server.openai_base_url)
    here = await flow.run(Doc())
    seen: list[Any] = []
    bus = Bus()
    bus.on("*", seen.append, inline=True)
    with use_bus(bus):
        there = await flow.run(Doc(), executor=ray_executor)
    assert there.state == here.state
    assert there.state.summary == "echo summarise tides"
    assert there.state.notes == ["ONE!", "TWO!", "THREE!"]
    assert there.output == here.output
    assert shape(there) == shape(here)
    assert there.usage.total_tokens == here.usage.total_tokens > 0
    topics = [e.topic for e in seen]
    assert topics[0] == "workflow.start" and topics[-1] == "workflow.end"
    agent_run = [t for t in topics if t.startswith(("run.", "model."))]
    assert agent_run[0] == "run.start" and agent_run[-1] == "run.end"
    # An in-process executor changes nothing: branches run here.
    again = await flow.run(Doc(), executor=InProcessExecutor())
    assert again.state == here.state


async def test_the_work_happens_in_the_workers(ray_executor: RayExecutor) -> None:
    flow = map_each(pid, over="chapters", output="where", name="spread")
    result = await flow.run(Doc(), executor=ray_executor)
    workers = set(await ray_executor.worker_pids())
    assert set(result.state.where) <= workers
    assert os.getpid() not in result.state.where


async def test_a_failing_branch_fails_the_run_as_in_process(ray_executor: RayExecutor) -> None:
    flow = parallel(step(title_of, name="title"), step(broken, name="archive"), name="fan")
    with pytest.raises(WorkflowError) as here:
        await flow.run(Doc())
    with pytest.raises(WorkflowError) as there:
        await flow.run(Doc(), executor=ray_executor)
    assert there.value.path == here.value.path == "fan[1]/archive"
    assert isinstance(there.value.__cause__, ToolError)
    assert str(there.value) == str(here.value)


async def test_a_step_that_cannot_be_shipped_is_named(ray_executor: RayExecutor) -> None:
    lock = threading.Lock()

    def guarded(state: Any) -> str:
        with lock:
            return "x"

    flow = parallel(step(guarded, name="guarded"), step(title_of, name="title"), name="fan")
    with pytest.raises(WorkflowError) as caught:
        await flow.run(Doc(), executor=ray_executor)
    cause = caught.value.__cause__
    assert isinstance(cause, UsageError)
    assert "'fan[0]/guarded'" in str(cause) and "lock" in str(cause)


async def test_options_that_hold_this_process_s_state_are_refused(
    ray_executor: RayExecutor,
) -> None:
    flow = parallel(step(title_of, name="title"), name="fan")
    with pytest.raises(UsageError, match="hooks="):
        await flow.run(Doc(), executor=ray_executor, hooks=[object()])
    with pytest.raises(UsageError, match="run\\(executor=...\\)"):
        async for _ in flow.stream(Doc(), executor=ray_executor):
            pass
    with pytest.raises(UsageError, match="takes an executor"):
        await flow.run(Doc(), executor="ray")  # type: ignore[typeddict-item]


NODE_PICKLED: list[int] = []
"""One entry each time a ``Counted`` is pickled in this process."""


class Counted:
    """Held by a map's step: counts how often the step's subtree is pickled here."""

    def __reduce__(self) -> tuple[Any, ...]:
        NODE_PICKLED.append(1)
        return (Counted, ())


async def test_the_items_of_a_map_share_one_shipped_subtree(ray_executor: RayExecutor) -> None:
    NODE_PICKLED.clear()
    marker = Counted()

    def loud(chapter: str) -> str:
        assert isinstance(marker, Counted)
        return chapter.upper()

    flow = sequence(map_each(loud, over="chapters", output="notes"), name="loud", state=Doc)
    chapters = [f"c{i}" for i in range(12)]
    result = await flow.run(Doc(chapters=chapters), executor=ray_executor)
    assert result.state.notes == [c.upper() for c in chapters]
    assert len(NODE_PICKLED) == 1  # the subtree went once; each item's bytes hold its input


async def test_a_run_that_reuses_a_run_id_ships_its_parts_again(ray_executor: RayExecutor) -> None:
    suffix = ["-first"]

    def tagged(chapter: str) -> str:
        return chapter + suffix[0]

    flow = sequence(map_each(tagged, over="chapters", output="notes"), name="tag", state=Doc)
    first = await flow.run(Doc(chapters=["a", "b"]), executor=ray_executor, run_id="same-id")
    suffix[0] = "-second"  # the same subtree object, changed between the two runs
    second = await flow.run(Doc(chapters=["a", "b"]), executor=ray_executor, run_id="same-id")
    assert first.state.notes == ["a-first", "b-first"]
    assert second.state.notes == ["a-second", "b-second"]

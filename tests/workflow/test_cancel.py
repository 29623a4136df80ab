"""Nothing outlives a workflow run: every way a run ends early cancels and awaits the work in flight.

Each case runs a flow in which one branch is an agent (``critic_b``) whose tool waits for an
event that never fires; the tool records the step path it was cancelled at in a ``finally``.
After the run ends, no task is left that was not there before, and that work saw its
cancellation. Nothing is subscribed to the bus (its handlers' tasks belong to the bus).
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

import llmkit.workflow
from llmkit import Agent, tool
from llmkit._scope import current_path
from llmkit.errors import StepTimeoutError, WorkflowError
from llmkit.testing import ScriptedModel, tool_call
from llmkit.workflow import map_each, parallel, sequence, step

pytestmark = pytest.mark.anyio


class Blocked:
    """An agent whose tool waits forever; ``started`` is set once the tool runs."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.cancelled: set[str] = set()
        never = asyncio.Event()

        @tool
        async def wait_for_news() -> str:
            """Wait for the news."""
            self.started.set()
            try:
                await never.wait()
            finally:
                self.cancelled.add(current_path())
            return "news"  # pragma: no cover - never reached

        self.agent = Agent(
            ScriptedModel([tool_call("wait_for_news")]), name="critic_b", tools=[wait_for_news]
        )

    def after_start(self, outcome: Any, *, name: str) -> Any:
        """A step that waits until the blocked tool runs, then returns or raises ``outcome``."""

        async def run(state: Any) -> Any:
            await self.started.wait()
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome

        run.__name__ = name
        return step(run)


def article(blocked: Blocked, *others: Any, **options: Any) -> Any:
    critic_a = Agent(ScriptedModel(["fine"]), name="critic_a")
    return sequence(
        parallel(step(critic_a), step(blocked.agent), *others, name="reviews", **options),
        name="article",
    )


async def test_fail_fast_parallel() -> None:
    before = asyncio.all_tasks()
    blocked = Blocked()
    flow = article(blocked, blocked.after_start(ValueError("bad review"), name="critic_c"))
    with pytest.raises(WorkflowError) as info:
        await flow.run({})
    await asyncio.sleep(0)
    assert asyncio.all_tasks() == before
    assert blocked.cancelled == {"article/reviews[1]/critic_b"}
    assert info.value.path == "article/reviews[2]/critic_c"


async def test_fail_fast_map() -> None:
    before = asyncio.all_tasks()
    blocked = Blocked()

    async def summariser(item: str) -> str:
        if item == "block":
            return (await blocked.agent.run(item)).output
        await blocked.started.wait()
        raise ValueError(item)

    flow = sequence(map_each(summariser, over="items", name="summaries"), name="digest")
    with pytest.raises(WorkflowError) as info:
        await flow.run({"items": ["fail", "block"]})
    await asyncio.sleep(0)
    assert asyncio.all_tasks() == before
    assert blocked.cancelled == {"digest/summaries[1]/summariser"}
    assert info.value.path == "digest/summaries[0]/summariser"


async def test_merge_first() -> None:
    before = asyncio.all_tasks()
    blocked = Blocked()
    flow = sequence(
        parallel(
            step(blocked.agent),
            blocked.after_start("quick", name="critic_c"),
            merge="first",
            name="reviews",
        ),
        name="article",
    )
    result = await flow.run({})
    await asyncio.sleep(0)
    assert asyncio.all_tasks() == before
    assert blocked.cancelled == {"article/reviews[0]/critic_b"}
    assert result.output == "quick"


async def test_run_timeout_cancels_everything() -> None:
    before = asyncio.all_tasks()
    blocked = Blocked()
    flow = article(blocked, step(lambda s: "done", name="critic_c", output="c"))
    with pytest.raises(StepTimeoutError) as info:
        await flow.run({"topic": "t"}, timeout=2.0)
    await asyncio.sleep(0)
    assert asyncio.all_tasks() == before
    assert blocked.cancelled == {"article/reviews[1]/critic_b"}
    err = info.value
    assert err.path == "article"
    # The branch that finished before the deadline is merged into the state, and traced.
    assert err.state == {"topic": "t", "c": "done"}
    statuses = {r.path: (r.status, r.reason) for r in err.trace}
    assert statuses["article/reviews[2]/critic_c"] == ("ok", "")
    assert statuses["article/reviews[0]/critic_a"] == ("ok", "")
    assert statuses["article/reviews[1]/critic_b"] == ("failed", "stopped")


async def test_an_external_cancel() -> None:
    before = asyncio.all_tasks()
    blocked = Blocked()
    flow = article(blocked)
    running = asyncio.create_task(flow.run({}))
    await blocked.started.wait()
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    await asyncio.sleep(0)
    assert asyncio.all_tasks() == before
    assert blocked.cancelled == {"article/reviews[1]/critic_b"}


async def test_a_stream_closed_after_the_first_event() -> None:
    before = asyncio.all_tasks()
    blocked = Blocked()
    stream = article(blocked).stream({})
    first = await anext(stream)
    assert first.topic == "workflow.start"
    await blocked.started.wait()
    await stream.aclose()
    await asyncio.sleep(0)
    assert asyncio.all_tasks() == before
    assert blocked.cancelled == {"article/reviews[1]/critic_b"}


async def test_a_sibling_raising_keyboard_interrupt_ends_the_run() -> None:
    before = asyncio.all_tasks()
    blocked = Blocked()
    flow = article(blocked, blocked.after_start(KeyboardInterrupt(), name="critic_c"))
    with pytest.raises(KeyboardInterrupt):
        await flow.run({})
    await asyncio.sleep(0)
    assert asyncio.all_tasks() == before
    assert blocked.cancelled == {"article/reviews[1]/critic_b"}


async def test_a_step_timeout_inside_a_parallel_cancels_only_its_own_work() -> None:
    before = asyncio.all_tasks()
    blocked = Blocked()
    slow = step(blocked.agent, timeout=2.0, on_error="continue")
    flow = sequence(
        parallel(step(lambda s: 1, name="quick", output="q"), slow, name="reviews"),
        name="article",
    )
    result = await flow.run({})
    await asyncio.sleep(0)
    assert asyncio.all_tasks() == before
    assert blocked.cancelled == {"article/reviews[1]/critic_b"}
    assert result.state == {"q": 1}
    assert [(e.path, e.error_type) for e in result.errors] == [
        ("article/reviews[1]/critic_b", "StepTimeoutError")
    ]


def test_every_task_of_the_package_belongs_to_a_task_group() -> None:
    root = Path(llmkit.workflow.__file__).parent
    for source in sorted(root.glob("*.py")):
        text = source.read_text()
        assert "ensure_future" not in text, source.name
        for match in re.finditer(r"(\w+)\.create_task\(", text):
            assert match.group(1) == "group", f"{source.name}: {match.group(0)}"
        if "create_task(" in text:
            assert "async with asyncio.TaskGroup() as group" in text, source.name

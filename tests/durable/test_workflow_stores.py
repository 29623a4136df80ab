"""A durable workflow run checkpoints and resumes the same way on every store."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from pydantic import BaseModel

from llmkit.durable import RunBusyError, RunFinishedError, Store
from llmkit.errors import WorkflowError
from llmkit.workflow import loop, map_each, parallel, sequence, step

pytestmark = pytest.mark.anyio


class Draft(BaseModel):
    text: str
    words: int


def build(runs: Counter[str], crash: set[str]) -> Any:
    def counted(name: str) -> Any:
        def run(value: Any) -> Any:
            runs[name] += 1
            if name in crash:
                raise RuntimeError(f"crash in {name}")
            return Draft(text=name, words=len(name)) if name == "draft" else name

        run.__name__ = run.__qualname__ = name
        return run

    return sequence(
        step(counted("draft"), output="draft"),
        parallel(counted("left"), counted("right"), output="sides"),
        map_each(lambda item: item * 2, name="double", over="items", output="doubled"),
        loop(step(lambda s: {"n": s["n"] + 1}, name="count"), until="n >= 2", max_iterations=4),
        step(counted("publish"), output="status"),
        name="article",
    )


async def test_a_run_that_failed_resumes_from_its_checkpoints(store: Store) -> None:
    runs: Counter[str] = Counter()
    crash = {"publish"}
    flow = build(runs, crash)
    with pytest.raises(WorkflowError, match="crash in publish"):
        await flow.run({"items": [1, 2], "n": 0}, store=store, run_id="article-42")
    info = await store.get_run("article-42")
    assert info is not None and info.status == "failed" and info.steps == 7
    crash.clear()
    result = await flow.resume("article-42", store=store)
    assert runs == {"draft": 1, "left": 1, "right": 1, "publish": 2}
    assert result.state["draft"] == Draft(text="draft", words=5)
    assert result.state["doubled"] == [2, 4] and result.state["n"] == 2
    assert [r.path for r in result.trace if not r.resumed and r.kind == "function"] == [
        "article/publish"
    ]
    info = await store.get_run("article-42")
    assert info is not None and info.status == "finished" and info.steps == 8
    assert info.result == result.to_dict()
    with pytest.raises(RunFinishedError):
        await flow.resume("article-42", store=store)


async def test_a_run_held_by_this_live_process_is_busy(store: Store) -> None:
    await store.start_run("held", kind="workflow", name="article")
    flow = build(Counter(), set())
    with pytest.raises(RunBusyError):
        await flow.resume("held", store=store, allow_changed=True)

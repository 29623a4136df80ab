"""Workflows on DBOS: a run is a DBOS workflow (SQLite here), each leaf step a DBOS step.

The crash and recovery tests (a process killed mid-flow, DBOS recovering the run at launch)
are in ``tests/durable/test_dbos_crash.py``.
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from llmkit.errors import MissingExtraError, UsageError
from llmkit.workflow import parallel, sequence, step
from llmkit.workflow._dbos import DBOSJournal
from llmkit.workflow._journal import StepDone
from llmkit.workflow.dbos import DBOSRunner

dbos = pytest.importorskip("dbos")

pytestmark = pytest.mark.anyio


class Doc(BaseModel):
    topic: str
    draft: str = ""
    words: int = 0


runs: Counter[str] = Counter()


def counted(name: str) -> Callable[[Any], Any]:
    async def run(state: Any) -> str:
        runs[name] += 1
        return name

    run.__name__ = run.__qualname__ = name
    return run


def draft(state: Doc) -> str:
    runs["draft"] += 1
    return f"about {state.topic}"


def count(state: Doc) -> int:
    runs["count"] += 1
    return len(state.draft.split())


FLOW = sequence(
    step(counted("first"), output="first"),
    parallel(
        sequence(step(counted("a1")), step(counted("a2"))),
        sequence(step(counted("b1")), step(counted("b2"))),
        output="both",
    ),
    name="demo",
)
DOC_FLOW = sequence(step(draft, output="draft"), step(count, output="words"), name="doc")


@pytest.fixture
def launched(tmp_path: Path) -> Iterator[dict[str, DBOSRunner]]:
    """DBOS on SQLite in a temporary folder, with a runner for each flow, launched."""
    runs.clear()
    url = f"sqlite:///{tmp_path / 'dbos.sqlite'}"
    dbos.DBOS(config={"name": "llmkit-tests", "system_database_url": url, "log_level": "WARNING"})
    runners = {"demo": DBOSRunner(FLOW), "doc": DBOSRunner(DOC_FLOW)}
    dbos.DBOS.launch()
    try:
        yield runners
    finally:
        dbos.DBOS.destroy(destroy_registry=True)


async def test_a_run_is_a_dbos_workflow_with_each_leaf_step_a_dbos_step(
    launched: dict[str, DBOSRunner],
) -> None:
    result = await launched["demo"].run({"topic": "tides"}, run_id="demo-1")

    plain = await FLOW.run({"topic": "tides"})
    assert result.to_dict(comparable=True) == plain.to_dict(comparable=True)
    assert result.run_id == "demo-1"
    status = await dbos.DBOS.get_workflow_status_async("demo-1")
    assert status.name == "llmkit:demo"
    assert status.status == "SUCCESS"
    steps = await asyncio.to_thread(dbos.DBOS.list_workflow_steps, "demo-1")
    assert sorted(s["function_name"] for s in steps) == [
        "demo/both[0]/sequence/a1",
        "demo/both[0]/sequence/a2",
        "demo/both[1]/sequence/b1",
        "demo/both[1]/sequence/b2",
        "demo/first",
    ]


async def test_a_finished_run_id_gives_its_result_without_running_a_step(
    launched: dict[str, DBOSRunner],
) -> None:
    first = await launched["demo"].run({"topic": "tides"}, run_id="demo-2")
    again = await launched["demo"].run({"topic": "other"}, run_id="demo-2")

    assert again.to_dict() == first.to_dict()
    assert runs == {"first": 1, "a1": 1, "a2": 1, "b1": 1, "b2": 1}


async def test_a_model_state_comes_back_as_the_model(launched: dict[str, DBOSRunner]) -> None:
    runner = launched["doc"]
    result = await runner.run(Doc(topic="tides"), run_id="doc-1")
    assert result.state == Doc(topic="tides", draft="about tides", words=2)

    recorded = await runner.result("doc-1")  # read back from DBOS, not from this call
    assert recorded.state == Doc(topic="tides", draft="about tides", words=2)
    assert recorded.to_dict() == result.to_dict()


async def test_a_started_run_is_waited_for_by_its_id(launched: dict[str, DBOSRunner]) -> None:
    handle = await launched["demo"].start({"topic": "tides"}, run_id="demo-3")
    assert handle.workflow_id == "demo-3"
    result = await launched["demo"].result("demo-3")
    assert result.state["both"] == ["a2", "b2"]


def test_bad_arguments_are_usage_errors(launched: dict[str, DBOSRunner]) -> None:
    with pytest.raises(UsageError, match="takes a Workflow"):
        DBOSRunner(lambda s: s)  # type: ignore[arg-type]  # the mistake under test
    with pytest.raises(UsageError, match="name="):
        DBOSRunner(FLOW, name="")
    with pytest.raises(TypeError, match="store"):
        DBOSRunner(FLOW, store=None)  # type: ignore[call-arg]  # the mistake under test


def test_without_dbos_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "dbos", None)  # what an absent package looks like
    with pytest.raises(MissingExtraError, match=r"llmkit\[dbos\]"):
        DBOSRunner(FLOW)


# ------------------------------------------------------- the journal's order


def _done(output: Any) -> StepDone:
    from llmkit.types import Usage

    return StepDone(output=output, writes=(), status="ok", attempts=1, duration=0.0, usage=Usage())


class FakeSteps:
    """DBOS's step numbering: a number per call, in call order; a recorded number is replayed."""

    def __init__(self, recorded: dict[int, tuple[str, Any]]) -> None:
        self.recorded = recorded
        self.calls: list[tuple[int, str]] = []

    async def run_step(self, path: str, body: Callable[[], Awaitable[Any]]) -> Any:
        number = len(self.calls) + 1
        self.calls.append((number, path))
        if number in self.recorded:
            name, data = self.recorded[number]
            assert name == path, f"step {number} was {name!r}, now {path!r}"
            return data
        await asyncio.sleep(0)
        return await body()


async def test_a_replay_calls_recorded_steps_in_their_recorded_order() -> None:
    # The first run called b1, b2, a1 (a2 never finished: no number 4 is recorded, so it is
    # a gap a new step may take). Here branch a asks first, and a3 is new.
    from llmkit.workflow._durable_values import done_json as _done_json

    recorded = {
        1: ("b1", _done_json("b1", _done("B1"), False)),
        2: ("b2", _done_json("b2", _done("B2"), False)),
        3: ("a1", _done_json("a1", _done("A1"), False)),
    }
    fake = FakeSteps(recorded)
    journal = DBOSJournal(
        fake.run_step, [(n, name) for n, (name, _) in recorded.items()], lenient=False
    )
    ran: list[str] = []

    def leaf(name: str) -> Callable[[], Awaitable[StepDone]]:
        async def run() -> StepDone:
            ran.append(name)
            return _done(name.upper())

        return run

    async def branch(names: list[str]) -> list[Any]:
        return [(await journal.step(n, leaf(n))).output for n in names]

    a, b = await asyncio.gather(branch(["a1", "a2", "a3"]), branch(["b1", "b2"]))

    assert a == ["A1", "A2", "A3"]
    assert b == ["B1", "B2"]
    assert [path for _, path in fake.calls[:3]] == ["b1", "b2", "a1"]
    assert sorted(ran) == ["a2", "a3"]

"""Durable workflow runs on a store: checkpoints at step boundaries, resume, and what a resume skips."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import pytest
from pydantic import BaseModel

from llmkit import Agent
from llmkit.durable import (
    CheckpointError,
    Claim,
    MemoryStore,
    NotStorableError,
    RunBusyError,
    RunExistsError,
    RunFinishedError,
    RunNotFoundError,
)
from llmkit.errors import UsageError, WorkflowError
from llmkit.workflow import Retry, loop, map_each, parallel, sequence, step

pytestmark = pytest.mark.anyio


class Crash(Exception):
    """What a step raises to stop a run the way a crash would stop it (at that step)."""


class Steps:
    """Functions for steps that count their runs, and crash on cue."""

    def __init__(self) -> None:
        self.runs: Counter[str] = Counter()
        self.crash_at: set[str] = set()

    def fn(self, name: str, value: Any = None) -> Any:
        def run(state: Any) -> Any:
            self.runs[name] += 1
            if name in self.crash_at:
                raise Crash(f"crash in {name}")
            return name if value is None else value

        run.__name__ = run.__qualname__ = name
        return run


class Verdict(BaseModel):
    approved: bool
    note: str


class Doc(BaseModel):
    topic: str
    when: datetime | None = None
    words: int = 0


def comparable(result: Any) -> dict[str, Any]:
    return result.to_dict(comparable=True)


async def test_each_finished_step_is_checkpointed_with_its_output_writes_and_the_state() -> None:
    s = Steps()
    flow = sequence(step(s.fn("a", 1), output="a"), step(s.fn("b", {"b": 2})), name="f")
    store = MemoryStore()
    result = await flow.run({"x": 0}, store=store, run_id="r1")
    stored = await store.load_checkpoints("r1")
    info = await store.get_run("r1")
    assert info is not None and info.meta["input"] == {"x": 0}
    assert stored["state"] == {"x": 0, "a": 1, "b": 2}
    assert stored["step:f/a"]["output"] == 1
    assert stored["step:f/a"]["writes"] == [["a", 1]]
    assert stored["step:f/b"]["writes"] == [["b", 2]]
    info = await store.get_run("r1")
    assert info is not None
    assert (info.kind, info.name, info.status, info.steps) == ("workflow", "f", "finished", 2)
    assert info.result == result.to_dict()
    assert info.fingerprint


async def test_a_resume_skips_finished_steps_and_equals_the_uninterrupted_run() -> None:
    s = Steps()
    flow = sequence(
        step(s.fn("a", 1), output="a"),
        step(s.fn("b", {"b": 2})),
        step(s.fn("c", 3), output="c"),
        name="f",
    )
    whole = await flow.run({"x": 0})
    s.runs.clear()
    s.crash_at = {"c"}
    store = MemoryStore()
    with pytest.raises(WorkflowError):
        await flow.run({"x": 0}, store=store, run_id="r1")
    assert (await store.get_run("r1")).status == "failed"  # type: ignore[union-attr]
    s.crash_at = set()
    resumed = await flow.resume("r1", store=store)
    assert s.runs == {"a": 1, "b": 1, "c": 2}
    assert comparable(resumed) == comparable(whole)
    assert resumed.run_id == "r1"
    assert [(r.path, r.resumed) for r in resumed.trace] == [
        ("f", False),
        ("f/a", True),
        ("f/b", True),
        ("f/c", False),
    ]
    assert resumed.to_dict()["trace"][1]["resumed"] is True
    assert (await store.get_run("r1")).status == "finished"  # type: ignore[union-attr]


async def test_finished_parallel_branches_map_items_and_loop_iterations_do_not_run_again() -> None:
    s = Steps()
    crash_item = {"on": True}

    def item(value: int) -> int:
        s.runs[f"item{value}"] += 1
        if value == 2 and crash_item["on"]:
            raise Crash("item 2")
        return value * 10

    def grow(state: dict[str, Any]) -> dict[str, Any]:
        s.runs[f"grow{state['n']}"] += 1
        return {"n": state["n"] + 1}

    flow = sequence(
        loop(step(grow), until="n >= 3", max_iterations=5, name="grow"),
        parallel(s.fn("left"), s.fn("right"), output="sides"),
        map_each(item, over="items", output="tens"),
        name="f",
    )
    crash_item["on"] = False
    whole = await flow.run({"n": 0, "items": [1, 2, 3]})
    crash_item["on"] = True
    s.runs.clear()
    store = MemoryStore()
    with pytest.raises(WorkflowError, match="item 2"):
        await flow.run({"n": 0, "items": [1, 2, 3]}, store=store, run_id="r")
    crash_item["on"] = False
    resumed = await flow.resume("r", store=store)
    assert comparable(resumed) == comparable(whole)
    assert s.runs == {
        "grow0": 1,
        "grow1": 1,
        "grow2": 1,
        "left": 1,
        "right": 1,
        "item1": 1,
        "item2": 2,
        "item3": 1,
    }


async def test_a_parallel_with_one_branch_finished_runs_only_the_other_on_resume() -> None:
    s = Steps()
    s.crash_at = {"right"}
    flow = sequence(
        parallel(s.fn("left"), s.fn("right"), output="sides", errors="collect"), name="f"
    )
    store = MemoryStore()
    failed = await flow.run({}, store=store, run_id="r")
    assert not failed.ok  # "collect" kept the failure: the branch is not checkpointed as done
    flow2 = sequence(
        parallel(s.fn("left"), s.fn("right"), output="sides", errors="fail_fast"), name="f"
    )
    s.crash_at = set()
    store2 = MemoryStore()
    s.crash_at = {"right"}
    with pytest.raises(WorkflowError):
        await flow2.run({}, store=store2, run_id="r")
    s.runs.clear()
    s.crash_at = set()
    resumed = await flow2.resume("r", store=store2)
    assert resumed.state == {"sides": ["left", "right"]}
    assert s.runs == {"right": 1}


async def test_agent_steps_are_not_asked_again_and_models_in_the_state_come_back() -> None:
    calls: list[str] = []

    def answer(request: Any) -> Any:
        calls.append("model")
        return '{"approved": true, "note": "fine"}'

    from llmkit.testing import FunctionModel

    judge = Agent(FunctionModel(answer), name="judge", output_type=Verdict)
    s = Steps()
    s.crash_at = {"after"}
    flow = sequence(step(judge, output="verdict"), step(s.fn("after"), output="done"), name="f")
    store = MemoryStore()
    with pytest.raises(WorkflowError):
        await flow.run({}, store=store, run_id="r")
    s.crash_at = set()
    resumed = await flow.resume("r", store=store)
    assert calls == ["model"]
    assert resumed.state["verdict"] == Verdict(approved=True, note="fine")
    assert resumed.trace[1].usage.requests == 1
    assert resumed.usage.requests == 1


async def test_a_model_state_round_trips_through_the_checkpoint() -> None:
    s = Steps()
    s.crash_at = {"count"}
    stamp = datetime(2026, 1, 2, 3, 4, 5)
    flow = sequence(
        step(lambda d: stamp, name="stamp", output="when"),
        step(s.fn("count", 3), output="words"),
        name="f",
    )
    store = MemoryStore()
    with pytest.raises(WorkflowError):
        await flow.run(Doc(topic="tides"), store=store, run_id="r")
    s.crash_at = set()
    resumed = await flow.resume("r", store=store)
    assert resumed.state == Doc(topic="tides", when=stamp, words=3)


async def test_continued_failures_and_skips_are_kept_by_a_resume() -> None:
    s = Steps()
    s.crash_at = {"flaky", "gone", "last"}
    flow = sequence(
        step(s.fn("flaky"), on_error="continue"),
        step(s.fn("gone"), on_error="skip"),
        step(s.fn("last"), output="last"),
        name="f",
    )
    store = MemoryStore()
    with pytest.raises(WorkflowError):
        await flow.run({}, store=store, run_id="r")
    s.crash_at = {"flaky", "gone"}
    s.runs.clear()
    resumed = await flow.resume("r", store=store)
    assert s.runs == {"last": 1}
    assert [f.path for f in resumed.errors] == ["f/flaky"]
    assert [r.status for r in resumed.trace] == ["ok", "failed", "skipped", "ok"]


async def test_a_retried_sub_flow_runs_its_steps_again_as_without_a_store() -> None:
    counts = []
    for store in (None, MemoryStore()):
        s = Steps()

        def once(state: Any, s: Steps = s) -> str:
            s.runs["b"] += 1
            if s.runs["b"] == 1:
                raise Crash("first b")
            return "b"

        inner = sequence(
            step(s.fn("a"), output="a"), step(once, name="b", output="b"), name="inner"
        )
        flow = sequence(
            step(inner, retry=Retry(attempts=2, delay=0, jitter=False, on=Crash)), name="f"
        )
        if store is None:
            await flow.run({})
        else:
            await flow.run({}, store=store, run_id="r")
            stored = await store.load_checkpoints("r")
            assert {k for k in stored if k.startswith("step:")} == {
                "step:f/inner/a",
                "step:f/inner/b",
            }
        counts.append(dict(s.runs))
    assert counts[0] == counts[1] == {"a": 2, "b": 2}


# ----------------------------------------------------------------- bad input


async def test_resuming_an_unknown_or_finished_run_says_so() -> None:
    s = Steps()
    flow = sequence(step(s.fn("a")), name="f")
    store = MemoryStore()
    with pytest.raises(RunNotFoundError, match="No workflow run 'nope'"):
        await flow.resume("nope", store=store)
    await flow.run({}, store=store, run_id="done")
    with pytest.raises(RunFinishedError, match="already finished"):
        await flow.resume("done", store=store)
    with pytest.raises(RunExistsError):
        await flow.run({}, store=store, run_id="done")
    await store.start_run("chat", kind="agent", name="helper")
    with pytest.raises(RunNotFoundError, match="'chat' is an agent run .*agent.resume"):
        await flow.resume("chat", store=store)
    with pytest.raises(NotStorableError, match=r"state\['x'\] is an object, "):
        await flow.run({"x": object()}, store=store, run_id="odd")


async def test_a_running_run_and_two_resumes_at_once_refuse_all_but_one() -> None:
    import asyncio

    store = MemoryStore()
    claim = await store.start_run("held", kind="workflow", name="f")
    assert isinstance(claim, Claim)  # held by this live process
    s = Steps()
    flow = sequence(step(s.fn("a")), name="f")
    with pytest.raises(RunBusyError, match="held by a live process"):
        await flow.resume("held", store=store, allow_changed=True)

    inside, go_on = asyncio.Event(), asyncio.Event()
    crash = {"on": True}

    async def slow(state: Any) -> str:
        s.runs["slow"] += 1
        if crash["on"]:
            raise Crash("first run")
        inside.set()
        await go_on.wait()
        return "slow"

    flow = sequence(step(slow, output="slow"), name="g")
    with pytest.raises(WorkflowError):
        await flow.run({}, store=store, run_id="r")
    crash["on"] = False

    async def second() -> Any:
        await inside.wait()  # the first resume holds the run and is inside its step
        try:
            return await flow.resume("r", store=store)
        finally:
            go_on.set()

    outcomes = await asyncio.gather(flow.resume("r", store=store), second(), return_exceptions=True)
    assert [type(o).__name__ for o in outcomes] == ["WorkflowResult", "RunBusyError"]
    assert "held by a live process" in str(outcomes[1])
    assert s.runs["slow"] == 2  # the crashed run, then the winner's


async def test_a_state_value_with_no_json_form_fails_at_checkpoint_time_naming_the_field() -> None:
    store = MemoryStore()
    flow = sequence(step(lambda s: 1, name="a", output="a"), name="f")
    with pytest.raises(NotStorableError, match=r"state\['tags'\] is a set"):
        await flow.run({"tags": {"x"}}, store=store, run_id="r0")
    assert await store.get_run("r0") is None  # refused before the run was created

    s = Steps()
    flow = sequence(
        step(s.fn("a", 1), output="a"),
        step(lambda st: object(), name="bad", output="thing"),
        step(s.fn("c"), output="c"),
        name="f",
    )
    with pytest.raises(NotStorableError, match=r"Step 'f/bad' cannot be checkpointed: state.thing"):
        await flow.run({}, store=store, run_id="r")
    assert s.runs == {"a": 1}
    stored = await store.load_checkpoints("r")
    assert "step:f/bad" not in stored and stored["state"] == {"a": 1}
    fixed = sequence(
        step(s.fn("a", 1), output="a"),
        step(lambda st: "thing", name="bad", output="thing"),
        step(s.fn("c"), output="c"),
        name="f",
    )
    resumed = await fixed.resume("r", store=store)
    assert resumed.state == {"a": 1, "thing": "thing", "c": "c"}
    assert s.runs == {"a": 1, "c": 1}


class FailingStore(MemoryStore):
    """A store whose checkpoint write fails once, at a chosen call (a full disk, say)."""

    def __init__(self, fail_at: int) -> None:
        super().__init__()
        self.calls = 0
        self.fail_at = fail_at

    async def checkpoint(
        self,
        claim: Claim,
        put: Mapping[str, Any] | None = None,
        *,
        delete: Iterable[str] = (),
        steps: int | None = None,
        usage: Mapping[str, Any] | None = None,
    ) -> None:
        self.calls += 1
        if self.calls == self.fail_at:
            raise CheckpointError("database or disk is full")
        await super().checkpoint(claim, put, delete=delete, steps=steps, usage=usage)


async def test_a_checkpoint_that_fails_stops_the_run_and_a_resume_continues_from_the_last_good_one() -> (
    None
):
    s = Steps()
    flow = sequence(
        step(s.fn("a", 1), output="a"),
        step(s.fn("b", 2), output="b"),
        step(s.fn("c", 3), output="c"),
        name="f",
    )
    store = FailingStore(fail_at=2)  # a, then b's checkpoint fails
    with pytest.raises(CheckpointError, match="disk is full"):
        await flow.run({}, store=store, run_id="r")
    assert s.runs == {"a": 1, "b": 1}
    stored = await store.load_checkpoints("r")
    assert stored["state"] == {"a": 1} and "step:f/b" not in stored
    assert (await store.get_run("r")).status == "failed"  # type: ignore[union-attr]
    resumed = await flow.resume("r", store=store)
    assert resumed.state == {"a": 1, "b": 2, "c": 3}
    assert s.runs == {"a": 1, "b": 2, "c": 1}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ({"store": "runs.db"}, "takes a durable store"),
        ({"store": MemoryStore(), "allow_changed": "yes"}, "allow_changed"),
        ({"store": MemoryStore(), "run_id": ""}, "id of a stored run"),
    ],
)
async def test_bad_resume_arguments_are_usage_errors(call: dict[str, Any], message: str) -> None:
    flow = sequence(step(lambda s: 1, name="a"), name="f")
    run_id = call.pop("run_id", "r")
    with pytest.raises(UsageError, match=message):
        await flow.resume(run_id, **call)


async def test_run_refuses_a_store_that_is_not_one() -> None:
    flow = sequence(step(lambda s: 1, name="a"), name="f")
    with pytest.raises(UsageError, match=r"run\(store=...\) takes a durable store"):
        await flow.run({}, store={"path": "runs.db"})  # type: ignore[typeddict-item]


def test_resume_sync_continues_a_run() -> None:
    s = Steps()
    s.crash_at = {"b"}
    flow = sequence(step(s.fn("a"), output="a"), step(s.fn("b"), output="b"), name="f")
    store = MemoryStore()
    with pytest.raises(WorkflowError):
        flow.run_sync({}, store=store, run_id="r")
    s.crash_at = set()
    assert flow.resume_sync("r", store=store).state == {"a": "a", "b": "b"}
    assert s.runs == {"a": 1, "b": 2}


async def test_a_streamed_durable_run_and_the_events_of_a_resume() -> None:
    s = Steps()
    s.crash_at = {"b"}
    flow = sequence(step(s.fn("a"), output="a"), step(s.fn("b"), output="b"), name="f")
    store = MemoryStore()
    seen: list[str] = []
    with pytest.raises(WorkflowError):
        async for event in flow.stream({}, store=store, run_id="r"):
            seen.append(event.topic)
    assert "step:f/a" in await store.load_checkpoints("r")
    s.crash_at = set()
    from llmkit.bus import Bus

    bus = Bus()
    events: list[tuple[str, str]] = []
    bus.on("workflow.step.*", lambda e: events.append((e.topic, e.path)), inline=True)
    await flow.resume("r", store=store, bus=bus)
    assert ("workflow.step.end", "f/a") in events
    assert ("workflow.step.start", "f/a") not in events  # it did not run
    assert ("workflow.step.start", "f/b") in events


async def test_an_output_with_no_json_form_inside_a_parallel_stops_the_run_naming_the_step() -> (
    None
):
    flow = sequence(
        parallel(step(lambda s: 1, name="ok"), step(lambda s: {1, 2}, name="bad"), output="p"),
        name="f",
    )
    store = MemoryStore()
    with pytest.raises(
        NotStorableError, match=r"Step 'f/p\[1\]/bad' cannot be checkpointed: its output is a set"
    ):
        await flow.run({}, store=store, run_id="r")
    info = await store.get_run("r")
    assert info is not None and info.status == "failed"
    assert list(await store.load_checkpoints("r")) == ["step:f/p[0]/ok"]


async def test_a_resumed_run_keeps_what_a_step_changed_in_place() -> None:
    failures = ["once"]

    def note(s: dict[str, Any]) -> None:
        s.setdefault("log", []).append("a")

    def flaky(s: dict[str, Any]) -> str:
        if failures:
            failures.pop()
            raise Crash("down")
        return "done"

    flow = sequence(step(note), step(flaky, output="status"), name="noted")
    failures.clear()
    straight = await flow.run({}, store=MemoryStore(), run_id="straight")
    failures.append("once")
    store = MemoryStore()
    with pytest.raises(WorkflowError, match="down"):
        await flow.run({}, store=store, run_id="r1")
    resumed = await flow.resume("r1", store=store)
    assert straight.state == {"log": ["a"], "status": "done"}
    assert resumed.state == straight.state

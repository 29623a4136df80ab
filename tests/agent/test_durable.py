"""Durable agent runs on the in-memory store: checkpoints, resume after a stop at every write, bad input."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from llmkit import Agent, RunResult, tool
from llmkit.durable import (
    CheckpointError,
    MemoryStore,
    RunBusyError,
    RunExistsError,
    RunFinishedError,
    RunNotFoundError,
)
from llmkit.durable._store import JSON, Claim
from llmkit.errors import UsageError
from llmkit.events import RunEnd, ToolResultEvent
from llmkit.testing import ScriptedModel, tool_call

pytestmark = pytest.mark.anyio

RAN: Counter[str] = Counter()


# Run inline, so the calls of one reply run one after the other: where a stop falls is exact.
@tool(run_in_thread=False)
def lookup(city: str) -> str:
    """The weather in a city."""
    RAN[f"lookup:{city}"] += 1
    return f"sunny in {city}"


@tool(run_in_thread=False)
def book(city: str) -> str:
    """Book a trip (not safe to repeat)."""
    RAN[f"book:{city}"] += 1
    return f"booked {city}"


@tool(idempotent=True)
def rate(city: str) -> str:
    """The exchange rate for a city (safe to repeat)."""
    RAN[f"rate:{city}"] += 1
    return f"rate for {city}: 1.1"


@pytest.fixture(autouse=True)
def _clear() -> None:
    RAN.clear()


def script() -> ScriptedModel:
    return ScriptedModel(
        [
            [tool_call("lookup", city="Oslo"), tool_call("lookup", city="Rome")],
            tool_call("book", city="Rome"),
            "Booked Rome: it is sunny.",
        ]
    )


def agent(model: ScriptedModel) -> Agent[str]:
    return Agent(model, name="travel", tools=[lookup, book, rate])


class Crash(BaseException):
    """The process dies here (nothing after this point reaches the store)."""


class CrashingStore(MemoryStore):
    """A memory store whose process 'dies' right after its n-th write is committed.

    After the crash every write fails, as a dead process writes nothing; the
    clock moves past ``stale_after`` so another 'process' may take the run over.
    """

    def __init__(self, crash_at: int | None = None) -> None:
        self.now = 1000.0
        super().__init__(clock=lambda: self.now)
        self.crash_at = crash_at
        self.writes: list[list[str]] = []
        self.dead = False

    def revive(self) -> None:
        self.dead = False
        self.now += self.stale_after + 1

    async def checkpoint(
        self,
        claim: Claim,
        put: Mapping[str, JSON] | None = None,
        *,
        delete: Iterable[str] = (),
        steps: int | None = None,
        usage: Mapping[str, JSON] | None = None,
    ) -> None:
        if self.dead:
            raise CheckpointError("the process is gone")
        await super().checkpoint(claim, put, delete=delete, steps=steps, usage=usage)
        self.writes.append(sorted(put or {}))
        if self.crash_at is not None and len(self.writes) == self.crash_at:
            self.dead = True
            raise Crash

    async def finish_run(self, claim: Claim, **kwargs: Any) -> None:
        if self.dead:
            raise CheckpointError("the process is gone")
        await super().finish_run(claim, **kwargs)


async def status(store: MemoryStore, run_id: str) -> str:
    info = await store.get_run(run_id)
    assert info is not None
    return info.status


async def uninterrupted() -> tuple[RunResult[str], int, int]:
    """The run without a stop: its result, model calls and checkpoint writes."""
    store = CrashingStore()
    model = script()
    result = await agent(model).run("Book the sunnier city", store=store, run_id="trip")
    return result, len(model.requests), len(store.writes)


async def test_a_stored_run_finishes_with_its_result() -> None:
    store = MemoryStore()
    result = await agent(script()).run("Book the sunnier city", store=store, run_id="trip")
    assert result.run_id == "trip" and result.output == "Booked Rome: it is sunny."
    info = await store.get_run("trip")
    assert info is not None and info.status == "finished" and info.kind == "agent"
    assert info.name == "travel" and info.steps == 3
    assert info.result == result.to_dict()
    assert info.usage == result.usage.to_dict()


async def test_a_run_without_an_id_gets_one_it_is_stored_under() -> None:
    store = MemoryStore()
    result = await agent(script()).run("Book", store=store)
    assert result.run_id and (await store.get_run(result.run_id)) is not None


async def test_the_call_keys_go_when_their_step_closes() -> None:
    store = MemoryStore()
    await agent(script()).run("Book", store=store, run_id="trip")
    assert sorted(await store.load_checkpoints("trip")) == ["agent"]


@pytest.mark.parametrize("crash_at", range(1, 13))
async def test_a_run_stopped_after_any_write_resumes_without_repeating_work(
    crash_at: int,
) -> None:
    expected, model_calls, writes = await uninterrupted()
    assert writes == 12  # start, 3 replies, 3 calls x (started, done), 2 closed steps
    RAN.clear()
    store = CrashingStore(crash_at)
    model = script()
    with pytest.raises(Crash):
        await agent(model).run("Book the sunnier city", store=store, run_id="trip")
    (crashed_on,) = store.writes[-1]
    store.revive()
    resumed = await agent(model).resume("trip", store=store)
    if crashed_on.startswith("started:"):  # the call may have run: not again without a decision
        call_id = crashed_on.removeprefix("started:")
        assert resumed.paused and resumed.interrupted == [call_id]
        assert await status(store, "trip") == "paused"
        resumed = await agent(model).resume("trip", approvals={call_id: True}, store=store)
    assert resumed.output == expected.output
    assert resumed.messages == expected.messages
    assert resumed.usage == expected.usage
    assert [s.to_dict() for s in resumed.steps] == [s.to_dict() for s in expected.steps]
    assert len(model.requests) == model_calls  # no model call made twice
    assert Counter({"lookup:Oslo": 1, "lookup:Rome": 1, "book:Rome": 1}) == RAN
    assert await status(store, "trip") == "finished"


class Interrupt(BaseException):
    """A tool's process dies while the tool runs."""


async def test_an_idempotent_call_that_started_runs_again_on_resume() -> None:
    calls = {"n": 0}

    @tool(idempotent=True)
    def fetch(key: str) -> str:
        """Read a value."""
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyboardInterrupt  # stops the run mid-call, like a kill
        return f"value of {key}"

    store = CrashingStore()
    model = ScriptedModel([tool_call("fetch", key="a"), "done"])
    runner = Agent(model, tools=[fetch])
    with pytest.raises(KeyboardInterrupt):
        await runner.run("go", store=store, run_id="r")
    assert await status(store, "r") == "failed"
    result = await runner.resume("r", store=store)
    assert result.output == "done" and calls["n"] == 2 and len(model.requests) == 2


async def test_a_call_that_started_pauses_the_resume_unless_its_tool_is_idempotent() -> None:
    @tool
    def charge(amount: int) -> str:
        """Charge a card."""
        raise KeyboardInterrupt

    store = MemoryStore()
    model = ScriptedModel([tool_call("charge", amount=5), "Not charged."])
    runner = Agent(model, tools=[charge])
    with pytest.raises(KeyboardInterrupt):
        await runner.run("go", store=store, run_id="r")
    paused = await runner.resume("r", store=store)
    assert paused.paused and paused.interrupted == ["call_1"]
    assert [c.name for c in paused.pending] == ["charge"]
    assert len(model.requests) == 1
    done = await runner.resume("r", approvals={"call_1": False}, store=store)
    assert done.output == "Not charged."
    assert "denied" in done.messages[-2].tool_results[0].text
    assert await status(store, "r") == "finished"


async def test_an_approval_pause_is_stored_and_resumed_by_run_id() -> None:
    sent: list[str] = []

    @tool(requires_approval=True)
    def send(to: str) -> str:
        """Send a message."""
        sent.append(to)
        return "sent"

    store = MemoryStore()
    model = ScriptedModel([tool_call("send", to="bob"), "Sent."])
    runner = Agent(model, tools=[send])
    paused = await runner.run("message bob", store=store, run_id="r")
    assert paused.paused and paused.interrupted == []
    info = await store.get_run("r")
    assert info is not None and info.status == "paused" and info.result == paused.to_dict()
    again = await runner.resume("r", store=store)  # no decision yet: still paused
    assert again.paused and sent == []
    done = await runner.resume(paused, approvals={"call_1": True}, store=store)
    assert done.output == "Sent." and sent == ["bob"] and len(model.requests) == 2
    assert await status(store, "r") == "finished"


@pytest.mark.parametrize("crash_at", [2, 3, 4, 6])
async def test_a_resume_continues_on_the_agent_the_run_was_handed_to(crash_at: int) -> None:
    store = CrashingStore(crash_at)
    model = ScriptedModel(
        [tool_call("transfer_to_billing"), tool_call("lookup", city="Oslo"), "Refunded."]
    )
    billing = Agent(model, name="billing", tools=[lookup])
    triage = Agent(model, name="triage", handoffs=[billing])
    with pytest.raises(Crash):
        await triage.run("refund me", store=store, run_id="r")
    store.revive()
    result = await triage.resume("r", store=store)
    assert result.output == "Refunded." and result.agent == "billing"
    assert len(model.requests) == 3 and Counter({"lookup:Oslo": 1}) == RAN


async def test_a_failed_checkpoint_stops_the_run_and_the_last_good_one_resumes() -> None:
    class Failing(MemoryStore):
        fail_on = 3

        async def checkpoint(self, claim: Claim, put: Any = None, **kwargs: Any) -> None:
            self.fail_on -= 1
            if self.fail_on == 0:
                raise CheckpointError("disk full")
            await super().checkpoint(claim, put, **kwargs)

    store = Failing()
    model = script()
    with pytest.raises(CheckpointError, match="disk full"):
        await agent(model).run("Book", store=store, run_id="trip")
    info = await store.get_run("trip")
    assert info is not None and info.status == "failed" and "disk full" in (info.error or "")
    result = await agent(model).resume("trip", store=store)
    assert result.output == "Booked Rome: it is sunny."
    assert Counter({"lookup:Oslo": 1, "lookup:Rome": 1, "book:Rome": 1}) == RAN


async def test_a_streamed_run_checkpoints_the_same_way() -> None:
    store = MemoryStore()
    events = [e async for e in agent(script()).stream("Book", store=store, run_id="s")]
    assert type(events[-1]) is RunEnd
    assert sum(type(e) is ToolResultEvent for e in events) == 3
    info = await store.get_run("s")
    assert info is not None and info.status == "finished"
    assert info.result == events[-1].result.to_dict()


def test_the_sync_twins_take_a_store() -> None:
    store = CrashingStore(crash_at=4)
    model = script()
    with pytest.raises(Crash):
        agent(model).run_sync("Book", store=store, run_id="trip")
    store.revive()
    result = agent(model).resume_sync("trip", store=store)
    assert result.output == "Booked Rome: it is sunny." and len(model.requests) == 3


# ---------------------------------------------------------------------------- bad input


async def test_resuming_an_unknown_run_is_run_not_found() -> None:
    with pytest.raises(RunNotFoundError, match="'nope'"):
        await agent(script()).resume("nope", store=MemoryStore())


async def test_resuming_a_finished_run_is_run_finished() -> None:
    store = MemoryStore()
    await agent(script()).run("Book", store=store, run_id="trip")
    with pytest.raises(RunFinishedError, match="already finished"):
        await agent(script()).resume("trip", store=store)
    assert await status(store, "trip") == "finished"


async def test_resuming_a_running_run_is_run_busy() -> None:
    store = MemoryStore()
    gate = asyncio.Event()

    @tool
    async def wait() -> str:
        """Wait."""
        await gate.wait()
        return "ok"

    runner = Agent(ScriptedModel([tool_call("wait"), "done"]), tools=[wait])
    task = asyncio.ensure_future(runner.run("go", store=store, run_id="r"))
    while "started:call_1" not in await store.load_checkpoints("r"):
        await asyncio.sleep(0)
    with pytest.raises(RunBusyError, match="held by a live process"):
        await runner.resume("r", store=store)
    gate.set()
    assert (await task).output == "done"


async def test_two_resumes_at_once_one_wins() -> None:
    store = CrashingStore(crash_at=2)
    model = script()
    with pytest.raises(Crash):
        await agent(model).run("Book", store=store, run_id="trip")
    store.revive()
    outcomes = await asyncio.gather(
        agent(model).resume("trip", store=store),
        agent(model).resume("trip", store=store),
        return_exceptions=True,
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["RunBusyError", "RunResult"]


async def test_a_new_run_with_a_stored_id_is_run_exists() -> None:
    store = MemoryStore()
    first = await agent(script()).run("Book", store=store, run_id="trip")
    with pytest.raises(RunExistsError, match="already stored"):
        await agent(script()).run("Again", store=store, run_id="trip")
    info = await store.get_run("trip")
    assert info is not None and info.result == first.to_dict()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"store": "runs.db"}, "store= takes a llmkit.durable Store"),
        ({"session": "user-1"}, "session= takes a Session"),
        ({"run_id": ""}, "run_id= takes a non-empty string"),
        (
            {"session": MemoryStore().session("s"), "message_history": []},
            "session= or message_history=, not both",
        ),
    ],
    ids=["store-str", "session-str", "run-id-empty", "session-and-history"],
)
async def test_wrong_durable_options_are_usage_errors(
    options: dict[str, Any], message: str
) -> None:
    model = script()
    with pytest.raises(UsageError, match=message):
        await agent(model).run("Book", **options)
    assert model.requests == []


async def test_resuming_a_run_id_without_a_store_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="store="):
        await agent(script()).resume("trip")


async def test_approvals_for_a_run_that_waits_for_none_are_refused_and_the_run_kept() -> None:
    store = CrashingStore(crash_at=2)
    model = script()
    with pytest.raises(Crash):
        await agent(model).run("Book", store=store, run_id="trip")
    store.revive()
    with pytest.raises(UsageError, match="waits for no decision"):
        await agent(model).resume("trip", approvals={"call_1": True}, store=store)
    assert await status(store, "trip") == "failed"
    assert (await agent(model).resume("trip", store=store)).output == "Booked Rome: it is sunny."


async def test_a_model_free_agent_takes_no_store() -> None:
    runner = Agent.from_tool(lookup)
    with pytest.raises(UsageError, match="no store= or session="):
        await runner.run({"city": "Oslo"}, store=MemoryStore())


async def test_a_run_id_without_a_store_names_the_run() -> None:
    runner = agent(script())
    with runner.override(run_id="from-override"):
        result = await runner.run("Book", run_id="chosen")
    assert result.run_id == "chosen"


async def test_the_checkpoints_of_a_stopped_batch_read_as_words() -> None:
    full = CrashingStore()
    await agent(script()).run("Trip?", store=full, run_id="t")
    second_start = next(
        index
        for index, keys in enumerate(full.writes, start=1)
        if any(key.startswith("started:") for key in keys)
        and any(key.startswith("done:") for w in full.writes[: index - 1] for key in w)
    )
    RAN.clear()
    store = CrashingStore(crash_at=second_start)
    with pytest.raises(Crash):
        await agent(script()).run("Trip?", store=store, run_id="t")
    from llmkit._agent.checkpoints import describe

    words = describe(await store.load_checkpoints("t"))
    done = [key for key in words if key.startswith("done:")]
    started = [key for key in words if key.startswith("started:")]
    assert len(done) == 1 and words[done[0]] == ['result of lookup: "sunny in Oslo"']
    assert len(started) == 2
    (kept,) = [key for key in started if key.replace("started:", "done:") in words]
    (open_,) = [key for key in started if key != kept]
    assert words[kept] == ["started; its result is kept"]
    assert words[open_][0].startswith("started, no result kept: it may have run")

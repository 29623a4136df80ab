"""Usage limits across every agent of a workflow run."""

from __future__ import annotations

import asyncio

import pytest

from llmkit import Agent, Message, Response, UsageLimits
from llmkit.errors import UsageLimitExceeded, WorkflowError
from llmkit.testing import FunctionModel, ScriptedModel
from llmkit.types import Usage
from llmkit.workflow import Retry, map_each, sequence, step
from llmkit.workflow._limits import UsageLedger

pytestmark = pytest.mark.anyio


def answer(text: str, *, tokens: int, estimated: bool = False) -> Response:
    usage = Usage(input_tokens=tokens, output_tokens=tokens, requests=1, estimated=estimated)
    return Response(Message.assistant(text), usage=usage)


async def test_the_second_agent_is_stopped_before_its_model_call() -> None:
    second_model = ScriptedModel(["never"])
    flow = sequence(
        step(Agent(ScriptedModel([answer("a", tokens=5)]), name="first"), output="a"),
        step(
            Agent(second_model, name="second"),
            output="b",
            retry=Retry(attempts=3, delay=0, on=UsageLimitExceeded),
        ),
        name="pair",
    )
    with pytest.raises(WorkflowError) as info:
        await flow.run({}, usage_limits=UsageLimits(max_requests=1))
    err = info.value
    assert isinstance(err.__cause__, UsageLimitExceeded)
    assert "the workflow reached its limit of 1 model requests" in str(err)
    assert second_model.requests == []  # stopped in before_model, and not retried
    assert err.path == "pair/second" and err.state == {"a": "a"}
    assert err.trace[-1].attempts == 1
    assert err.usage.requests == 1


async def test_a_token_limit_over_estimated_usage_says_so() -> None:
    flow = sequence(
        step(
            Agent(ScriptedModel([answer("a", tokens=30, estimated=True)]), name="one"), output="a"
        ),
        step(Agent(ScriptedModel([answer("b", tokens=30)]), name="two"), output="b"),
        name="pair",
    )
    with pytest.raises(WorkflowError) as info:
        await flow.run({}, usage_limits=UsageLimits(max_total_tokens=100))
    message = str(info.value.__cause__)
    assert message == (
        "Workflow 'pair' stopped: the workflow used 120 total tokens (estimated), over its "
        "limit of 100."
    )
    assert info.value.usage.estimated


async def test_an_agent_s_own_limit_is_an_ordinary_step_failure() -> None:
    own = Agent(
        ScriptedModel([answer("a", tokens=30), answer("b", tokens=1)]),
        name="own",
        usage_limits=UsageLimits(max_total_tokens=10),
    )
    flow = sequence(step(own, output="a", on_error="continue"), name="s")
    result = await flow.run({}, usage_limits=UsageLimits(max_total_tokens=1000))
    assert not result.ok and result.errors[0].error_type == "UsageLimitExceeded"


async def test_without_limits_no_ledger_hook_is_added() -> None:
    from llmkit.workflow._runner import new_runtime

    root = sequence(step(lambda s: 1, name="f"), name="s").node
    assert new_runtime(root, {}).agent_hooks == ()
    assert new_runtime(root, {}).ledger is None
    limited = new_runtime(root, {"usage_limits": UsageLimits(max_requests=3)})
    assert limited.ledger is not None and len(limited.agent_hooks) == 1


def test_the_ledger_counts_live_runs_once() -> None:
    ledger = UsageLedger(UsageLimits(max_total_tokens=100), name="w")
    ledger.add_live("r1", Usage(input_tokens=10, output_tokens=10, requests=1))
    ledger.add_live("r1", Usage(input_tokens=5, output_tokens=5, requests=1))
    assert ledger.total().total_tokens == 30
    ledger.finish(["r1"], Usage(input_tokens=15, output_tokens=15, requests=2))
    assert ledger.total().total_tokens == 30 and ledger.live == {}
    ledger.check(before_request=False)
    ledger.add_live("r2", Usage(input_tokens=80))
    with pytest.raises(UsageLimitExceeded):
        ledger.check(before_request=False)
    assert ledger.tripped is not None


async def test_concurrent_calls_cannot_all_pass_the_request_limit() -> None:
    started: list[str] = []
    release = asyncio.Event()

    async def slow(request: object) -> Response:
        started.append("call")
        if len(started) >= 2:
            release.set()
        await release.wait()  # every admitted call is in flight before any is answered
        return answer("done", tokens=1)

    flow = map_each(
        step(Agent(FunctionModel(slow), name="reader")), over="texts", output="out", name="read"
    )
    with pytest.raises(WorkflowError) as info:
        async with asyncio.timeout(30):  # only a broken limit could leave a call waiting
            await flow.run(
                {"texts": ["a", "b", "c", "d"]}, usage_limits=UsageLimits(max_requests=2)
            )
    assert isinstance(info.value.__cause__, UsageLimitExceeded)
    assert "limit of 2 model requests" in str(info.value)
    assert len(started) == 2


def test_a_held_call_counts_against_the_request_limit_until_it_ends() -> None:
    ledger = UsageLedger(UsageLimits(max_requests=1), name="flow")
    ledger.reserve("run-1")
    with pytest.raises(UsageLimitExceeded):
        ledger.reserve("run-2")
    ledger.release("run-1")
    ledger.reserve("run-2")
    ledger.finish(["run-2"], Usage())
    assert ledger.pending == {}


def test_checking_a_cost_limit_does_not_work_out_every_call_again() -> None:
    reads: list[int] = []

    class Counted(Usage):
        """A call's usage whose cost is priced later; counts the reads of its cost."""

        __slots__ = ()

        @property
        def cost(self) -> float | None:
            reads.append(1)
            return Usage.cost.fget(self)  # type: ignore[attr-defined]  # the base's property

        @cost.setter
        def cost(self, value: float | None) -> None:
            Usage.cost.fset(self, value)  # type: ignore[attr-defined]  # the base's property

    def call() -> Usage:
        usage = Counted(input_tokens=1, output_tokens=1, requests=1)
        usage.defer_cost(lambda _: 0.5)
        return usage

    ledger = UsageLedger(UsageLimits(max_cost=1e9), name="w")
    calls = 300
    live = {"r0": 0, "r1": 0, "r2": 0}
    done = 0
    for n in range(calls):
        run = f"r{n % 3}"
        ledger.add_live(run, call())  # three runs in flight
        live[run] += 1
        ledger.check(before_request=False)
        if n % 50 == 49:
            ledger.finish([run], Usage.sum([call(), call()]))
            live[run], done = 0, done + 2
    # Each check works out the new call's cost, not all the calls so far (quadratic before).
    assert len(reads) <= 4 * calls
    assert ledger.total().cost == 0.5 * (done + sum(live.values()))

"""fallback, race and consensus: composite models over scripted and HTTP models."""

from __future__ import annotations

import asyncio
import pickle

import pytest

import llmkit
from llmkit import Message, Request, ToolCall
from llmkit.errors import (
    AllModelsFailedError,
    AuthenticationError,
    OverloadedError,
    ProviderTimeoutError,
    RateLimitError,
    UsageError,
)
from llmkit.events import ModelResponse, TextDelta
from llmkit.http import RetryPolicy
from llmkit.providers import Capabilities
from llmkit.providers.routing import ConsensusModel, FallbackModel, RaceModel, vote_key
from llmkit.testing import FakeProviderServer, Fault, FunctionModel, ScriptedModel, tool_call
from llmkit.types import Response, Usage

pytestmark = pytest.mark.anyio


def ask(text: str = "hi") -> Request:
    return Request(messages=[Message.user(text)])


def scripted(*turns: object, model_id: str = "scripted") -> ScriptedModel:
    return ScriptedModel(list(turns), model_id=model_id)


async def test_fallback_moves_on_after_retryable_failures() -> None:
    a = scripted(RateLimitError("busy", retry_after=1.0), model_id="a")
    b = scripted(OverloadedError("overloaded"), model_id="b")
    c = scripted("from c", model_id="c")
    model = llmkit.fallback(a, b, c)
    assert isinstance(model, FallbackModel)
    assert model.name == "fallback(test/a, test/b, test/c)"
    assert (await model.generate(ask())).text == "from c"
    assert [len(m.requests) for m in (a, b, c)] == [1, 1, 1]


async def test_fallback_raises_non_retryable_errors_at_once() -> None:
    a = scripted(AuthenticationError("bad key", status=401), model_id="a")
    b = scripted("never", model_id="b")
    with pytest.raises(AuthenticationError):
        await llmkit.fallback(a, b).generate(ask())
    assert b.requests == []


async def test_fallback_keeps_every_attempts_error() -> None:
    model = llmkit.fallback(
        scripted(RateLimitError("one"), model_id="a"),
        scripted(ProviderTimeoutError("two"), model_id="b"),
    )
    with pytest.raises(AllModelsFailedError) as caught:
        await model.generate(ask())
    err = caught.value
    assert [name for name, _ in err.errors] == ["test/a", "test/b"]
    assert [type(e) for _, e in err.errors] == [RateLimitError, ProviderTimeoutError]
    assert err.retryable
    assert "one" in str(err) and "two" in str(err)
    assert [type(e) for _, e in pickle.loads(pickle.dumps(err)).errors] == [
        RateLimitError,
        ProviderTimeoutError,
    ]


async def test_fallback_custom_predicate() -> None:
    model = llmkit.fallback(
        scripted(AuthenticationError("bad key"), model_id="a"),
        scripted("b answered", model_id="b"),
        should_fallback=lambda exc: True,
    )
    assert (await model.generate(ask())).text == "b answered"


async def test_fallback_over_http_after_the_models_own_retries(
    llmkit_fake_server: FakeProviderServer,
) -> None:
    llmkit_fake_server.script([Fault.status(503), Fault.status(503), "second model"])
    options = {"base_url": llmkit_fake_server.openai_base_url, "api_key": "sk-x"}
    first = llmkit.model(
        "openai/first", retry=RetryPolicy(max_retries=1, initial_delay=0), **options
    )
    second = llmkit.model("openai/second", **options)
    response = await llmkit.fallback(first, second).generate(ask())
    assert response.text == "second model"
    assert [r.json["model"] for r in llmkit_fake_server.requests] == ["first", "first", "second"]


async def test_fallback_stream_commits_before_the_first_event() -> None:
    broken = scripted(OverloadedError("down"), model_id="a")
    good = scripted("streamed from b", model_id="b")
    events = [e async for e in llmkit.fallback(broken, good).stream(ask())]
    assert isinstance(events[-1], ModelResponse)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "streamed from b"


async def test_fallback_stream_does_not_switch_after_the_first_event() -> None:
    async def breaks_midway(request: Request):  # type: ignore[no-untyped-def]
        yield TextDelta("partial ")
        raise OverloadedError("down mid-stream")

    first = FunctionModel(lambda r: "unused", stream_fn=breaks_midway, model_id="a")
    second = scripted("never used", model_id="b")
    seen = []
    with pytest.raises(OverloadedError):
        async for event in llmkit.fallback(first, second).stream(ask()):
            seen.append(event)
    assert seen == [TextDelta("partial ")]
    assert second.requests == []


async def test_fallback_embed() -> None:
    model = llmkit.fallback(scripted(model_id="a"), scripted(model_id="b"))
    assert len(await model.embed(["x"])) == 1


async def test_race_takes_the_first_good_answer_and_cancels_the_rest() -> None:
    cancelled = asyncio.Event()

    async def slow(request: Request) -> str:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "slow"

    model = llmkit.race(FunctionModel(slow, model_id="slow"), scripted("fast", model_id="fast"))
    assert isinstance(model, RaceModel)
    assert (await model.generate(ask())).text == "fast"
    assert cancelled.is_set()


async def test_race_skips_failures_and_fails_when_all_fail() -> None:
    model = llmkit.race(
        scripted(RateLimitError("x"), model_id="a"), scripted("b wins", model_id="b")
    )
    assert (await model.generate(ask())).text == "b wins"
    with pytest.raises(AllModelsFailedError):
        await llmkit.race(
            scripted(RateLimitError("x"), model_id="a"), scripted(RateLimitError("y"), model_id="b")
        ).generate(ask())


async def test_race_stream_follows_the_fastest_stream() -> None:
    async def slow(request: Request) -> str:
        await asyncio.sleep(5)
        return "slow"

    model = llmkit.race(
        FunctionModel(slow, model_id="slow"), scripted("quick stream", model_id="quick")
    )
    events = [e async for e in model.stream(ask())]
    assert events[-1].response.text == "quick stream"  # type: ignore[union-attr]


async def test_consensus_majority_on_text_with_summed_usage() -> None:
    model = llmkit.consensus(
        scripted("Paris", model_id="a"),
        scripted("  paris ", model_id="b"),
        scripted("Lyon", model_id="c"),
    )
    assert isinstance(model, ConsensusModel)
    response = await model.generate(ask())
    assert response.text == "Paris"
    assert response.usage.requests == 3
    vote = response.provider_data["consensus"]  # type: ignore[index]
    assert (vote["votes"], vote["total"], vote["model"]) == (2.0, 3.0, "test/a")


async def test_consensus_votes_on_the_set_of_tool_calls() -> None:
    a = scripted([tool_call("add", a=1, b=2), tool_call("mul", a=3, b=4)], model_id="a")
    b = scripted([tool_call("mul", b=4, a=3), tool_call("add", b=2, a=1)], model_id="b")
    c = scripted([tool_call("add", a=9, b=9)], model_id="c")
    response = await llmkit.consensus(a, b, c).generate(ask())
    assert sorted(call.name for call in response.tool_calls) == ["add", "mul"]


async def test_consensus_on_json_ignores_formatting() -> None:
    model = llmkit.consensus(
        scripted('{"a": 1, "b": [2]}', model_id="a"),
        scripted('{"b":[2],"a":1}', model_id="b"),
        scripted('{"a": 2}', model_id="c"),
    )
    assert (await model.generate(ask())).provider_data["consensus"]["votes"] == 2.0  # type: ignore[index]


async def test_consensus_weighted_and_failures_do_not_vote() -> None:
    model = llmkit.consensus(
        scripted("yes", model_id="a"),
        scripted("no", model_id="b"),
        scripted(RateLimitError("down"), model_id="c"),
        strategy="weighted",
        weights=[1.0, 2.5, 10.0],
    )
    response = await model.generate(ask())
    assert response.text == "no"
    assert response.provider_data["consensus"]["failed"] == ["test/c"]  # type: ignore[index]


async def test_consensus_tie_goes_to_the_earliest_model() -> None:
    model = llmkit.consensus(scripted("first", model_id="a"), scripted("second", model_id="b"))
    assert (await model.generate(ask())).text == "first"


def test_consensus_does_not_stream_but_delivers_the_answer() -> None:
    model = llmkit.consensus(scripted("same", model_id="a"), scripted("same", model_id="b"))
    events = list(model.stream_sync(ask()))
    assert events[-1].response.text == "same"  # type: ignore[union-attr]


def test_bad_composites_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="at least two models"):
        llmkit.fallback(scripted())
    with pytest.raises(UsageError, match="weights"):
        llmkit.consensus(scripted(), scripted(), strategy="weighted")
    with pytest.raises(UsageError, match="Unknown consensus strategy"):
        llmkit.consensus(scripted(), scripted(), strategy="loudest")  # type: ignore[arg-type]


def test_capabilities_are_what_every_member_accepts() -> None:
    a = ScriptedModel(
        ["x"], capabilities=Capabilities(images=True, structured_output=True, max_context=1000)
    )
    b = ScriptedModel(
        ["x"], capabilities=Capabilities(images=False, structured_output=True, max_context=500)
    )
    caps = llmkit.fallback(a, b).capabilities
    assert (caps.images, caps.structured_output, caps.max_context) == (False, True, 500)


def test_vote_keys() -> None:
    text = Response(Message.assistant(" Hello   World "))
    assert vote_key(text) == "text:hello world"
    calls = Response(Message.assistant(tool_calls=[ToolCall("1", "f", {"b": 1, "a": 2})]))
    assert vote_key(calls) == 'calls:["f", {"a": 2, "b": 1}]'


async def test_usage_adds_up_across_routing() -> None:
    priced = Response(Message.assistant("x"), Usage(10, 5, requests=1, cost=0.5))
    unpriced = Response(Message.assistant("x"), Usage(10, 5, requests=1))
    both_priced = await llmkit.consensus(scripted(priced), scripted(priced)).generate(ask())
    assert both_priced.usage.cost == 1.0
    mixed = await llmkit.consensus(scripted(priced), scripted(unpriced)).generate(ask())
    assert mixed.usage.cost is None
    assert mixed.usage.input_tokens == 20

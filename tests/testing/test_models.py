"""ScriptedModel and FunctionModel: every turn kind, faults, streaming and the sync twins."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from llmkit.errors import (
    BadRequestError,
    ContextLengthError,
    InvalidResponseError,
    OverloadedError,
    ProviderConnectionError,
    RateLimitError,
    ServerError,
    StreamInterruptedError,
    UsageError,
)
from llmkit.events import ModelResponse, ReasoningDelta, StreamEvent, TextDelta, ToolCallDelta
from llmkit.providers.base import Capabilities, Model
from llmkit.testing import Fault, FunctionModel, ScriptedModel, ScriptExhaustedError, tool_call
from llmkit.types import Message, Request, Response, ToolCall, Usage

REQUEST = Request(messages=[Message.user("What is 2+3? Please answer.")])


async def collect(model: Model, request: Request = REQUEST) -> list[StreamEvent]:
    return [event async for event in model.stream(request)]


async def drain(model: Model, into: list[StreamEvent]) -> None:
    """Stream into ``into``, so what arrived before an error can be checked."""
    async for event in model.stream(REQUEST):
        into.append(event)


# ------------------------------------------------------------------ turn kinds


@pytest.mark.anyio
async def test_text_turn() -> None:
    model = ScriptedModel(["The answer is 5."])
    response = await model.generate(REQUEST)
    assert response.text == "The answer is 5."
    assert response.finish_reason == "stop"
    assert response.usage == Usage(input_tokens=7, output_tokens=4, requests=1)
    assert model.requests == [REQUEST]
    assert (model.provider, model.model_id, model.name) == ("test", "scripted", "test/scripted")


@pytest.mark.anyio
async def test_tool_call_turns_get_stable_ids() -> None:
    model = ScriptedModel(
        [tool_call("add", a=2, b=3), [tool_call("add", a=1, b=1), ToolCall("mine", "mul")], "5"]
    )
    first = await model.generate(REQUEST)
    assert first.finish_reason == "tool_calls"
    assert [(c.id, c.name, c.arguments, c.raw_arguments) for c in first.tool_calls] == [
        ("call_1", "add", {"a": 2, "b": 3}, '{"a":2,"b":3}')
    ]
    second = await model.generate(REQUEST)
    assert [c.id for c in second.tool_calls] == ["call_2", "mine"]
    assert (await model.generate(REQUEST)).text == "5"


@pytest.mark.anyio
async def test_raw_arguments_are_kept_and_flagged() -> None:
    model = ScriptedModel([ToolCall("", "search", raw_arguments='{"q": "ca')])
    (call,) = (await model.generate(REQUEST)).tool_calls
    assert call.raw_arguments == '{"q": "ca'
    assert call.arguments == {}
    assert call.arguments_error is not None
    assert "not valid JSON" in call.arguments_error


@pytest.mark.anyio
async def test_response_turn_is_returned_as_is() -> None:
    response = Response(Message.assistant("as is"), Usage(1, 2), "length", model="m")
    assert await ScriptedModel([response]).generate(REQUEST) is response


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("turn", "error", "status"),
    [
        (RateLimitError("slow down", retry_after=1.0), RateLimitError, None),
        (RateLimitError, RateLimitError, 429),
        (OverloadedError, OverloadedError, 503),
        (ContextLengthError, ContextLengthError, 400),
        (ValueError("bug"), ValueError, None),
        (KeyError, KeyError, None),
    ],
)
async def test_exception_turns_are_raised(
    turn: Any, error: type[Exception], status: int | None
) -> None:
    model = ScriptedModel([turn])
    with pytest.raises(error) as caught:
        await model.generate(REQUEST)
    if isinstance(turn, BaseException):
        assert caught.value is turn
    assert getattr(caught.value, "status", None) == status
    assert model.requests == [REQUEST]


# ---------------------------------------------------------------------- faults


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("fault", "error", "status", "retry_after"),
    [
        (Fault.status(429, retry_after=2), RateLimitError, 429, 2.0),
        (Fault.status(429, retry_after_ms=1500), RateLimitError, 429, 1.5),
        (Fault.status(500), ServerError, 500, None),
        (Fault.status(503), OverloadedError, 503, None),
        (
            Fault.status(400, "no", code_str="context_length_exceeded"),
            ContextLengthError,
            400,
            None,
        ),
        (Fault.status(422), BadRequestError, 422, None),
        (Fault.context_length(), ContextLengthError, 400, None),
        (Fault.drop(), ProviderConnectionError, None, None),
        (Fault.malformed_json(), InvalidResponseError, 200, None),
        (Fault.html(), InvalidResponseError, 200, None),
        (Fault.html(502), ServerError, 502, None),
    ],
)
async def test_faults_raise_the_transport_errors(
    fault: Fault, error: type[Exception], status: int | None, retry_after: float | None
) -> None:
    model = ScriptedModel([fault, "after"])
    with pytest.raises(error) as caught:
        await model.generate(REQUEST)
    assert type(caught.value) is error
    assert caught.value.status == status  # type: ignore[attr-defined]
    assert caught.value.retry_after == retry_after  # type: ignore[attr-defined]
    assert caught.value.provider == "test"  # type: ignore[attr-defined]
    # A fault consumes one turn.
    assert (await model.generate(REQUEST)).text == "after"


@pytest.mark.anyio
async def test_status_fault_message_is_kept() -> None:
    with pytest.raises(RateLimitError, match=r"Quota used up\."):
        await ScriptedModel([Fault.status(429, "Quota used up.")]).generate(REQUEST)


@pytest.mark.anyio
async def test_slow_fault_waits_then_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(seconds: float, *args: Any) -> Any:
        waits.append(seconds)
        return await real_sleep(0, *args)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    model = ScriptedModel([Fault.slow(0.05, then=Fault.slow(0.05, then="late"))])
    assert (await model.generate(REQUEST)).text == "late"
    assert [w for w in waits if w] == [0.05, 0.05]


@pytest.mark.anyio
async def test_slow_fault_can_be_timed_out() -> None:
    model = ScriptedModel([Fault.slow(5)])
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(model.generate(REQUEST), 0.05)


@pytest.mark.anyio
async def test_drop_in_a_stream_keeps_what_arrived() -> None:
    model = ScriptedModel([Fault.drop(after_events=3, turn="abcdefghijkl")], chunk_size=2)
    events: list[StreamEvent] = []
    with pytest.raises(StreamInterruptedError) as caught:
        await drain(model, events)
    assert events == [TextDelta("ab"), TextDelta("cd"), TextDelta("ef")]
    partial = caught.value.partial
    assert isinstance(partial, Response)
    assert partial.text == "abcdef"
    assert partial.finish_reason == "error"


@pytest.mark.anyio
async def test_fault_and_exception_in_a_stream_raise_before_any_event() -> None:
    model = ScriptedModel([Fault.status(429), ValueError("bug")])
    for error in (RateLimitError, ValueError):
        events: list[StreamEvent] = []
        with pytest.raises(error):
            await drain(model, events)
        assert events == []


# ------------------------------------------------------------------- exhaustion


@pytest.mark.anyio
async def test_exhausted_script_fails_loudly() -> None:
    model = ScriptedModel(["one", "two"])
    await model.generate(REQUEST)
    await model.generate(REQUEST)
    with pytest.raises(ScriptExhaustedError) as caught:
        await model.generate(REQUEST)
    assert isinstance(caught.value, UsageError)
    assert "it had 2 turns and this is call 3" in str(caught.value)
    assert "pass a function" in str(caught.value)
    assert len(model.requests) == 3


@pytest.mark.parametrize("script", ["hello", Fault.drop(), RateLimitError, 42])
def test_a_script_must_be_a_list_or_a_function(script: Any) -> None:
    with pytest.raises(UsageError, match="list of turns or a function"):
        ScriptedModel(script)


def test_bad_turns_are_rejected_when_loaded() -> None:
    with pytest.raises(UsageError, match="Turn 2 of the script is a int"):
        ScriptedModel(["ok", 42])  # type: ignore[list-item]
    with pytest.raises(UsageError, match="not a script turn"):
        ScriptedModel([[]])


# ------------------------------------------------------------------- streaming


@pytest.mark.anyio
async def test_stream_text_in_small_chunks() -> None:
    model = ScriptedModel(["Hello, world!"], chunk_size=4)
    events = await collect(model)
    assert events[:-1] == [TextDelta("Hell"), TextDelta("o, w"), TextDelta("orld"), TextDelta("!")]
    last = events[-1]
    assert isinstance(last, ModelResponse)
    assert last.response.text == "Hello, world!"


@pytest.mark.anyio
async def test_stream_tool_calls() -> None:
    events = await collect(ScriptedModel([[tool_call("a", x=1), tool_call("b")]]))
    assert events[:-1] == [
        ToolCallDelta(0, "call_1", "a", '{"x":1}'),
        ToolCallDelta(1, "call_2", "b", "{}"),
    ]
    assert isinstance(events[-1], ModelResponse)
    assert events[-1].response.finish_reason == "tool_calls"


# ------------------------------------------------------------- function scripts


@pytest.mark.anyio
async def test_function_script_sync_and_async() -> None:
    async def answer(request: Request) -> str:
        await asyncio.sleep(0)
        return f"{len(request.messages)} message(s)"

    assert (await ScriptedModel(answer).generate(REQUEST)).text == "1 message(s)"
    model = ScriptedModel(lambda request: tool_call("echo", text=request.messages[-1].text))
    for expected in ("call_1", "call_2"):
        assert (await model.generate(REQUEST)).tool_calls[0].id == expected


@pytest.mark.anyio
async def test_function_model() -> None:
    model = FunctionModel(lambda request: request.messages[-1].text[::-1], model_id="rev")
    assert (await model.generate(Request([Message.user("abc")]))).text == "cba"
    assert model.name == "test/rev"
    events = await collect(model, Request([Message.user("abcdef")]))
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "fedcba"
    with pytest.raises(UsageError, match="FunctionModel's answer is a int"):
        await FunctionModel(lambda request: 1).generate(REQUEST)  # type: ignore[arg-type, return-value]


@pytest.mark.anyio
async def test_function_model_stream_fn_async_and_sync() -> None:
    async def pieces(request: Request) -> AsyncIterator[str | StreamEvent]:
        yield "Hel"
        yield ReasoningDelta("thinking")
        yield "lo"
        yield ToolCallDelta(0, "c1", "add", '{"a":')
        yield ToolCallDelta(0, arguments="1}")

    model = FunctionModel(lambda request: "unused", stream_fn=pieces)
    events = await collect(model)
    assert events[0] == TextDelta("Hel")
    final = events[-1]
    assert isinstance(final, ModelResponse)
    assert final.response.text == "Hello"
    assert final.response.reasoning == "thinking"
    assert [(c.id, c.arguments) for c in final.response.tool_calls] == [("c1", {"a": 1})]
    assert final.response.finish_reason == "tool_calls"
    assert final.response.usage.requests == 1
    assert model.requests == [REQUEST]

    def sync_pieces(request: Request) -> Iterator[str | StreamEvent]:
        yield "a"
        yield ModelResponse(Response(Message.assistant("own final")))
        yield "never"

    events = await collect(FunctionModel(lambda request: "unused", stream_fn=sync_pieces))
    assert events[0] == TextDelta("a")
    assert isinstance(events[-1], ModelResponse)
    assert events[-1].response.text == "own final"
    assert len(events) == 2


# ------------------------------------------------------------------- sync twins


def test_sync_twins() -> None:
    model = ScriptedModel(["one", "two three"], chunk_size=3)
    assert model.generate_sync(REQUEST).text == "one"
    events = list(model.stream_sync(REQUEST))
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["two", " th", "ree"]
    with pytest.raises(ScriptExhaustedError):
        model.generate_sync(REQUEST)


@pytest.mark.anyio
async def test_sync_twins_inside_a_running_event_loop() -> None:
    model = ScriptedModel(["inside", "streamed", Fault.status(503)])
    assert model.generate_sync(REQUEST).text == "inside"
    assert isinstance(list(model.stream_sync(REQUEST))[-1], ModelResponse)
    with pytest.raises(OverloadedError):
        model.generate_sync(REQUEST)


# -------------------------------------------------------------------- extras


@pytest.mark.anyio
async def test_embed_is_deterministic() -> None:
    model = ScriptedModel([], embedding_dimensions=6)
    vectors = await model.embed(["a", "b", "a"])
    assert [len(v) for v in vectors] == [6, 6, 6]
    assert vectors[0] == vectors[2] != vectors[1]
    assert len((await model.embed(["a"], dimensions=3))[0]) == 3
    assert vectors.usage.requests == 1
    assert model.embed_sync(["a"])[0] == vectors[0]


def test_capabilities_and_repr() -> None:
    caps = Capabilities(reasoning=True, sampling=False)
    model = ScriptedModel([], model_id="o3", capabilities=caps)
    assert model.capabilities is caps
    assert ScriptedModel([]).capabilities == Capabilities()
    assert repr(model) == "<ScriptedModel test/o3>"

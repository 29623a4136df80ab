"""Agent.stream: the event vocabulary, in order, through Model.stream."""

from __future__ import annotations

import pytest

from llmkit import Agent, Message, Request, tool
from llmkit.errors import MaxStepsExceeded
from llmkit.events import (
    ErrorEvent,
    ModelRequest,
    RunEnd,
    RunStart,
    StepEnd,
    TextDelta,
    ToolResultEvent,
    event_from_dict,
    event_to_dict,
)
from llmkit.testing import FunctionModel, ScriptedModel, has, tool_call
from llmkit.testing import matchers as m

pytestmark = pytest.mark.anyio


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


async def test_events_of_a_tool_run_in_order() -> None:
    model = ScriptedModel([tool_call("add", a=2, b=3), "The sum is 5."], chunk_size=4)
    events = [e async for e in Agent(model, tools=[add]).stream("2+3?")]
    kinds = [type(e).__name__ for e in events]
    assert kinds == [
        "RunStart",
        "ModelRequest",
        "ToolCallDelta",
        "ModelResponse",
        "ToolCallEvent",
        "ToolResultEvent",
        "StepEnd",
        "ModelRequest",
        *["TextDelta"] * 4,
        "ModelResponse",
        "StepEnd",
        "RunEnd",
    ]
    start, end = events[0], events[-1]
    assert isinstance(start, RunStart) and start.input[0].text == "2+3?"
    assert isinstance(end, RunEnd) and end.result.output == "The sum is 5."
    run_ids = {getattr(e, "run_id", start.run_id) for e in events}
    assert run_ids == {start.run_id}
    steps = [e.step for e in events if isinstance(e, ModelRequest | StepEnd)]
    assert steps == [1, 1, 2, 2]
    result_event = next(e for e in events if isinstance(e, ToolResultEvent))
    assert result_event.result.content == "5" and result_event.duration >= 0
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text == "The sum is 5."
    assert model.requests[0].tools  # the request went through Model.stream with the tools


async def test_stream_uses_model_stream_and_run_uses_generate() -> None:
    streamed: list[str] = []

    def stream_fn(request: object):  # type: ignore[no-untyped-def]
        streamed.append("stream")
        yield "Hel"
        yield "lo"

    model = FunctionModel(lambda request: "generated", stream_fn=stream_fn)
    agent = Agent(model)
    events = [e async for e in agent.stream("hi")]
    assert streamed == ["stream"]
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Hel", "lo"]
    assert events[-1].result.output == "Hello"  # type: ignore[union-attr]
    assert (await agent.run("hi")).output == "generated"


async def test_events_have_a_json_form() -> None:
    model = ScriptedModel([tool_call("add", a=1, b=1), "2"])
    events = [e async for e in Agent(model, tools=[add]).stream("x")]
    for event in events:
        data = event_to_dict(event)
        again = event_from_dict(data)
        assert type(again) is type(event)
        if not isinstance(event, RunEnd):
            assert again == event
    end = event_to_dict(events[-1])
    assert end["result"]["output"] == "2"


async def test_a_failing_run_yields_an_error_event_then_raises() -> None:
    model = ScriptedModel(lambda request: tool_call("add", a=1, b=1))
    seen = []
    with pytest.raises(MaxStepsExceeded):
        async for event in Agent(model, tools=[add], max_steps=1).stream("x"):
            seen.append(event)
    assert isinstance(seen[-1], ErrorEvent)
    assert m.event("error", error_type="MaxStepsExceeded").once()(seen)


async def test_leaving_the_stream_early_closes_it() -> None:
    model = ScriptedModel(["one two three four five six"], chunk_size=2)
    agen = Agent(model).stream("x")
    async for event in agen:
        if isinstance(event, TextDelta):
            break
    await agen.aclose()  # type: ignore[attr-defined]


def test_stream_sync() -> None:
    model = ScriptedModel([tool_call("add", a=1, b=2), "3"])
    events = list(Agent(model, tools=[add]).stream_sync("x"))
    assert isinstance(events[0], RunStart) and isinstance(events[-1], RunEnd)
    assert m.event("tool.call", call=has(name="add", arguments={"a": 1, "b": 2}))(events)
    assert m.event("model.tool_call_delta", name="add")(events)
    assert m.event("model.response").times(2)(events)
    assert m.event("error").never()(events)


async def test_a_step_s_events_come_before_the_error_that_stops_the_run() -> None:
    from llmkit.errors import ToolRetriesExceeded

    model = ScriptedModel(lambda request: tool_call("add", a="x", b=1))
    seen = []
    with pytest.raises(ToolRetriesExceeded):
        async for event in Agent(model, tools=[add], tool_retries=0).stream("x"):
            seen.append(type(event).__name__)
    assert seen[-3:] == ["ModelResponse", "StepEnd", "ErrorEvent"]


async def test_each_model_event_passes_through_one_frame_of_the_run() -> None:
    import inspect

    depths: list[int] = []

    def stream_fn(request: object):  # type: ignore[no-untyped-def]
        for word in ("a", "b", "c"):
            # The frames between the model's stream and the caller: the run's, none else.
            frames = [f.function for f in inspect.stack()]
            depths.append(frames.index("test_each_model_event_passes_through_one_frame_of_the_run"))
            yield word

    model = FunctionModel(lambda request: "x", stream_fn=stream_fn)
    async for _ in Agent(model).stream("hi"):
        pass
    async for _ in model.stream(Request([Message.user("hi")])):
        pass
    through_agent, direct = depths[0], depths[-1]
    # Agent.stream's generator and the run's events(): two frames above the model's stream.
    assert through_agent - direct == 2

"""The floor does the same HTTP exchanges as llmkit, and the benchmark responder answers them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from bench import _floor
from bench._llmkit_side import (
    LLMKitAgent,
    LLMKitAgentHooks,
    LLMKitAgentOutput,
    LLMKitAgentStream,
    LLMKitGenerate,
    LLMKitMap1000,
    LLMKitParallel100,
    LLMKitStream,
    LLMKitThreeAgents,
    LLMKitWorkflow,
    Unavailable,
)
from bench._responder import respond
from bench._workload import (
    ITEMS,
    MODEL,
    OUTPUT_DESCRIPTION,
    OUTPUT_NAME,
    OUTPUT_SCHEMA,
    TOOL_NAME,
    TOOL_PARAMETERS,
    branch_functions,
    double,
)
from llmkit import Message, Request, ToolCall, ToolResult, ToolSpec
from llmkit.providers._profiles.openai import OpenAIProfile, openai_capabilities
from llmkit.providers.openai.encode import encode_request
from llmkit.testing import FakeProviderServer
from llmkit.types import OutputSchema

LIBS = ["httpx2", "aiohttp", "httpx"]
"""Every client the floor runs on."""


@pytest.fixture(scope="module")
def server() -> Iterator[FakeProviderServer]:
    with FakeProviderServer(respond) as running:
        yield running


async def bodies(server: FakeProviderServer, runner: Any, runs: int = 1) -> list[Any]:
    server.reset()
    server.script(respond)
    try:
        for _ in range(runs):
            await runner.run()
    finally:
        await runner.aclose()
    assert server.errors == []
    assert all(r.status == 200 for r in server.requests)
    return [r.json for r in server.requests]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("floor", "llmkit"),
    [(_floor.FloorGenerate, LLMKitGenerate), (_floor.FloorStream, LLMKitStream)],
)
@pytest.mark.parametrize("lib", LIBS)
async def test_floor_sends_what_llmkit_sends(
    server: FakeProviderServer, floor: Any, llmkit: Any, lib: str
) -> None:
    ours = await bodies(server, floor(server.url, lib=lib))
    theirs = await bodies(server, llmkit(server.url))
    assert ours == theirs


def agent_request(*, output: bool, after_tool: bool) -> Request:
    messages = [Message.system("Be brief."), Message.user("What is the weather in Paris?")]
    if after_tool:
        call = ToolCall("call_1", TOOL_NAME, {"city": "Paris"}, raw_arguments='{"city":"Paris"}')
        result = '{"city":"Paris","temperature_c":18,"sky":"sunny"}'
        messages += [
            Message.assistant(tool_calls=[call]),
            Message.tool(ToolResult("call_1", result)),
        ]
    return Request(
        messages=messages,
        tools=[ToolSpec(TOOL_NAME, "Current weather in a city.", TOOL_PARAMETERS)],
        output_schema=OutputSchema(OUTPUT_SCHEMA, name=OUTPUT_NAME, description=OUTPUT_DESCRIPTION)
        if output
        else None,
    )


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("floor", "output", "stream"),
    [
        (_floor.FloorAgent, False, False),
        (_floor.FloorAgentStream, False, True),
        (_floor.FloorAgentOutput, True, False),
    ],
)
@pytest.mark.parametrize("lib", LIBS)
async def test_agent_floor_sends_what_llmkits_codec_sends_for_the_same_run(
    server: FakeProviderServer, floor: Any, output: bool, stream: bool, lib: str
) -> None:
    first, second = await bodies(server, floor(server.url, lib=lib))
    # The fake server is not OpenAI's own address: tool-call turns carry "content": "".
    profile = OpenAIProfile(openai_capabilities(MODEL), tool_call_content="empty")
    for body, after_tool in ((first, False), (second, True)):
        request = agent_request(output=output, after_tool=after_tool)
        assert body == encode_request(request, MODEL, profile, stream=stream)


def agent_runners() -> list[tuple[Any, Any]]:
    return [
        (_floor.FloorAgent, LLMKitAgent),
        (_floor.FloorAgent, LLMKitAgentHooks),
        (_floor.FloorAgentStream, LLMKitAgentStream),
        (_floor.FloorAgentOutput, LLMKitAgentOutput),
    ]


@pytest.mark.anyio
@pytest.mark.parametrize(("floor", "llmkit"), agent_runners())
@pytest.mark.parametrize("lib", LIBS)
async def test_agent_floor_sends_what_the_agent_sends(
    server: FakeProviderServer, floor: Any, llmkit: Any, lib: str
) -> None:
    try:
        agent = llmkit(server.url)
    except Unavailable as exc:
        pytest.skip(str(exc))
    theirs = await bodies(server, agent)
    ours = await bodies(server, floor(server.url, lib=lib))
    assert len(ours) == 2
    assert ours == theirs


@pytest.mark.anyio
@pytest.mark.parametrize("lib", LIBS)
async def test_workflow_floor_runs_three_steps(server: FakeProviderServer, lib: str) -> None:
    sent = await bodies(server, _floor.FloorWorkflow(server.url, lib=lib))
    assert [b["messages"][0]["content"] for b in sent] == [
        "Draft. Be brief.",
        "Critique. Be brief.",
        "Rewrite. Be brief.",
    ]
    assert sent[1]["messages"][1]["content"] == "Hello! This is the llmkit fake server."


@pytest.mark.anyio
@pytest.mark.parametrize("llmkit", [LLMKitWorkflow, LLMKitThreeAgents])
async def test_the_workflow_and_its_agents_by_hand_send_exactly_the_floors_three_bodies(
    server: FakeProviderServer, llmkit: Any
) -> None:
    ours = await bodies(server, _floor.FloorWorkflow(server.url), runs=2)
    theirs = await bodies(server, llmkit(server.url), runs=2)
    assert len(ours) == 6
    assert theirs == ours


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("llmkit", "state", "expected"),
    [
        (LLMKitParallel100, {}, [f({}) for f in branch_functions()]),
        (LLMKitMap1000, {"items": list(range(ITEMS))}, [double(x) for x in range(ITEMS)]),
    ],
)
async def test_the_local_workflow_cases_compute_what_their_floor_computes(
    llmkit: Any, state: dict[str, Any], expected: list[int]
) -> None:
    assert expected[:3] in ([0, 1, 2], [0, 2, 4])
    runner = llmkit("http://unused")
    result = await runner.flow.run(state)
    assert result.state["out"] == expected
    # One trace record per branch or item, and one for the parallel or the map itself.
    assert len(result.trace) == len(expected) + 1
    await runner.run()
    await runner.aclose()


@pytest.mark.anyio
@pytest.mark.parametrize("floor", [_floor.FloorParallel100, _floor.FloorMap1000])
async def test_the_local_floors_run_without_a_server(floor: Any) -> None:
    runner = floor("http://unused")
    assert runner.LOOP_BOUND is False
    await runner.run()
    await runner.aclose()


def test_split_sse_keeps_the_unfinished_line() -> None:
    payloads, rest = _floor.split_sse(b'data: {"a"', b':1}\n\n: comment\ndata: [DONE]\n\ndata: {"b')
    assert payloads == [b'{"a":1}', b"[DONE]"]
    assert rest == b'data: {"b'


def test_responder_calls_the_bench_tool_even_when_an_output_tool_comes_first() -> None:
    tools = [
        ToolSpec("final_result", "", {"type": "object"}),
        ToolSpec(TOOL_NAME, "", TOOL_PARAMETERS),
    ]
    turn = respond(Request(messages=[Message.user("hi")], tools=tools))
    assert (
        isinstance(turn, ToolCall)
        and turn.name == TOOL_NAME
        and turn.arguments == {"city": "Paris"}
    )


def test_responder_answers_tool_results_with_json_for_an_output_schema() -> None:
    request = agent_request(output=True, after_tool=True)
    turn = respond(request)
    assert isinstance(turn, str)
    assert json.loads(turn) == {"city": "example", "temperature_c": 1, "sky": "example"}


def test_responder_calls_an_output_tool_after_the_tool_results() -> None:
    request = agent_request(output=False, after_tool=True)
    output_tool = ToolSpec("final_result", "", {**OUTPUT_SCHEMA})
    request.tools.append(output_tool)
    turn = respond(request)
    assert isinstance(turn, ToolCall) and turn.name == "final_result"
    assert set(turn.arguments) == {"city", "temperature_c", "sky"}


def test_responder_answers_tool_results_with_text_otherwise() -> None:
    turn = respond(agent_request(output=False, after_tool=True))
    assert isinstance(turn, str) and turn.startswith("The tool returned:")

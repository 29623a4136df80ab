"""The OpenAI model over real HTTP against the fake provider server."""

from __future__ import annotations

import asyncio
import json
import socket
import traceback

import pytest

import llmkit
from llmkit import Agent, Message, Request, ToolCall, ToolResult, ToolSpec
from llmkit.errors import (
    AuthenticationError,
    BadRequestError,
    ContextLengthError,
    InvalidResponseError,
    NotFoundError,
    OverloadedError,
    PermissionDeniedError,
    ProviderConnectionError,
    ProviderTimeoutError,
    RateLimitError,
    ServerError,
    StreamInterruptedError,
)
from llmkit.events import ModelResponse, TextDelta, ToolCallDelta
from llmkit.http import RetryPolicy, Timeouts
from llmkit.providers.openai import OpenAIModel
from llmkit.testing import FakeProviderServer, Fault, tool_call
from llmkit.types import ImagePart, OutputSchema

# Every test runs once per HTTP transport (the fixture sets LLMKIT_TRANSPORT).
pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("transport")]

KEY = "sk-test-secret-0123456789"
ADD = ToolSpec(
    "add",
    "Add two integers.",
    {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "required": ["a", "b"],
    },
)
FAST_RETRY = RetryPolicy(max_retries=2, initial_delay=0.0, max_delay=0.0)


@pytest.fixture
def server(llmkit_fake_server: FakeProviderServer) -> FakeProviderServer:
    return llmkit_fake_server


def make(
    server: FakeProviderServer, model_id: str = "gpt-4.1-mini", **options: object
) -> OpenAIModel:
    options.setdefault("retry", FAST_RETRY)
    return OpenAIModel(model_id, base_url=server.openai_base_url, api_key=KEY, **options)  # type: ignore[arg-type]


def ask(text: str = "hi", **fields: object) -> Request:
    return Request(messages=[Message.user(text)], **fields)  # type: ignore[arg-type]


async def test_generate_text_sends_the_expected_body_and_headers(
    server: FakeProviderServer,
) -> None:
    server.script(["Hello there."])
    response = await make(server).generate(ask("hi", temperature=0.2, max_tokens=50))
    assert response.text == "Hello there."
    assert response.finish_reason == "stop"
    assert response.usage.requests == 1 and response.usage.output_tokens > 0
    assert response.request_id
    (sent,) = server.requests
    assert sent.path == "/v1/chat/completions"
    assert sent.json == {
        "model": "gpt-4.1-mini",
        "messages": [{"role": "user", "content": "hi"}],
        "temperature": 0.2,
        "max_tokens": 50,
    }
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["user-agent"].startswith("llmkit/")


async def test_stream_yields_deltas_then_the_response(server: FakeProviderServer) -> None:
    server.script(["Streaming is working fine today."])
    events = [e async for e in make(server).stream(ask())]
    assert isinstance(events[-1], ModelResponse)
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text == "Streaming is working fine today." == events[-1].response.text
    assert sum(isinstance(e, TextDelta) for e in events) > 1
    assert events[-1].response.usage.output_tokens > 0
    assert server.requests[0].json["stream_options"] == {"include_usage": True}


async def test_tool_round_trip_with_two_parallel_calls(server: FakeProviderServer) -> None:
    server.script([[tool_call("add", a=1, b=2), tool_call("add", a=3, b=4)], "3 and 7."])
    model = make(server)
    request = ask("add twice", tools=[ADD])
    first = await model.generate(request)
    assert first.finish_reason == "tool_calls"
    assert [c.arguments for c in first.tool_calls] == [{"a": 1, "b": 2}, {"a": 3, "b": 4}]
    results = [
        ToolResult(c.id, str(c.arguments["a"] + c.arguments["b"]), name=c.name)
        for c in first.tool_calls
    ]
    request.messages += [first.message, Message.tool(*results)]
    second = await model.generate(request)
    assert second.text == "3 and 7."
    wire = server.requests[1].json["messages"]
    assert [m["role"] for m in wire] == ["user", "assistant", "tool", "tool"]
    assert [m["tool_call_id"] for m in wire[2:]] == [c.id for c in first.tool_calls]


async def test_streamed_tool_calls_are_reassembled(server: FakeProviderServer) -> None:
    server.script([[tool_call("add", a=10, b=20), tool_call("add", a=1, b=1)]])
    events = [e async for e in make(server).stream(ask("x", tools=[ADD]))]
    deltas = [e for e in events if isinstance(e, ToolCallDelta)]
    assert {d.index for d in deltas} == {0, 1}
    final = events[-1].response  # type: ignore[union-attr]
    assert [c.arguments for c in final.tool_calls] == [{"a": 10, "b": 20}, {"a": 1, "b": 1}]
    assert final.finish_reason == "tool_calls"


async def test_broken_tool_arguments_are_kept_raw_and_flagged(server: FakeProviderServer) -> None:
    broken = ToolCall("", "add", {}, raw_arguments='{"a": 1, "b":')
    server.script([[broken], [broken]])
    model = make(server)
    for response in (
        await model.generate(ask(tools=[ADD])),
        [e async for e in model.stream(ask(tools=[ADD]))][-1].response,
    ):  # type: ignore[union-attr]
        (call,) = response.tool_calls
        assert call.raw_arguments == '{"a": 1, "b":'
        assert call.arguments == {}
        assert "not valid JSON" in (call.arguments_error or "")


async def test_structured_output_is_sent_as_strict_json_schema(server: FakeProviderServer) -> None:
    server.script(['{"total": 12.5, "currency": "EUR"}'])
    schema = {
        "type": "object",
        "properties": {"total": {"type": "number"}, "currency": {"type": "string"}},
        "required": ["total", "currency"],
    }
    response = await make(server).generate(
        ask("invoice", output_schema=OutputSchema(schema, name="Invoice"))
    )
    assert json.loads(response.text) == {"total": 12.5, "currency": "EUR"}
    fmt = server.requests[0].json["response_format"]
    assert fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"]["additionalProperties"] is False


async def test_images_are_accepted_by_the_strict_server(server: FakeProviderServer) -> None:
    server.script(["A red dot."])
    request = Request(
        [Message.user("What is this?", ImagePart(data=b"\x89PNG", media_type="image/png"))]
    )
    assert (await make(server).generate(request)).text == "A red dot."
    content = server.requests[0].json["messages"][0]["content"]
    assert content[1]["image_url"]["url"].startswith("data:image/png;base64,")


async def test_embeddings_ask_for_floats(server: FakeProviderServer) -> None:
    vectors = await make(server, "text-embedding-3-small").embed(["a", "b", "c"], dimensions=4)
    assert len(vectors) == 3 and all(len(v) == 4 and isinstance(v[0], float) for v in vectors)
    assert vectors.usage.input_tokens > 0
    assert server.requests[0].json["encoding_format"] == "float"


@pytest.mark.parametrize(
    ("fault", "error", "words"),
    [
        (Fault.status(401), AuthenticationError, ["401", "Check the API key"]),
        (Fault.status(403), PermissionDeniedError, ["403"]),
        (
            Fault.status(400, "Invalid value for 'messages'."),
            BadRequestError,
            ["400", "Invalid value"],
        ),
        (Fault.context_length(), ContextLengthError, ["context", "Shorten the conversation"]),
    ],
)
async def test_error_statuses_map_to_the_error_tree(
    server: FakeProviderServer, fault: Fault, error: type[Exception], words: list[str]
) -> None:
    server.script([fault])
    with pytest.raises(error) as caught:
        await make(server).generate(ask())
    message = str(caught.value)
    for word in words:
        assert word in message
    assert caught.value.request_id  # type: ignore[attr-defined]
    assert len(server.requests) == 1  # never retried


async def test_unknown_model_is_not_found_with_a_hint() -> None:
    with (
        FakeProviderServer(models={"gpt-4.1-mini"}) as server,
        pytest.raises(NotFoundError, match="Check the model name 'gpt-nope'"),
    ):
        await make(server, "gpt-nope").generate(ask())


async def test_wrong_key_is_an_authentication_error_without_the_key() -> None:
    with (
        FakeProviderServer(api_key="the-right-key") as server,
        pytest.raises(AuthenticationError) as caught,
    ):
        await make(server).generate(ask())
    err = caught.value
    rendered = "".join(traceback.format_exception(err)) + repr(err) + (err.body or "")
    assert KEY not in rendered
    assert "OPENAI_API_KEY" in str(err)


async def test_rate_limit_is_retried_honouring_retry_after(server: FakeProviderServer) -> None:
    server.script(
        [Fault.status(429, retry_after=0), Fault.status(429, retry_after_ms=10), "finally"]
    )
    assert (await make(server).generate(ask())).text == "finally"
    assert len(server.requests) == 3


async def test_rate_limit_after_the_last_retry_raises_with_retry_after(
    server: FakeProviderServer,
) -> None:
    server.script([Fault.status(429, retry_after=0)] * 3)
    with pytest.raises(RateLimitError) as caught:
        await make(server).generate(ask())
    assert caught.value.retry_after == 0.0
    assert len(server.requests) == 3


async def test_server_errors_are_retried_then_raised(server: FakeProviderServer) -> None:
    server.script([Fault.status(500), Fault.status(502), Fault.status(503)])
    with pytest.raises(OverloadedError):
        await make(server).generate(ask())
    assert len(server.requests) == 3
    server.reset()
    server.script([Fault.status(500), "recovered"])
    assert (await make(server).generate(ask())).text == "recovered"


async def test_max_retries_zero_disables_retrying(server: FakeProviderServer) -> None:
    server.script([Fault.status(500), "never"])
    with pytest.raises(ServerError):
        await make(server, retry=RetryPolicy(max_retries=0)).generate(ask())
    assert len(server.requests) == 1


async def test_html_answer_is_an_invalid_response_naming_base_url(
    server: FakeProviderServer,
) -> None:
    server.script([Fault.html()])
    with pytest.raises(InvalidResponseError, match="HTML page.*base_url"):
        await make(server).generate(ask())


async def test_malformed_json_answer_is_an_invalid_response(server: FakeProviderServer) -> None:
    server.script([Fault.malformed_json(), Fault.malformed_json()])
    model = make(server)
    with pytest.raises(InvalidResponseError, match="not JSON"):
        await model.generate(ask())
    with pytest.raises(InvalidResponseError, match="not JSON"):
        [e async for e in model.stream(ask())]


@pytest.mark.parametrize("mid_event", [False, True])
async def test_stream_cut_mid_way_keeps_what_arrived(
    server: FakeProviderServer, mid_event: bool
) -> None:
    server.script(
        [Fault.drop(after_events=3, mid_event=mid_event, turn="one two three four five six seven")]
    )
    received = []
    with pytest.raises(StreamInterruptedError) as caught:
        async for event in make(server).stream(ask()):
            received.append(event)
    text = "".join(e.text for e in received if isinstance(e, TextDelta))
    assert text
    assert caught.value.partial.text == text
    assert "retry the call" in str(caught.value)


async def test_stream_ended_by_a_bare_done_before_any_content_is_interrupted(
    server: FakeProviderServer,
) -> None:
    # llama.cpp ends an earlier stream this way when requests overlap.
    server.script([Fault.end_early(after_events=1)])
    received = []
    with pytest.raises(StreamInterruptedError) as caught:
        async for event in make(server).stream(ask()):
            received.append(event)
    assert not any(isinstance(e, ModelResponse | TextDelta) for e in received)
    assert caught.value.retryable is True
    assert "[DONE] but no chunk gave a finish reason" in str(caught.value)
    assert caught.value.partial.text == ""


async def test_stream_ended_by_done_without_a_finish_reason_is_not_taken_for_an_answer(
    server: FakeProviderServer,
) -> None:
    server.script([Fault.end_early(after_events=4, turn="one two three four five six seven")])
    received = []
    with pytest.raises(StreamInterruptedError) as caught:
        async for event in make(server).stream(ask()):
            received.append(event)
    text = "".join(e.text for e in received if isinstance(e, TextDelta))
    assert text and not any(isinstance(e, ModelResponse) for e in received)
    assert caught.value.partial.text == text


async def test_an_agent_stream_ended_early_fails_instead_of_answering(
    server: FakeProviderServer,
) -> None:
    server.script([Fault.end_early(after_events=3, turn="a partial answer that stops")])
    with pytest.raises(StreamInterruptedError):
        [e async for e in Agent(make(server)).stream("hi")]


async def test_dropped_connection_without_response_is_retried(server: FakeProviderServer) -> None:
    server.script([Fault.drop(), "second try"])
    assert (await make(server).generate(ask())).text == "second try"


async def test_connection_refused_is_a_connection_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    model = OpenAIModel("m", base_url=f"http://127.0.0.1:{port}/v1", api_key=KEY, retry=FAST_RETRY)
    with pytest.raises(ProviderConnectionError, match="could not connect to http://127.0.0.1"):
        await model.generate(ask())


async def test_slow_first_byte_hits_the_timeout(server: FakeProviderServer) -> None:
    server.script([Fault.slow(30.0)])
    model = make(server, timeout=Timeouts(read=0.2), retry=RetryPolicy(max_retries=0))
    with pytest.raises(ProviderTimeoutError, match="read timeout"):
        await model.generate(ask())


async def test_total_timeout_bounds_the_whole_call(server: FakeProviderServer) -> None:
    server.script([Fault.slow(2.0)])
    with pytest.raises(ProviderTimeoutError, match="total timeout of 0.2s"):
        await make(server, timeout=0.2).generate(ask())


def test_sync_twins(server: FakeProviderServer) -> None:
    server.script(["sync answer", "streamed sync answer"])
    model = make(server)
    assert model.generate_sync(ask()).text == "sync answer"
    events = list(model.stream_sync(ask()))
    assert isinstance(events[-1], ModelResponse)
    assert events[-1].response.text == "streamed sync answer"
    assert len(model.embed_sync(["x"])) == 1


async def test_sync_twins_work_inside_a_running_event_loop(server: FakeProviderServer) -> None:
    server.script(["from inside a loop"])
    assert asyncio.get_running_loop().is_running()
    assert make(server).generate_sync(ask()).text == "from inside a loop"


async def test_model_string_with_base_url_reaches_the_server(server: FakeProviderServer) -> None:
    server.script(["via llmkit.model"])
    model = llmkit.model("openai/qwen2.5", base_url=server.openai_base_url, api_key="x")
    assert (await model.generate(ask())).text == "via llmkit.model"
    assert server.requests[0].json["model"] == "qwen2.5"


async def test_many_concurrent_calls_queue_on_the_pool(server: FakeProviderServer) -> None:
    server.script(lambda request: "ok")
    model = make(server)
    responses = await asyncio.gather(*(model.generate(ask()) for _ in range(300)))
    assert all(r.text == "ok" for r in responses)

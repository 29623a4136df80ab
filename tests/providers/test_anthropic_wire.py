"""The Anthropic model over real HTTP against the fake provider server."""

from __future__ import annotations

import json
import traceback
import warnings

import pytest

import llmkit
from llmkit import Message, Reasoning, Request, ToolCall, ToolResult, ToolSpec
from llmkit.errors import (
    AuthenticationError,
    BadRequestError,
    ContextLengthError,
    InvalidResponseError,
    MissingAPIKeyError,
    NotFoundError,
    OverloadedError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    StreamInterruptedError,
    UnsupportedError,
    UsageError,
)
from llmkit.events import ModelResponse, ReasoningDelta, TextDelta, ToolCallDelta
from llmkit.http import RetryPolicy
from llmkit.providers.anthropic import AnthropicModel
from llmkit.providers.openai import OpenAIModel
from llmkit.testing import FakeProviderServer, Fault, tool_call
from llmkit.types import (
    DocumentPart,
    ImagePart,
    OutputSchema,
    ReasoningPart,
    Response,
    TextPart,
    Usage,
)

# Every test runs once per HTTP transport (the fixture sets LLMKIT_TRANSPORT).
pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("transport")]

KEY = "sk-ant-test_secret_0123456789"
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
    server: FakeProviderServer, model_id: str = "claude-sonnet-4-5", **options: object
) -> AnthropicModel:
    options.setdefault("retry", FAST_RETRY)
    return AnthropicModel(model_id, base_url=server.anthropic_base_url, api_key=KEY, **options)  # type: ignore[arg-type]


def ask(text: str = "hi", **fields: object) -> Request:
    return Request(messages=[Message.user(text)], **fields)  # type: ignore[arg-type]


async def collect(model: AnthropicModel, request: Request) -> list[object]:
    return [event async for event in model.stream(request)]


# ------------------------------------------------------------------------ basics


async def test_generate_sends_the_expected_body_and_headers(server: FakeProviderServer) -> None:
    server.script(["Hello there."])
    request = Request(
        [Message.system("Be brief."), Message.system("Answer in English."), Message.user("hi")],
        temperature=0.2,
        stop=["END"],
    )
    response = await make(server).generate(request)
    assert response.text == "Hello there."
    assert response.finish_reason == "stop" and response.raw_finish_reason == "end_turn"
    assert response.model == "claude-sonnet-4-5"
    assert response.usage.requests == 1 and response.usage.output_tokens > 0
    assert response.usage.cost is not None  # claude-sonnet-4-5 is in the price table
    assert response.request_id is not None and response.request_id.startswith("req_")
    (sent,) = server.requests
    assert sent.path == "/v1/messages" and sent.status == 200
    assert sent.json == {
        "model": "claude-sonnet-4-5",
        "max_tokens": 8192,
        "system": "Be brief.\n\nAnswer in English.",
        "messages": [{"role": "user", "content": "hi"}],
        "temperature": 0.2,
        "stop_sequences": ["END"],
    }
    assert sent.headers["x-api-key"] == KEY
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in sent.headers


async def test_stream_yields_deltas_then_the_response(server: FakeProviderServer) -> None:
    server.script(["Streaming is working fine today."])
    events = await collect(make(server), ask())
    final = events[-1]
    assert isinstance(final, ModelResponse)
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text == "Streaming is working fine today." == final.response.text
    assert sum(isinstance(e, TextDelta) for e in events) > 1
    assert final.response.usage.output_tokens > 0 and final.response.usage.input_tokens > 0
    assert final.response.finish_reason == "stop"
    assert final.response.request_id and final.response.usage.cost is not None
    assert server.requests[0].json["stream"] is True


async def test_tool_round_trip_with_two_parallel_calls(server: FakeProviderServer) -> None:
    server.script([[tool_call("add", a=1, b=2), tool_call("add", a=3, b=4)], "3 and 7."])
    model = make(server)
    request = ask("add twice", tools=[ADD])
    first = await model.generate(request)
    assert first.finish_reason == "tool_calls" and first.raw_finish_reason == "tool_use"
    assert [c.arguments for c in first.tool_calls] == [{"a": 1, "b": 2}, {"a": 3, "b": 4}]
    results = [
        ToolResult(c.id, str(c.arguments["a"] + c.arguments["b"]), name=c.name)
        for c in first.tool_calls
    ]
    request.messages += [first.message, Message.tool(*results)]
    second = await model.generate(request)
    assert second.text == "3 and 7."
    wire = server.requests[1].json
    assert [m["role"] for m in wire["messages"]] == ["user", "assistant", "user"]
    assert [b["type"] for b in wire["messages"][1]["content"]] == ["tool_use", "tool_use"]
    assert wire["messages"][2]["content"] == [
        {"type": "tool_result", "tool_use_id": first.tool_calls[0].id, "content": "3"},
        {"type": "tool_result", "tool_use_id": first.tool_calls[1].id, "content": "7"},
    ]
    assert wire["tools"] == [
        {"name": "add", "description": "Add two integers.", "input_schema": ADD.parameters}
    ]


async def test_streamed_tool_calls_are_indexed_among_tool_calls(
    server: FakeProviderServer,
) -> None:
    thinking = ReasoningPart("Two sums.", provider_data={"anthropic": {"type": "thinking"}})
    calls = [ToolCall("toolu_a", "add", {"a": 10, "b": 20}), ToolCall("toolu_b", "add", {"a": 1})]
    server.script([Response(Message("assistant", [thinking, *calls]), finish_reason="tool_calls")])
    events = await collect(make(server), ask("x", tools=[ADD], reasoning=Reasoning("low")))
    deltas = [e for e in events if isinstance(e, ToolCallDelta)]
    # Content block 0 is the thinking; the calls are tool calls 0 and 1.
    assert [(d.index, d.id, d.name) for d in deltas if d.id] == [
        (0, "toolu_a", "add"),
        (1, "toolu_b", "add"),
    ]
    final = events[-1].response  # type: ignore[attr-defined]
    assert [c.arguments for c in final.tool_calls] == [{"a": 10, "b": 20}, {"a": 1}]
    assert final.finish_reason == "tool_calls"


async def test_parallel_tool_calls_false_disables_parallel_use(server: FakeProviderServer) -> None:
    server.script([tool_call("add", a=1, b=1)])
    await make(server).generate(ask(tools=[ADD], tool_choice="required", parallel_tool_calls=False))
    assert server.requests[0].json["tool_choice"] == {
        "type": "any",
        "disable_parallel_tool_use": True,
    }


async def test_tool_error_results_are_marked(server: FakeProviderServer) -> None:
    server.script(["sorry"])
    call = ToolCall("toolu_1", "add", {"a": 1, "b": 2})
    request = Request(
        [
            Message.user("add"),
            Message.assistant(tool_calls=[call]),
            Message.tool(ToolResult("toolu_1", "division by zero", is_error=True)),
        ],
        tools=[ADD],
    )
    assert (await make(server).generate(request)).text == "sorry"
    (result,) = server.requests[0].json["messages"][2]["content"]
    assert result == {
        "type": "tool_result",
        "tool_use_id": "toolu_1",
        "content": "division by zero",
        "is_error": True,
    }


async def test_a_result_for_an_unknown_call_id_is_rejected_before_sending(
    server: FakeProviderServer,
) -> None:
    call = ToolCall("toolu_1", "add", {"a": 1, "b": 2})
    messages = [
        Message.user("add"),
        Message.assistant(tool_calls=[call]),
        Message.tool(ToolResult("toolu_9", "3")),
    ]
    request = Request(list(messages), tools=[ADD])
    with pytest.raises(UsageError, match="'toolu_9'.*'toolu_1'"):
        await make(server).generate(request)
    assert server.requests == []
    assert request.messages == messages  # nothing was changed or lost


async def test_structured_output_is_sent_as_output_config(server: FakeProviderServer) -> None:
    server.script(['{"total": 12.5, "currency": "EUR"}'])
    schema = {
        "type": "object",
        "properties": {"total": {"type": "number", "minimum": 0}, "currency": {"type": "string"}},
        "required": ["total", "currency"],
    }
    response = await make(server).generate(
        ask("invoice", output_schema=OutputSchema(schema, name="Invoice"))
    )
    assert json.loads(response.text) == {"total": 12.5, "currency": "EUR"}
    fmt = server.requests[0].json["output_config"]["format"]
    assert fmt["type"] == "json_schema"
    assert fmt["schema"]["additionalProperties"] is False
    assert fmt["schema"]["properties"]["total"] == {"type": "number", "description": "{minimum: 0}"}
    assert "additionalProperties" not in schema  # the caller's schema is untouched


async def test_structured_output_on_a_model_without_it_is_unsupported(
    server: FakeProviderServer,
) -> None:
    with pytest.raises(UnsupportedError, match="claude-3-5-haiku"):
        await make(server, "claude-3-5-haiku-latest").generate(
            ask(output_schema=OutputSchema({"type": "object"}))
        )
    assert server.requests == []


async def test_images_and_a_pdf_are_accepted_by_the_strict_server(
    server: FakeProviderServer,
) -> None:
    server.script(["A red dot and a report."])
    request = Request(
        [
            Message.user(
                "What are these?",
                ImagePart(data=b"\x89PNG", media_type="image/png"),
                ImagePart(url="https://example.com/cat.jpg"),
                DocumentPart(data=b"%PDF-1.4", name="report.pdf"),
                DocumentPart(url="https://example.com/paper.pdf"),
            )
        ]
    )
    assert (await make(server).generate(request)).text == "A red dot and a report."
    content = server.requests[0].json["messages"][0]["content"]
    assert [b["type"] for b in content] == ["text", "image", "image", "document", "document"]
    assert content[1]["source"] == {"type": "base64", "media_type": "image/png", "data": "iVBORw=="}
    assert content[2]["source"] == {"type": "url", "url": "https://example.com/cat.jpg"}
    assert content[3] == {
        "type": "document",
        "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0xLjQ="},
        "title": "report.pdf",
    }
    assert content[4]["source"] == {"type": "url", "url": "https://example.com/paper.pdf"}


# -------------------------------------------------------------------- thinking


def _thinking_turn() -> Response:
    thought = ReasoningPart("I should add them.", "sig-123", provider_data=None)
    message = Message("assistant", [thought, ToolCall("toolu_1", "add", {"a": 1, "b": 2})])
    return Response(message, Usage(10, 20, requests=1), "tool_calls")


async def test_extended_thinking_signature_is_sent_back_on_the_next_turn(
    server: FakeProviderServer,
) -> None:
    server.script([_thinking_turn(), "It is 3."])
    model = make(server)
    request = ask("add 1 and 2", tools=[ADD], reasoning=Reasoning(budget_tokens=2000))
    first = await model.generate(request)
    reasoning = first.message.parts[0]
    assert isinstance(reasoning, ReasoningPart)
    assert reasoning.text == "I should add them." and reasoning.signature == "sig-123"
    assert reasoning.provider_data == {"anthropic": {"type": "thinking"}}
    sent = server.requests[0].json
    assert sent["thinking"] == {"type": "enabled", "budget_tokens": 2000}
    assert sent["max_tokens"] == 2000 + 8192  # raised to leave room for the answer
    request.messages += [first.message, Message.tool(ToolResult("toolu_1", "3"))]
    assert (await model.generate(request)).text == "It is 3."
    assistant = server.requests[1].json["messages"][1]["content"]
    assert assistant[0] == {
        "type": "thinking",
        "thinking": "I should add them.",
        "signature": "sig-123",
    }
    assert server.requests[1].status == 200


async def test_streamed_thinking_arrives_as_reasoning_deltas_with_its_signature(
    server: FakeProviderServer,
) -> None:
    server.script([_thinking_turn()])
    events = await collect(make(server), ask(tools=[ADD], reasoning=Reasoning("medium")))
    reasoning = [e for e in events if isinstance(e, ReasoningDelta)]
    assert "".join(e.text for e in reasoning) == "I should add them."
    assert reasoning[-1].signature == "sig-123"
    final = events[-1].response  # type: ignore[attr-defined]
    part = final.message.parts[0]
    assert isinstance(part, ReasoningPart) and part.signature == "sig-123"
    assert part.provider_data == {"anthropic": {"type": "thinking"}}
    assert server.requests[0].json["thinking"]["budget_tokens"] == 8192


async def test_reasoning_from_another_provider_is_not_sent_and_thinking_is_left_out(
    server: FakeProviderServer,
) -> None:
    server.script(["It is 3."])
    foreign = ReasoningPart("openai reasoning", provider_data={"openai": {}})
    request = Request(
        [
            Message.user("add"),
            Message("assistant", [foreign, ToolCall("call_1", "add", {"a": 1, "b": 2})]),
            Message.tool(ToolResult("call_1", "3")),
        ],
        tools=[ADD],
        reasoning=Reasoning("high"),
    )
    with pytest.warns(UserWarning, match="Extended thinking was left out"):
        response = await make(server).generate(request)
    assert response.text == "It is 3."
    sent = server.requests[0].json
    assert "thinking" not in sent
    assert [b["type"] for b in sent["messages"][1]["content"]] == ["tool_use"]


# ----------------------------------------------------------------- prompt cache


async def test_cache_markers_reach_the_wire_and_cache_usage_is_reported(
    server: FakeProviderServer,
) -> None:
    server.script(["first", "second"])
    marker = {"anthropic": {"cache_control": {"type": "ephemeral"}}}
    system = Message("system", [TextPart("You are a careful assistant. " * 20, marker)])
    tool = ToolSpec("add", "Add.", ADD.parameters, provider_data=marker)
    model = make(server)
    first = await model.generate(Request([system, Message.user("hi")], tools=[tool]))
    second = await model.generate(Request([system, Message.user("again")], tools=[tool]))
    sent = server.requests[0].json
    assert sent["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert sent["tools"][0]["cache_control"] == {"type": "ephemeral"}
    assert first.usage.cache_write_tokens > 0 and first.usage.cache_read_tokens == 0
    assert second.usage.cache_read_tokens == first.usage.cache_write_tokens
    assert second.usage.cache_write_tokens == 0
    # llmkit counts every prompt token, cached ones included.
    assert second.usage.input_tokens > second.usage.cache_read_tokens


async def test_a_message_level_marker_lands_on_its_last_block(server: FakeProviderServer) -> None:
    server.script(["ok"])
    message = Message.user("a", "b")
    message.provider_data = {"anthropic": {"cache_control": {"type": "ephemeral", "ttl": "1h"}}}
    await make(server).generate(Request([message]))
    content = server.requests[0].json["messages"][0]["content"]
    assert content == [
        {"type": "text", "text": "a"},
        {"type": "text", "text": "b", "cache_control": {"type": "ephemeral", "ttl": "1h"}},
    ]


# ------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("fault", "error", "words"),
    [
        (Fault.status(401), AuthenticationError, ["401", "ANTHROPIC_API_KEY"]),
        (Fault.status(403), PermissionDeniedError, ["403", "permission_error"]),
        (Fault.status(404), NotFoundError, ["404", "not_found_error"]),
        (Fault.status(400, "messages: bad"), BadRequestError, ["400", "messages: bad"]),
        (Fault.status(413), BadRequestError, ["request_too_large", "32 MB"]),
        (Fault.context_length(), ContextLengthError, ["prompt is too long", "Shorten"]),
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


async def test_wrong_key_is_an_authentication_error_without_the_key() -> None:
    with (
        FakeProviderServer(api_key="the-right-key") as server,
        pytest.raises(AuthenticationError) as caught,
    ):
        await make(server).generate(ask())
    err = caught.value
    rendered = "".join(traceback.format_exception(err)) + repr(err) + (err.body or "")
    assert KEY not in rendered
    assert "invalid x-api-key" in str(err) and "ANTHROPIC_API_KEY" in str(err)


async def test_unknown_model_is_not_found_with_a_hint() -> None:
    with (
        FakeProviderServer(models={"claude-sonnet-4-5"}) as server,
        pytest.raises(NotFoundError, match="Check the model name 'claude-nope'"),
    ):
        await make(server, "claude-nope").generate(ask())


async def test_rate_limit_is_retried_honouring_retry_after(server: FakeProviderServer) -> None:
    server.script([Fault.status(429, retry_after=0), "finally"])
    assert (await make(server).generate(ask())).text == "finally"
    assert len(server.requests) == 2


async def test_rate_limit_after_the_last_retry_raises_with_retry_after(
    server: FakeProviderServer,
) -> None:
    server.script([Fault.status(429, retry_after=0)] * 3)
    with pytest.raises(RateLimitError) as caught:
        await make(server).generate(ask())
    assert caught.value.retry_after == 0.0 and caught.value.error_type == "rate_limit_error"
    assert len(server.requests) == 3


async def test_overloaded_529_is_retried_then_raised(server: FakeProviderServer) -> None:
    server.script([Fault.status(529), "recovered"])
    assert (await make(server).generate(ask())).text == "recovered"
    server.reset()
    server.script([Fault.status(529)] * 3)
    with pytest.raises(OverloadedError) as caught:
        await make(server).generate(ask())
    assert caught.value.status == 529 and caught.value.error_type == "overloaded_error"
    assert len(server.requests) == 3


async def test_server_errors_are_retried(server: FakeProviderServer) -> None:
    server.script([Fault.status(500), "recovered"])
    assert (await make(server).generate(ask())).text == "recovered"
    assert len(server.requests) == 2
    server.reset()
    server.script([Fault.status(500)] * 3)
    with pytest.raises(ServerError) as caught:
        await make(server).generate(ask())
    assert caught.value.error_type == "api_error" and len(server.requests) == 3


async def test_an_error_event_mid_stream_raises_after_the_partial_content(
    server: FakeProviderServer,
) -> None:
    partial = Response(Message.assistant("Half an answer"), finish_reason="error")
    server.script([partial])
    received: list[object] = []
    with pytest.raises(OverloadedError, match="overloaded_error") as caught:
        async for event in make(server).stream(ask()):
            received.append(event)
    assert "".join(e.text for e in received if isinstance(e, TextDelta)) == "Half an answer"
    assert not any(isinstance(e, ModelResponse) for e in received)
    assert caught.value.request_id
    assert len(server.requests) == 1  # a stream is not retried once it has started


async def test_a_stream_cut_before_message_stop_keeps_what_arrived(
    server: FakeProviderServer,
) -> None:
    server.script([Fault.drop(after_events=6, turn="one two three four five six seven")])
    received: list[object] = []
    with pytest.raises(StreamInterruptedError, match="retry the call") as caught:
        async for event in make(server).stream(ask()):
            received.append(event)
    text = "".join(e.text for e in received if isinstance(e, TextDelta))
    assert text
    assert caught.value.partial.text == text
    assert caught.value.partial.finish_reason == "error"


async def test_html_and_malformed_answers_are_invalid_responses(
    server: FakeProviderServer,
) -> None:
    server.script([Fault.html(), Fault.malformed_json(), Fault.malformed_json()])
    model = make(server)
    with pytest.raises(InvalidResponseError, match="HTML page"):
        await model.generate(ask())
    with pytest.raises(InvalidResponseError, match="not JSON"):
        await model.generate(ask())
    with pytest.raises(InvalidResponseError, match="not JSON"):
        await collect(model, ask())


async def test_a_rejected_body_is_a_bad_request_with_the_api_message(
    server: FakeProviderServer,
) -> None:
    with pytest.raises(BadRequestError, match="temperature: Input should be less than or equal"):
        await make(server).generate(ask(temperature=1.5))
    assert server.requests[0].status == 400


# ------------------------------------------------------------------- versions


async def test_version_2026_10_21_leaves_sampling_out_with_a_warning(
    server: FakeProviderServer,
) -> None:
    server.script(["ok"])
    model = make(server, api_version="2026-10-21")
    assert model.capabilities.sampling is False
    with pytest.warns(UserWarning, match="2026-10-21 takes no temperature/top_p"):
        assert (await model.generate(ask(temperature=0.5, top_p=0.9))).text == "ok"
    sent = server.requests[0]
    assert sent.headers["anthropic-version"] == "2026-10-21"
    assert "temperature" not in sent.json and "top_p" not in sent.json


async def test_version_2026_10_21_rejects_sampling_sent_anyway(server: FakeProviderServer) -> None:
    model = make(server, api_version="2026-10-21")
    with pytest.raises(BadRequestError, match="temperature: Extra inputs are not permitted"):
        await model.generate(ask(extra={"temperature": 1.0}))


def test_unknown_api_version_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="2023-06-01"):
        AnthropicModel("claude-sonnet-4-5", api_key="k", api_version="2024-01-01")


# ----------------------------------------------------------- construction & env


def test_missing_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    with pytest.raises(MissingAPIKeyError, match="ANTHROPIC_API_KEY"):
        llmkit.model("anthropic/claude-sonnet-4-5")


async def test_model_string_reads_key_and_address_from_the_environment(
    server: FakeProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.anthropic_base_url + "/v1/")
    server.script(["via llmkit.model"])
    model = llmkit.model("anthropic/claude-haiku-4-5", betas=["beta-one", "beta-two"])
    assert isinstance(model, AnthropicModel) and model.base_url == server.anthropic_base_url
    assert (await model.generate(ask())).text == "via llmkit.model"
    sent = server.requests[0]
    assert sent.json["model"] == "claude-haiku-4-5"
    assert sent.headers["anthropic-beta"] == "beta-one,beta-two"
    assert sent.headers["x-api-key"] == KEY


def test_sync_twins(server: FakeProviderServer) -> None:
    server.script(["sync answer", "streamed sync answer"])
    model = make(server)
    assert model.generate_sync(ask()).text == "sync answer"
    events = list(model.stream_sync(ask()))
    assert isinstance(events[-1], ModelResponse)
    assert events[-1].response.text == "streamed sync answer"


async def test_a_script_function_gets_the_decoded_request(server: FakeProviderServer) -> None:
    seen: list[Request] = []

    def answer(request: Request) -> str:
        seen.append(request)
        return "seen"

    server.script(answer)
    request = Request(
        [Message.system("Be brief."), Message.user("hi")],
        tools=[ADD],
        tool_choice="add",
        max_tokens=3000,
        reasoning=Reasoning(budget_tokens=1500),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        await make(server).generate(request)
    (decoded,) = seen
    assert [m.role for m in decoded.messages] == ["system", "user"]
    assert decoded.messages[0].text == "Be brief."
    assert decoded.tools[0].name == "add" and decoded.tool_choice == "add"
    assert decoded.max_tokens == 3000
    assert decoded.reasoning == Reasoning(budget_tokens=1500)


# ---------------------------------------------------------- same as OpenAI


async def test_switching_from_openai_changes_nothing_else(server: FakeProviderServer) -> None:
    openai = OpenAIModel("gpt-4.1-mini", base_url=server.openai_base_url, api_key=KEY)
    outcomes = []
    for model in (openai, make(server)):
        server.script([[tool_call("add", a=1, b=2)], "It is 3."])  # ids restart at call_1
        request = Request([Message.system("Be brief."), Message.user("add 1 and 2")], tools=[ADD])
        first = await model.generate(request)
        request.messages += [first.message, Message.tool(ToolResult(first.tool_calls[0].id, "3"))]
        events = [e async for e in model.stream(request)]
        final = events[-1]
        assert isinstance(final, ModelResponse)
        outcomes.append(
            (
                [(c.id, c.name, c.arguments) for c in first.tool_calls],
                first.finish_reason,
                [type(e).__name__ for e in events if not isinstance(e, TextDelta)],
                "".join(e.text for e in events if isinstance(e, TextDelta)),
                final.response.text,
                final.response.finish_reason,
            )
        )
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == [("call_1", "add", {"a": 1, "b": 2})]
    assert all(r.status == 200 for r in server.requests)

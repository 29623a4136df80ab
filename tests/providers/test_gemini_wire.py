"""The Gemini model over real HTTP against the fake provider server."""

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
    ContentFilterError,
    ContextLengthError,
    InvalidResponseError,
    NotFoundError,
    OverloadedError,
    PermissionDeniedError,
    RateLimitError,
    StreamInterruptedError,
)
from llmkit.events import ModelResponse, ReasoningDelta, TextDelta, ToolCallDelta
from llmkit.http import RetryPolicy
from llmkit.providers.gemini import GeminiModel
from llmkit.testing import FakeProviderServer, Fault, tool_call
from llmkit.types import ImagePart, OutputSchema, ReasoningPart, Response, TextPart, Usage

# Every test runs once per HTTP transport (the fixture sets LLMKIT_TRANSPORT).
pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("transport")]

KEY = "AIza-test-secret-0123456789"
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
    server: FakeProviderServer, model_id: str = "gemini-2.5-flash", **options: object
) -> GeminiModel:
    options.setdefault("retry", FAST_RETRY)
    return GeminiModel(model_id, base_url=server.gemini_base_url, api_key=KEY, **options)  # type: ignore[arg-type]


def ask(text: str = "hi", **fields: object) -> Request:
    return Request(messages=[Message.user(text)], **fields)  # type: ignore[arg-type]


async def test_generate_text_sends_the_expected_body_and_headers(
    server: FakeProviderServer,
) -> None:
    server.script(["Bonjour."])
    request = Request(
        [Message.system("Be brief."), Message.user("hi")],
        temperature=0.2,
        top_p=0.9,
        max_tokens=50,
        stop=["END"],
        seed=7,
    )
    response = await make(server).generate(request)
    assert response.text == "Bonjour."
    assert (response.finish_reason, response.raw_finish_reason) == ("stop", "STOP")
    assert response.usage.requests == 1 and response.usage.output_tokens > 0
    assert response.model == "gemini-2.5-flash" and response.request_id
    assert response.usage.cost is not None and response.usage.cost > 0
    (sent,) = server.requests
    assert sent.path == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert sent.query == ""  # the key never travels in the URL
    assert sent.headers["x-goog-api-key"] == KEY
    assert "authorization" not in sent.headers
    assert sent.json == {
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "generationConfig": {
            "temperature": 0.2,
            "topP": 0.9,
            "maxOutputTokens": 50,
            "stopSequences": ["END"],
            "seed": 7,
        },
    }


async def test_model_string_and_api_version(server: FakeProviderServer) -> None:
    server.script(["via v1"])
    model = llmkit.model(
        "gemini/gemini-2.5-flash", base_url=server.gemini_base_url, api_key=KEY, api_version="v1"
    )
    assert (await model.generate(ask())).text == "via v1"
    assert server.requests[0].path == "/v1/models/gemini-2.5-flash:generateContent"


async def test_stream_yields_deltas_then_the_response(server: FakeProviderServer) -> None:
    server.script(["Streaming is working fine today, in pieces of three words."])
    events = [e async for e in make(server).stream(ask())]
    assert isinstance(events[-1], ModelResponse)
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(deltas) == 4
    final = events[-1].response
    assert (
        "".join(deltas)
        == final.text
        == "Streaming is working fine today, in pieces of three words."
    )
    assert final.usage.output_tokens > 0 and final.usage.input_tokens > 0
    assert final.finish_reason == "stop"
    sent = server.requests[0]
    assert sent.path.endswith(":streamGenerateContent") and sent.query == "alt=sse"


async def test_stream_and_generate_agree(server: FakeProviderServer) -> None:
    reply = Response(
        Message(
            "assistant",
            [
                ReasoningPart("First I add. Then I answer.", provider_data={"gemini": {}}),
                TextPart("Calling the tool now."),
                ToolCall("", "add", {"a": 1, "b": 2}),
            ],
        ),
        Usage(10, 30, reasoning_tokens=12, requests=1),
    )
    server.script([reply, reply])
    model = make(server)
    plain = await model.generate(ask(tools=[ADD]))
    events = [e async for e in model.stream(ask(tools=[ADD]))]
    streamed = events[-1].response  # type: ignore[union-attr]
    assert plain.message.to_dict() == streamed.message.to_dict()
    assert plain.usage == streamed.usage
    assert plain.usage.reasoning_tokens == 12 and plain.usage.output_tokens == 30
    assert plain.reasoning == "First I add. Then I answer."
    assert plain.finish_reason == streamed.finish_reason == "tool_calls"
    assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == plain.reasoning
    (delta,) = [e for e in events if isinstance(e, ToolCallDelta)]
    assert (delta.index, delta.id, delta.name, json.loads(delta.arguments)) == (
        0,
        "call_1",
        "add",
        {"a": 1, "b": 2},
    )


async def test_tool_round_trip_with_two_parallel_calls_on_gemini_3(
    server: FakeProviderServer,
) -> None:
    server.script([[tool_call("add", a=1, b=2), tool_call("add", a=3, b=4)], "3 and 7."])
    model = make(server, "gemini-3-pro-preview")
    request = ask("add twice", tools=[ADD])
    first = await model.generate(request)
    assert first.finish_reason == "tool_calls"
    calls = first.tool_calls
    assert [c.arguments for c in calls] == [{"a": 1, "b": 2}, {"a": 3, "b": 4}]
    assert [c.id for c in calls] == ["call_1", "call_2"]  # the API gave none
    signature = calls[0].provider_data["gemini"]["thought_signature"]  # type: ignore[index]
    assert signature and calls[1].provider_data is None
    # Results in the opposite order still go back in the order of the calls.
    results = [ToolResult(c.id, str(c.arguments["a"] + c.arguments["b"])) for c in reversed(calls)]
    request.messages += [first.message, Message.tool(*results)]
    second = await model.generate(request)
    assert second.text == "3 and 7."
    contents = server.requests[1].json["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    assert contents[1]["parts"][0]["thoughtSignature"] == signature
    assert "thoughtSignature" not in contents[1]["parts"][1]
    assert [p["functionResponse"] for p in contents[2]["parts"]] == [
        {"name": "add", "response": {"result": "3"}},
        {"name": "add", "response": {"result": "7"}},
    ]


async def test_call_ids_from_the_api_are_sent_back(server: FakeProviderServer) -> None:
    server.script([[ToolCall("fc-77", "add", {"a": 1, "b": 1})], "2."])
    model = make(server)
    request = ask("add", tools=[ADD], tool_choice="add")
    first = await model.generate(request)
    (call,) = first.tool_calls
    assert call.id == "fc-77"
    request.messages += [first.message, Message.tool(ToolResult(call.id, "2", is_error=False))]
    assert (await model.generate(request)).text == "2."
    wire = server.requests[1].json
    assert wire["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["add"]}
    }
    assert wire["contents"][1]["parts"][0]["functionCall"]["id"] == "fc-77"
    assert wire["contents"][2]["parts"][0]["functionResponse"]["id"] == "fc-77"


async def test_history_from_another_provider_continues_on_gemini_3(
    server: FakeProviderServer,
) -> None:
    server.script([tool_call("add", a=2, b=2), "It is 4."])
    openai = llmkit.model("openai/gpt-4.1-mini", base_url=server.openai_base_url, api_key="sk-x")
    request = ask("2+2?", tools=[ADD])
    first = await openai.generate(request)
    request.messages += [first.message, Message.tool(ToolResult(first.tool_calls[0].id, "4"))]
    answer = await make(server, "gemini-3-flash-preview").generate(request)
    assert answer.text == "It is 4."
    model_turn = server.requests[1].json["contents"][1]
    assert model_turn["parts"][0]["thoughtSignature"] == "skip_thought_signature_validator"


async def test_a_forged_signature_is_rejected_and_nothing_is_lost(
    server: FakeProviderServer,
) -> None:
    forged = ToolCall(
        "c1", "add", {"a": 1}, provider_data={"gemini": {"thought_signature": "Zm9yZ2Vk"}}
    )
    messages = [
        Message.user("add"),
        Message.assistant(tool_calls=[forged]),
        Message.tool(ToolResult("c1", "1")),
    ]
    request = Request(list(messages), tools=[ADD])
    with pytest.raises(BadRequestError, match="Corrupted thought signature"):
        await make(server, "gemini-3-pro-preview").generate(request)
    assert request.messages == messages


async def test_structured_output_with_native_json_schema(server: FakeProviderServer) -> None:
    server.script(['{"total": 12.5, "currency": "EUR"}'])
    schema = {
        "type": "object",
        "properties": {"total": {"type": "number"}, "currency": {"type": ["string", "null"]}},
        "required": ["total", "currency"],
        "additionalProperties": False,
    }
    response = await make(server).generate(ask("invoice", output_schema=OutputSchema(schema)))
    assert json.loads(response.text) == {"total": 12.5, "currency": "EUR"}
    config = server.requests[0].json["generationConfig"]
    assert config == {"responseMimeType": "application/json", "responseJsonSchema": schema}


async def test_structured_output_rewritten_for_openapi_models(server: FakeProviderServer) -> None:
    server.script(lambda request: json.dumps({"name": "x", "home": {"city": "Paris"}}))
    schema = {
        "$defs": {"Address": {"type": "object", "properties": {"city": {"type": "string"}}}},
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "home": {"anyOf": [{"$ref": "#/$defs/Address"}, {"type": "null"}]},
        },
        "required": ["name"],
        "additionalProperties": False,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing is lost: no warning
        response = await make(server, "gemini-2.0-flash").generate(
            ask("who?", output_schema=OutputSchema(schema))
        )
    assert json.loads(response.text)["home"] == {"city": "Paris"}
    sent = server.requests[0].json["generationConfig"]["responseSchema"]
    assert sent == {
        "type": "OBJECT",
        "properties": {
            "name": {"type": "STRING"},
            "home": {
                "type": "OBJECT",
                "properties": {"city": {"type": "STRING"}},
                "propertyOrdering": ["city"],
                "nullable": True,
            },
        },
        "propertyOrdering": ["name", "home"],
        "required": ["name"],
    }


async def test_tools_are_rewritten_for_openapi_models(server: FakeProviderServer) -> None:
    ping = ToolSpec("ping", "No arguments.")
    server.script([tool_call("add", a=1, b=2)])
    response = await make(server, "gemini-2.0-flash").generate(ask(tools=[ADD, ping]))
    assert response.tool_calls[0].arguments == {"a": 1, "b": 2}
    declarations = server.requests[0].json["tools"][0]["functionDeclarations"]
    assert declarations[0]["parameters"]["properties"]["a"] == {"type": "INTEGER"}
    assert declarations[1] == {"name": "ping", "description": "No arguments."}


async def test_images_inline_and_by_url(server: FakeProviderServer) -> None:
    server.script(["A red dot and a cat."])
    request = Request(
        [
            Message.user(
                "What is this?",
                ImagePart(data=b"\x89PNG", media_type="image/png"),
                ImagePart(url="https://example.com/cat.jpg"),
            )
        ]
    )
    assert (await make(server).generate(request)).text == "A red dot and a cat."
    parts = server.requests[0].json["contents"][0]["parts"]
    assert parts[1] == {"inlineData": {"mimeType": "image/png", "data": "iVBORw=="}}
    assert parts[2] == {
        "fileData": {"fileUri": "https://example.com/cat.jpg", "mimeType": "image/jpeg"}
    }


async def test_thinking_config_and_thoughts(server: FakeProviderServer) -> None:
    server.script(
        [
            Response(
                Message.assistant("42", reasoning=[ReasoningPart("Let me think.")]),
                Usage(5, 9, reasoning_tokens=4, requests=1),
            )
        ]
    )
    response = await make(server).generate(ask(reasoning=Reasoning(effort="low")))
    assert response.reasoning == "Let me think." and response.text == "42"
    assert response.message.parts[0].provider_data == {"gemini": {}}
    thinking = server.requests[0].json["generationConfig"]["thinkingConfig"]
    assert thinking == {"thinkingBudget": 1024, "includeThoughts": True}


@pytest.mark.parametrize(
    ("fault", "error", "words"),
    [
        (
            Fault.status(400, "Request contains an invalid argument."),
            BadRequestError,
            ["400", "INVALID_ARGUMENT"],
        ),
        (
            Fault.status(
                400, "API key not valid. Please pass a valid API key.", code_str="API_KEY_INVALID"
            ),
            AuthenticationError,
            ["GEMINI_API_KEY"],
        ),
        (Fault.status(403), PermissionDeniedError, ["403", "PERMISSION_DENIED"]),
        (Fault.status(401), AuthenticationError, ["401", "UNAUTHENTICATED", "GEMINI_API_KEY"]),
        (Fault.status(404), NotFoundError, ["404", "NOT_FOUND"]),
        (
            Fault.context_length(),
            ContextLengthError,
            ["exceeds the maximum number of tokens", "Shorten"],
        ),
    ],
)
async def test_error_statuses_map_to_the_error_tree(
    server: FakeProviderServer, fault: Fault, error: type[Exception], words: list[str]
) -> None:
    server.script([fault])
    with pytest.raises(error) as caught:
        await make(server).generate(ask())
    for word in words:
        assert word in str(caught.value)
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
    assert "API_KEY_INVALID" in str(err) and "GEMINI_API_KEY" in str(err)


async def test_no_key_is_permission_denied_with_a_hint(server: FakeProviderServer) -> None:
    model = GeminiModel("gemini-2.5-flash", base_url=server.gemini_base_url, retry=FAST_RETRY)
    with pytest.raises(PermissionDeniedError, match="unregistered callers.*GEMINI_API_KEY"):
        await model.generate(ask())


async def test_unknown_model_is_not_found_with_a_hint() -> None:
    with (
        FakeProviderServer(models={"gemini-2.5-flash"}) as server,
        pytest.raises(NotFoundError, match="Check the model name 'gemini-nope'"),
    ):
        await make(server, "gemini-nope").generate(ask())


async def test_rate_limit_is_retried_honouring_retry_info(server: FakeProviderServer) -> None:
    server.script(
        [Fault.status(429, retry_after=0), Fault.status(429, retry_after_ms=10), "finally"]
    )
    assert (await make(server).generate(ask())).text == "finally"
    assert len(server.requests) == 3


async def test_rate_limit_after_the_last_retry_keeps_retry_after(
    server: FakeProviderServer,
) -> None:
    server.script([Fault.status(429, retry_after=0)] * 3)
    with pytest.raises(RateLimitError) as caught:
        await make(server).generate(ask())
    assert caught.value.retry_after == 0.0 and caught.value.error_type == "RESOURCE_EXHAUSTED"


async def test_unavailable_is_retried_then_raised(server: FakeProviderServer) -> None:
    server.script([Fault.status(500), Fault.status(503), Fault.status(503)])
    with pytest.raises(OverloadedError, match="UNAVAILABLE"):
        await make(server).generate(ask())
    assert len(server.requests) == 3
    server.reset()
    server.script([Fault.status(503), "recovered"])
    assert (await make(server).generate(ask())).text == "recovered"


async def test_blocked_prompt_is_a_content_filter_error(server: FakeProviderServer) -> None:
    blocked = ContentFilterError("blocked", code="PROHIBITED_CONTENT")
    server.script([blocked, blocked])
    model = make(server)
    with pytest.raises(ContentFilterError, match="PROHIBITED_CONTENT"):
        await model.generate(ask())
    with pytest.raises(ContentFilterError, match="blocked the prompt"):
        [e async for e in model.stream(ask())]
    assert len(server.requests) == 2  # not retried


async def test_blocked_answer_is_a_content_filter_error(server: FakeProviderServer) -> None:
    server.script(
        [
            Response(
                Message("assistant", []),
                finish_reason="content_filter",
                raw_finish_reason="RECITATION",
            )
        ]
    )
    with pytest.raises(ContentFilterError, match="RECITATION"):
        await make(server).generate(ask())


async def test_malformed_json_answer_is_an_invalid_response(server: FakeProviderServer) -> None:
    server.script([Fault.malformed_json(), Fault.malformed_json()])
    model = make(server)
    with pytest.raises(InvalidResponseError, match="not JSON"):
        await model.generate(ask())
    with pytest.raises(InvalidResponseError, match="not JSON"):
        [e async for e in model.stream(ask())]


async def test_stream_cut_before_the_finish_keeps_what_arrived(server: FakeProviderServer) -> None:
    server.script([Fault.drop(after_events=2, turn="one two three four five six seven eight nine")])
    received = []
    with pytest.raises(StreamInterruptedError) as caught:
        async for event in make(server).stream(ask()):
            received.append(event)
    text = "".join(e.text for e in received if isinstance(e, TextDelta))
    assert text == "one two three four five six "
    assert caught.value.partial.text == text


async def test_embeddings_are_batched_by_100(server: FakeProviderServer) -> None:
    texts = [f"text {i}" for i in range(250)]
    vectors = await make(server, "gemini-embedding-001").embed(texts, dimensions=16)
    assert len(vectors) == 250 and all(len(v) == 16 for v in vectors)
    assert vectors[3] != vectors[4]
    assert [len(r.json["requests"]) for r in server.requests] == [100, 100, 50]
    first = server.requests[0]
    assert first.path == "/v1beta/models/gemini-embedding-001:batchEmbedContents"
    assert first.json["requests"][0] == {
        "model": "models/gemini-embedding-001",
        "content": {"parts": [{"text": "text 0"}]},
        "outputDimensionality": 16,
    }
    assert vectors.usage.requests == 3


async def test_embedding_with_a_chat_model_is_not_found(server: FakeProviderServer) -> None:
    with pytest.raises(NotFoundError, match="not supported for batchEmbedContents"):
        await make(server).embed(["x"])


def test_sync_twins(server: FakeProviderServer) -> None:
    server.script(["sync answer", "streamed sync answer"])
    model = make(server)
    assert model.generate_sync(ask()).text == "sync answer"
    events = list(model.stream_sync(ask()))
    assert events[-1].response.text == "streamed sync answer"  # type: ignore[union-attr]


async def test_switching_from_openai_changes_nothing_else(server: FakeProviderServer) -> None:
    script = [[tool_call("add", a=1, b=2), tool_call("add", a=3, b=4)], "3 and 7."]
    outcomes = []
    for model in (
        llmkit.model("openai/gpt-4.1-mini", base_url=server.openai_base_url, api_key="sk-x"),
        make(server, "gemini-3-flash-preview"),
    ):
        server.script(list(script))
        request = ask("add twice", tools=[ADD])
        events = [e async for e in model.stream(request)]
        first = events[-1].response  # type: ignore[union-attr]
        results = [ToolResult(c.id, str(sum(c.arguments.values()))) for c in first.tool_calls]
        request.messages += [first.message, Message.tool(*results)]
        second = await model.generate(request)
        outcomes.append(
            (
                # Deltas may come in more or fewer pieces; their kinds and the end are the same.
                sorted({type(e).__name__ for e in events[:-1]}),
                type(events[-1]).__name__,
                [(c.name, c.arguments) for c in first.tool_calls],
                first.finish_reason,
                second.text,
                second.finish_reason,
            )
        )
    assert outcomes[0] == outcomes[1]

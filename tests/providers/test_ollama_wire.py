"""The Ollama model over real HTTP against the fake provider server."""

from __future__ import annotations

import asyncio
import json
import socket
import traceback

import pytest

import llmkit
from llmkit import Message, Reasoning, Request, ToolCall, ToolResult, ToolSpec
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
from llmkit.events import ModelResponse, ReasoningDelta, TextDelta, ToolCallDelta
from llmkit.http import RetryPolicy, Timeouts
from llmkit.providers.ollama import OllamaModel
from llmkit.testing import FakeProviderServer, Fault, tool_call
from llmkit.types import ImagePart, OutputSchema, ReasoningPart, Response

# Every test runs once per HTTP transport (the fixture sets LLMKIT_TRANSPORT).
pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("transport")]

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
PNG = b"\x89PNG\r\n\x1a\n fake image"


@pytest.fixture
def server(llmkit_fake_server: FakeProviderServer) -> FakeProviderServer:
    return llmkit_fake_server


def make(server: FakeProviderServer, model_id: str = "llama3.2", **options: object) -> OllamaModel:
    options.setdefault("retry", FAST_RETRY)
    return OllamaModel(model_id, base_url=server.ollama_base_url, **options)  # type: ignore[arg-type]


def ask(text: str = "hi", **fields: object) -> Request:
    return Request(messages=[Message.user(text)], **fields)  # type: ignore[arg-type]


async def collect(model: OllamaModel, request: Request) -> list[object]:
    return [event async for event in model.stream(request)]


# ------------------------------------------------------------------ answers


async def test_generate_sends_the_native_body_and_reads_the_answer(
    server: FakeProviderServer,
) -> None:
    server.script(["Hello there."])
    request = Request(
        [Message.system("Be brief."), Message.user("hi")],
        temperature=0.2,
        top_p=0.9,
        max_tokens=50,
        stop=["END"],
        seed=7,
        extra={"options": {"num_ctx": 8192}},
    )
    response = await make(server, keep_alive="10m").generate(request)
    assert response.text == "Hello there."
    assert response.finish_reason == "stop" and response.raw_finish_reason == "stop"
    assert response.model == "llama3.2"
    assert response.usage.requests == 1
    assert response.usage.input_tokens > 0 and response.usage.output_tokens > 0
    assert response.provider_data is not None
    assert response.provider_data["ollama"]["eval_duration"] > 0
    (sent,) = server.requests
    assert (sent.method, sent.path) == ("POST", "/api/chat")
    assert sent.json == {
        "model": "llama3.2",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "hi"},
        ],
        "stream": False,
        "options": {
            "temperature": 0.2,
            "top_p": 0.9,
            "num_predict": 50,
            "stop": ["END"],
            "seed": 7,
            "num_ctx": 8192,
        },
        "keep_alive": "10m",
    }
    assert "authorization" not in sent.headers
    assert sent.headers["user-agent"].startswith("llmkit/")


async def test_stream_yields_deltas_then_the_same_response(server: FakeProviderServer) -> None:
    server.script(["Streaming is working fine today.", "Streaming is working fine today."])
    model = make(server)
    events = await collect(model, ask())
    assert isinstance(events[-1], ModelResponse)
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text == "Streaming is working fine today." == events[-1].response.text
    assert sum(isinstance(e, TextDelta) for e in events) > 1
    assert server.requests[0].json["stream"] is True
    whole = await model.generate(ask())
    streamed = events[-1].response
    assert (streamed.text, streamed.finish_reason, streamed.usage) == (
        whole.text,
        whole.finish_reason,
        whole.usage,
    )


async def test_model_string_resolves_to_ollama(server: FakeProviderServer) -> None:
    server.script(["via llmkit.model"])
    model = llmkit.model("ollama/qwen3:8b", base_url=server.ollama_base_url)
    assert isinstance(model, OllamaModel) and model.name == "ollama/qwen3:8b"
    assert (await model.generate(ask())).text == "via llmkit.model"
    assert server.requests[0].json["model"] == "qwen3:8b"


async def test_ollama_host_variable_is_read_like_the_cli(
    server: FakeProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = server.url.rsplit(":", 1)[1]
    monkeypatch.setenv("OLLAMA_HOST", f"0.0.0.0:{port}")
    server.script(["found through OLLAMA_HOST"])
    model = llmkit.model("ollama/llama3.2", retry=FAST_RETRY)
    assert model.base_url == f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
    assert (await model.generate(ask())).text == "found through OLLAMA_HOST"


async def test_empty_messages_answer_load(server: FakeProviderServer) -> None:
    server.script(["never used"])
    response = await make(server).generate(Request(messages=[]))
    assert response.text == "" and response.tool_calls == []
    assert (response.finish_reason, response.raw_finish_reason) == ("stop", "load")
    (event,) = await collect(make(server), Request(messages=[]))
    assert isinstance(event, ModelResponse) and event.response.raw_finish_reason == "load"


def test_sync_twins(server: FakeProviderServer) -> None:
    server.script(["sync answer", "streamed sync answer"])
    model = make(server)
    assert model.generate_sync(ask()).text == "sync answer"
    events = list(model.stream_sync(ask()))
    assert isinstance(events[-1], ModelResponse)
    assert events[-1].response.text == "streamed sync answer"


async def test_many_concurrent_calls(server: FakeProviderServer) -> None:
    server.script(lambda request: "ok")
    model = make(server)
    responses = await asyncio.gather(*(model.generate(ask()) for _ in range(100)))
    assert all(r.text == "ok" for r in responses)


# -------------------------------------------------------------------- tools


async def test_tool_round_trip_with_two_parallel_calls(server: FakeProviderServer) -> None:
    server.script([[tool_call("add", a=1, b=2), tool_call("add", a=3, b=4)], "3 and 7."])
    model = make(server)
    request = ask("add twice", tools=[ADD])
    first = await model.generate(request)
    assert first.finish_reason == "tool_calls" and first.raw_finish_reason == "stop"
    assert [c.arguments for c in first.tool_calls] == [{"a": 1, "b": 2}, {"a": 3, "b": 4}]
    assert [c.id for c in first.tool_calls] == ["call_1", "call_2"]
    results = [ToolResult(c.id, str(c.arguments["a"] + c.arguments["b"])) for c in first.tool_calls]
    request.messages += [first.message, Message.tool(*results)]
    second = await model.generate(request)
    assert second.text == "3 and 7."
    wire = server.requests[1].json
    assert wire["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "add",
                "parameters": ADD.parameters,
                "description": ADD.description,
            },
        }
    ]
    assert wire["messages"][1] == {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "id": "call_1",
                "function": {"index": 0, "name": "add", "arguments": {"a": 1, "b": 2}},
            },
            {
                "id": "call_2",
                "function": {"index": 1, "name": "add", "arguments": {"a": 3, "b": 4}},
            },
        ],
    }
    # Ollama matches results by tool name; the codec finds it from the call id.
    assert wire["messages"][2:] == [
        {"role": "tool", "content": "3", "tool_name": "add", "tool_call_id": "call_1"},
        {"role": "tool", "content": "7", "tool_name": "add", "tool_call_id": "call_2"},
    ]


async def test_streamed_tool_calls_arrive_whole_after_an_empty_chunk(
    server: FakeProviderServer,
) -> None:
    server.script([[tool_call("add", a=10, b=20), tool_call("add", a=1, b=1)]])
    events = await collect(make(server), ask("x", tools=[ADD]))
    deltas = [e for e in events if isinstance(e, ToolCallDelta)]
    # One delta per call, with the whole argument object as JSON text.
    assert [(d.index, d.id, d.name, json.loads(d.arguments)) for d in deltas] == [
        (0, "call_1", "add", {"a": 10, "b": 20}),
        (1, "call_2", "add", {"a": 1, "b": 1}),
    ]
    final = events[-1].response  # type: ignore[attr-defined]
    assert [c.arguments for c in final.tool_calls] == [{"a": 10, "b": 20}, {"a": 1, "b": 1}]
    assert final.finish_reason == "tool_calls"


async def test_tool_calls_without_ids_get_stable_ids_by_position(
    server: FakeProviderServer,
) -> None:
    calls = [ToolCall("", "add", {"a": 1, "b": 2}), ToolCall("", "add", {"a": 3, "b": 4})]
    turn = Response(Message("assistant", list(calls)), finish_reason="tool_calls")
    server.script([turn, turn])
    model = make(server)
    whole = await model.generate(ask(tools=[ADD]))
    streamed = (await collect(model, ask(tools=[ADD])))[-1].response  # type: ignore[attr-defined]
    assert [c.id for c in whole.tool_calls] == ["call_0", "call_1"]
    assert [c.id for c in streamed.tool_calls] == ["call_0", "call_1"]


async def test_tool_choice_none_offers_no_tools(server: FakeProviderServer) -> None:
    server.script(["no tools here"])
    await make(server).generate(ask(tools=[ADD], tool_choice="none"))
    assert "tools" not in server.requests[0].json


async def test_tools_on_a_model_without_them_name_the_missing_capability(
    server: FakeProviderServer,
) -> None:
    server.script(["never used"])
    request = ask(tools=[ADD])
    with pytest.raises(BadRequestError) as caught:
        await make(server, "llama2").generate(request)
    message = str(caught.value)
    assert "registry.ollama.ai/library/llama2:latest does not support tools" in message
    assert "without tools" in message
    assert caught.value.status == 400
    assert request.tools == [ADD] and len(request.messages) == 1  # nothing lost
    assert len(server.requests) == 1  # a 400 is never retried


async def test_capabilities_set_by_a_test_apply(server: FakeProviderServer) -> None:
    server.ollama_capabilities.set("llama3.2", "completion")
    server.script(["never used"])
    with pytest.raises(BadRequestError, match="does not support tools"):
        await make(server).generate(ask(tools=[ADD]))


# ----------------------------------------------------- output, images, thinking


async def test_structured_output_is_sent_as_format(server: FakeProviderServer) -> None:
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
    assert server.requests[0].json["format"] == schema


async def test_images_travel_as_base64(server: FakeProviderServer) -> None:
    seen: list[Request] = []

    def answer(request: Request) -> str:
        seen.append(request)
        return "A red dot."

    server.script(answer)
    request = Request([Message.user("What is this?", ImagePart(data=PNG, media_type="image/png"))])
    assert (await make(server, "llava").generate(request)).text == "A red dot."
    (wire,) = server.requests[0].json["messages"]
    assert wire["content"] == "What is this?"
    assert len(wire["images"]) == 1
    (image,) = [p for p in seen[0].messages[0].parts if isinstance(p, ImagePart)]
    assert image.data == PNG and image.media_type == "image/png"


async def test_image_urls_are_refused_before_sending(server: FakeProviderServer) -> None:
    request = Request([Message.user("What is this?", ImagePart(url="https://example.com/a.png"))])
    with pytest.raises(llmkit.UsageError) as caught:
        await make(server).generate(request)
    assert type(caught.value) is llmkit.UsageError
    assert "ImagePart(data=" in str(caught.value)
    assert server.requests == []
    assert len(request.messages[0].parts) == 2


async def test_thinking_comes_back_and_goes_back_as_thinking(server: FakeProviderServer) -> None:
    answer = Message.assistant("42.", reasoning=[ReasoningPart("Six times seven.")])
    server.script([Response(answer), Response(answer), "ok"])
    model = make(server, "qwen3:8b")
    first = await model.generate(ask("6*7?", reasoning=Reasoning("high")))
    assert server.requests[0].json["think"] is True
    assert first.reasoning == "Six times seven." and first.text == "42."
    (part,) = [p for p in first.message.parts if isinstance(p, ReasoningPart)]
    assert part.provider_data == {"ollama": {}}
    events = await collect(model, ask("6*7?", reasoning=Reasoning("none")))
    assert server.requests[1].json["think"] is False
    thought = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    assert thought == "Six times seven."
    request = ask("6*7?")
    request.messages += [first.message, Message.user("and 6*8?")]
    await model.generate(request)
    assert server.requests[2].json["messages"][1] == {
        "role": "assistant",
        "content": "42.",
        "thinking": "Six times seven.",
    }


async def test_think_levels_for_models_that_take_them(server: FakeProviderServer) -> None:
    server.script(["ok", "ok"])
    await make(server, "gpt-oss:20b").generate(ask(reasoning=Reasoning("low")))
    await make(server, "gpt-oss:20b").generate(ask(reasoning=Reasoning(budget_tokens=20_000)))
    assert [r.json["think"] for r in server.requests] == ["low", "high"]


async def test_thinking_on_a_model_without_it_names_the_missing_capability(
    server: FakeProviderServer,
) -> None:
    with pytest.raises(BadRequestError) as caught:
        await make(server).generate(ask(reasoning=Reasoning("medium")))
    assert '"llama3.2" does not support thinking' in str(caught.value)
    assert "Request.reasoning" in str(caught.value)


# ------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("fault", "error", "words"),
    [
        (Fault.status(400), BadRequestError, ["400", "invalid request"]),
        (Fault.status(401), AuthenticationError, ["401", "OLLAMA_API_KEY"]),
        (Fault.status(403), PermissionDeniedError, ["403"]),
        (Fault.status(404), NotFoundError, ["model 'llama3.2' not found", "ollama pull llama3.2"]),
        (Fault.context_length(), ContextLengthError, ["context length", "num_ctx"]),
    ],
)
async def test_error_statuses_map_to_the_error_tree(
    server: FakeProviderServer, fault: Fault, error: type[Exception], words: list[str]
) -> None:
    server.script([fault])
    with pytest.raises(error) as caught:
        await make(server).generate(ask())
    assert type(caught.value) is error
    for word in words:
        assert word in str(caught.value)
    assert len(server.requests) == 1  # never retried


async def test_unknown_model_says_to_pull_it() -> None:
    with FakeProviderServer(models={"llama3.2"}) as server:
        with pytest.raises(NotFoundError) as caught:
            await make(server, "mistral").generate(ask())
        assert "model 'mistral' not found" in str(caught.value)
        assert "`ollama pull mistral`" in str(caught.value)
        with pytest.raises(NotFoundError, match="ollama pull nomic-embed-text"):
            await make(server, "nomic-embed-text").embed(["x"])


async def test_rate_limits_and_server_errors_are_retried(server: FakeProviderServer) -> None:
    server.script([Fault.status(429, retry_after=0), Fault.status(500), "finally"])
    assert (await make(server).generate(ask())).text == "finally"
    assert [r.status for r in server.requests] == [429, 500, 200]


async def test_errors_after_the_last_retry_are_raised(server: FakeProviderServer) -> None:
    server.script([Fault.status(429, retry_after=0)] * 3 + [Fault.status(503)] * 3)
    with pytest.raises(RateLimitError) as limited:
        await make(server).generate(ask())
    assert limited.value.retry_after == 0.0
    with pytest.raises(OverloadedError, match="server busy"):
        await make(server).generate(ask())
    assert len(server.requests) == 6


async def test_a_failure_part_way_is_raised_after_the_partial_content(
    server: FakeProviderServer,
) -> None:
    broken = Response(
        Message.assistant("The first words arrive"),
        provider_data={"ollama": {"error": "an error was encountered while running the model"}},
    )
    server.script([broken, broken])
    received: list[object] = []
    with pytest.raises(ServerError) as caught:
        async for event in make(server).stream(ask()):
            received.append(event)
    assert "".join(e.text for e in received if isinstance(e, TextDelta)) == "The first words arrive"
    assert "while running the model" in str(caught.value)
    assert not any(isinstance(e, ModelResponse) for e in received)
    with pytest.raises(ServerError):
        await make(server, retry=RetryPolicy(max_retries=0)).generate(ask())


@pytest.mark.parametrize("mid_event", [False, True])
async def test_stream_cut_mid_way_keeps_what_arrived(
    server: FakeProviderServer, mid_event: bool
) -> None:
    server.script(
        [Fault.drop(after_events=3, mid_event=mid_event, turn="one two three four five six seven")]
    )
    received: list[object] = []
    with pytest.raises(StreamInterruptedError) as caught:
        async for event in make(server).stream(ask()):
            received.append(event)
    text = "".join(e.text for e in received if isinstance(e, TextDelta))
    assert text == "one two thre"
    assert caught.value.partial.text == text
    assert caught.value.partial.finish_reason == "error"


async def test_stream_ending_without_done_is_interrupted(server: FakeProviderServer) -> None:
    cut = Response(Message.assistant("Half an answer"), provider_data={"ollama": {"done": False}})
    server.script([cut, StreamInterruptedError])
    received: list[object] = []
    with pytest.raises(StreamInterruptedError, match="'done': true") as caught:
        async for event in make(server).stream(ask()):
            received.append(event)
    assert "".join(e.text for e in received if isinstance(e, TextDelta)) == "Half an answer"
    assert caught.value.partial.text == "Half an answer"
    with pytest.raises(StreamInterruptedError, match="broke off"):
        await collect(make(server), ask())


async def test_dropped_connection_without_response_is_retried(server: FakeProviderServer) -> None:
    server.script([Fault.drop(), "second try"])
    assert (await make(server).generate(ask())).text == "second try"


async def test_malformed_and_html_answers_are_invalid_responses(
    server: FakeProviderServer,
) -> None:
    server.script([Fault.malformed_json(), Fault.malformed_json(), Fault.html(), Fault.html()])
    model = make(server)
    with pytest.raises(InvalidResponseError, match="not JSON"):
        await model.generate(ask())
    with pytest.raises(InvalidResponseError, match="not valid JSON"):
        await collect(model, ask())
    with pytest.raises(InvalidResponseError, match="HTML"):
        await model.generate(ask())
    with pytest.raises(InvalidResponseError, match="HTML page instead of JSON"):
        await collect(model, ask())


async def test_connection_refused_says_to_start_ollama() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    model = OllamaModel("llama3.2", base_url=f"127.0.0.1:{port}", retry=FAST_RETRY)
    for call in (model.generate(ask()), collect(model, ask()), model.embed(["x"])):
        with pytest.raises(ProviderConnectionError) as caught:
            await call
        assert type(caught.value) is ProviderConnectionError
        assert "`ollama serve`" in str(caught.value) and "OLLAMA_HOST" in str(caught.value)
        assert f"http://127.0.0.1:{port}" in str(caught.value)
    with pytest.raises(ProviderConnectionError, match="ollama serve"):
        await OllamaModel.list_models(f"127.0.0.1:{port}")


async def test_slow_first_byte_hits_the_timeout(server: FakeProviderServer) -> None:
    server.script([Fault.slow(30.0)])
    model = make(server, timeout=Timeouts(read=0.2), retry=RetryPolicy(max_retries=0))
    with pytest.raises(ProviderTimeoutError, match="read timeout"):
        await model.generate(ask())


async def test_hosted_ollama_key_is_sent_and_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    key = "ollama-secret-key-0123456789"
    with FakeProviderServer(["with the key"], api_key=key) as server:
        monkeypatch.setenv("OLLAMA_API_KEY", key)
        assert (await make(server).generate(ask())).text == "with the key"
        assert server.requests[0].headers["authorization"] == f"Bearer {key}"
        monkeypatch.setenv("OLLAMA_API_KEY", key[::-1])
        with pytest.raises(AuthenticationError) as caught:
            await make(server).generate(ask())
    err = caught.value
    rendered = "".join(traceback.format_exception(err)) + repr(err) + (err.body or "")
    assert key[::-1] not in rendered and key not in rendered
    assert "OLLAMA_API_KEY" in str(err)


# --------------------------------------------------------- embeddings, models


async def test_embeddings(server: FakeProviderServer) -> None:
    model = make(server, "nomic-embed-text", keep_alive=0, truncate=False)
    vectors = await model.embed(["a", "b", "c"], dimensions=4)
    assert len(vectors) == 3 and all(len(v) == 4 and isinstance(v[0], float) for v in vectors)
    assert vectors[0] != vectors[1]
    assert vectors.usage.input_tokens == 3 and vectors.usage.requests == 1
    assert vectors.model == "nomic-embed-text"
    assert server.requests[0].path == "/api/embed"
    assert server.requests[0].json == {
        "model": "nomic-embed-text",
        "input": ["a", "b", "c"],
        "dimensions": 4,
        "truncate": False,
        "keep_alive": 0,
    }
    assert model.embed_sync(["a"], dimensions=4)[0] == vectors[0]
    with pytest.raises(llmkit.UsageError, match="list of texts"):
        await model.embed("a")


async def test_chat_with_an_embedding_model_says_to_embed(server: FakeProviderServer) -> None:
    with pytest.raises(BadRequestError, match="does not support chat.*embed"):
        await make(server, "nomic-embed-text").generate(ask())


async def test_list_models(server: FakeProviderServer) -> None:
    names = await OllamaModel.list_models(server.ollama_base_url)
    assert names == [
        "llama3.2:latest",
        "qwen3:8b",
        "gpt-oss:20b",
        "llava:latest",
        "nomic-embed-text:latest",
    ]
    assert OllamaModel.list_models_sync(server.ollama_base_url) == names
    assert [(r.method, r.path) for r in server.requests] == [("GET", "/api/tags")] * 2
    with FakeProviderServer(models={"mistral", "qwen3:8b"}) as other:
        assert await OllamaModel.list_models(other.ollama_base_url) == [
            "mistral:latest",
            "qwen3:8b",
        ]


async def test_keep_alive_must_be_a_duration() -> None:
    with pytest.raises(llmkit.UsageError, match="keep_alive"):
        OllamaModel("llama3.2", keep_alive=True)


async def test_a_broken_argument_text_is_sent_as_an_empty_object(
    server: FakeProviderServer,
) -> None:
    server.script(["ok"])
    broken = ToolCall("call_9", "add", {}, '{"a": 1,', "arguments are not valid JSON")
    request = ask("x", tools=[ADD])
    request.messages += [
        Message.assistant(tool_calls=[broken]),
        Message.tool(ToolResult("call_9", "bad arguments", is_error=True)),
    ]
    await make(server).generate(request)
    calls = server.requests[0].json["messages"][1]["tool_calls"]
    assert calls == [{"id": "call_9", "function": {"index": 0, "name": "add", "arguments": {}}}]
    assert request.messages[1].parts == [broken]
    assert isinstance(request.messages[2].parts[0], ToolResult)


async def test_the_same_script_gives_the_same_outcome_as_openai(
    server: FakeProviderServer,
) -> None:
    from llmkit.providers.openai import OpenAIModel

    turns = [[tool_call("add", a=1, b=2), tool_call("add", a=3, b=4)], "3 and 7."]
    outcomes = []
    for model in (
        make(server),
        OpenAIModel("gpt-4.1-mini", base_url=server.openai_base_url, api_key="sk-test"),
    ):
        server.script(turns * 2)
        request = ask("add twice", tools=[ADD])
        first = await model.generate(request)
        streamed = (await collect(model, ask("add twice", tools=[ADD])))[-1].response  # type: ignore[attr-defined]
        results = [ToolResult(c.id, "x") for c in first.tool_calls]
        request.messages += [first.message, Message.tool(*results)]
        second = await model.generate(request)
        outcomes.append(
            [
                (r.message.parts, r.finish_reason, r.usage.input_tokens, r.usage.output_tokens)
                for r in (first, streamed, second)
            ]
        )
    ollama, openai = outcomes
    assert ollama == openai

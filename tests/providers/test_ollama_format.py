"""The Ollama wire format without a socket: encode, decode, errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmkit.errors import (
    BadRequestError,
    ContextLengthError,
    InvalidResponseError,
    NotFoundError,
    ServerError,
    UsageError,
)
from llmkit.events import ReasoningDelta, TextDelta, ToolCallDelta
from llmkit.providers.ollama import decode, ollama_capabilities
from llmkit.providers.ollama.encode import encode_embeddings, encode_request
from llmkit.providers.ollama.errors import OllamaErrors, error_from_message
from llmkit.types import (
    AudioPart,
    DocumentPart,
    ImagePart,
    Message,
    OutputSchema,
    Reasoning,
    ReasoningPart,
    Request,
    ToolCall,
    ToolResult,
    ToolSpec,
)

CHAT = ollama_capabilities("llama3.2")
ADD = ToolSpec("add", "Add two integers.", {"type": "object", "properties": {}})
MUL = ToolSpec("mul", "", {"type": "object", "properties": {}})


def encode(request: Request, model_id: str = "llama3.2", *, stream: bool = False) -> dict[str, Any]:
    return encode_request(request, model_id, CHAT, stream=stream)


def line(message: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """One answer object as Ollama sends it."""
    return {
        "model": "llama3.2",
        "created_at": "2025-06-01T12:00:00Z",
        "message": {"role": "assistant", "content": "", **(message or {})},
        "done": False,
        **fields,
    }


def last(message: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """The final answer object (``done: true`` with the counts)."""
    final = {"done": True, "done_reason": "stop", "prompt_eval_count": 11, "eval_count": 7}
    return line(message, **{**final, **fields})


# ----------------------------------------------------------------- requests


def test_plain_request_body() -> None:
    body = encode(
        Request(
            [Message.system("Be brief."), Message.user("hi")],
            temperature=0.5,
            top_p=0.8,
            max_tokens=9,
            seed=1,
            stop=["x"],
        ),
        stream=True,
    )
    assert body == {
        "model": "llama3.2",
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}],
        "stream": True,
        "options": {"temperature": 0.5, "top_p": 0.8, "num_predict": 9, "stop": ["x"], "seed": 1},
    }


def test_extra_options_merge_and_extra_fields_win() -> None:
    request = Request(
        [Message.user("hi")],
        temperature=0.5,
        extra={"options": {"num_ctx": 8192, "temperature": 0.1}, "keep_alive": -1, "think": False},
    )
    body = encode_request(request, "m", CHAT, stream=False, keep_alive="5m")
    assert body["options"] == {"temperature": 0.1, "num_ctx": 8192}
    assert body["keep_alive"] == -1
    assert body["think"] is False


def test_user_text_and_images() -> None:
    body = encode(
        Request(
            [
                Message.user(
                    "Look:",
                    ImagePart(data=b"\x89PNG", media_type="image/png"),
                    ImagePart(url="data:image/jpeg;base64,/9j/AA=="),
                    "What is it?",
                )
            ]
        )
    )
    assert body["messages"] == [
        {"role": "user", "content": "Look:\nWhat is it?", "images": ["iVBORw==", "/9j/AA=="]}
    ]


@pytest.mark.parametrize(
    ("part", "words"),
    [
        (ImagePart(url="https://example.com/cat.png"), "ImagePart(data="),
        (ImagePart(url="data:image/svg+xml,<svg/>"), "pass the bytes"),
        (DocumentPart(data=b"%PDF", media_type="application/pdf"), "text and images only"),
        (AudioPart(data=b"RIFF", media_type="audio/wav"), "text and images only"),
    ],
)
def test_content_ollama_cannot_take_is_a_usage_error(part: Any, words: str) -> None:
    request = Request([Message.user("hi", part)])
    with pytest.raises(UsageError) as caught:
        encode(request)
    assert type(caught.value) is UsageError
    assert words in str(caught.value)
    assert request.messages[0].parts[1] is part


def test_tool_conversation() -> None:
    calls = [
        ToolCall("c1", "add", {"a": 1}, raw_arguments='{"a": 1}'),
        ToolCall("", "mul", {"b": 2}),
    ]
    request = Request(
        [
            Message.user("go"),
            Message.assistant("Working.", tool_calls=calls),
            Message.tool(ToolResult("c1", "1"), ToolResult("", "2", name="mul")),
        ],
        tools=[ADD, MUL],
    )
    body = encode(request)
    assert body["tools"] == [
        {"type": "function", "function": {"name": "add", "parameters": ADD.parameters,
                                          "description": "Add two integers."}},
        {"type": "function", "function": {"name": "mul", "parameters": MUL.parameters}},
    ]  # fmt: skip
    assert body["messages"][1:] == [
        {
            "role": "assistant",
            "content": "Working.",
            "tool_calls": [
                {"id": "c1", "function": {"index": 0, "name": "add", "arguments": {"a": 1}}},
                {"function": {"index": 1, "name": "mul", "arguments": {"b": 2}}},
            ],
        },
        {"role": "tool", "content": "1", "tool_name": "add", "tool_call_id": "c1"},
        {"role": "tool", "content": "2", "tool_name": "mul"},
    ]


def test_tool_result_with_media_keeps_the_images() -> None:
    result = ToolResult("c1", [ImagePart(data=b"\x89PNG", media_type="image/png")], name="shot")
    call = Message.assistant(tool_calls=[ToolCall("c1", "shot")])
    _, wire = encode(Request([call, Message.tool(result)]))["messages"]
    assert wire == {
        "role": "tool",
        "content": "",
        "images": ["iVBORw=="],
        "tool_name": "shot",
        "tool_call_id": "c1",
    }


def test_only_ollama_reasoning_goes_back_as_thinking() -> None:
    own = ReasoningPart("mine", provider_data={"ollama": {}})
    foreign = ReasoningPart("theirs", signature="sig", provider_data={"anthropic": {}})
    body = encode(Request([Message.assistant("ok", reasoning=[foreign, own])]))
    assert body["messages"] == [{"role": "assistant", "content": "ok", "thinking": "mine"}]


@pytest.mark.parametrize(
    ("model_id", "reasoning", "think"),
    [
        ("qwen3", Reasoning("high"), True),
        ("qwen3", Reasoning(budget_tokens=2000), True),
        ("qwen3", Reasoning("none"), False),
        ("qwen3", Reasoning(budget_tokens=0), False),
        ("gpt-oss:20b", Reasoning("minimal"), "low"),
        ("gpt-oss:20b", Reasoning("medium"), "medium"),
        ("gpt-oss:120b", Reasoning("xhigh"), "high"),
        ("library/gpt-oss", Reasoning(budget_tokens=500), "low"),
        ("gpt-oss", Reasoning(budget_tokens=8000), "medium"),
        ("gpt-oss", Reasoning(budget_tokens=9000), "high"),
        ("gpt-oss", Reasoning(), "medium"),
        ("gpt-oss", Reasoning("none"), False),
    ],
)
def test_reasoning_becomes_think(model_id: str, reasoning: Reasoning, think: bool | str) -> None:
    assert encode(Request([Message.user("hi")], reasoning=reasoning), model_id)["think"] == think


def test_reasoning_on_an_embedding_model_is_left_out_with_a_warning() -> None:
    caps = ollama_capabilities("nomic-embed-text")
    request = Request([Message.user("hi")], reasoning=Reasoning("high"))
    with pytest.warns(UserWarning, match="not a reasoning model"):
        body = encode_request(request, "nomic-embed-text", caps, stream=False)
    assert "think" not in body


def test_output_schema_is_the_format() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    body = encode(Request([Message.user("hi")], output_schema=OutputSchema(schema)))
    assert body["format"] == schema


def test_tool_choice_is_expressed_through_the_tool_list() -> None:
    def tools(choice: str) -> list[str]:
        body = encode(Request([Message.user("hi")], tools=[ADD, MUL], tool_choice=choice))
        return [t["function"]["name"] for t in body.get("tools", [])]

    assert tools("auto") == ["add", "mul"]
    assert tools("none") == []
    assert tools("mul") == ["mul"]
    with pytest.warns(UserWarning, match="cannot force a tool call"):
        assert tools("required") == ["add", "mul"]
    with pytest.raises(UsageError, match="names no tool"):
        tools("div")


# ---------------------------------------------------------------- responses


def test_decode_a_complete_answer() -> None:
    data = last(
        message={"content": "Paris.", "thinking": "The capital."},
        total_duration=5,
        eval_duration=3,
    )
    response = decode.decode_response(data, request_id="r1")
    assert response.text == "Paris." and response.reasoning == "The capital."
    (reasoning, _) = response.message.parts
    assert isinstance(reasoning, ReasoningPart) and reasoning.provider_data == {"ollama": {}}
    assert (response.usage.input_tokens, response.usage.output_tokens) == (11, 7)
    assert response.usage.requests == 1
    assert (response.finish_reason, response.raw_finish_reason) == ("stop", "stop")
    assert (response.model, response.request_id) == ("llama3.2", "r1")
    assert response.provider_data == {"ollama": {"total_duration": 5, "eval_duration": 3}}


@pytest.mark.parametrize(
    ("done_reason", "finish"), [("stop", "stop"), ("length", "length"), ("load", "stop")]
)
def test_done_reasons(done_reason: str, finish: str) -> None:
    response = decode.decode_response(last(done_reason=done_reason, message={"content": "x"}))
    assert (response.finish_reason, response.raw_finish_reason) == (finish, done_reason)


def test_tool_calls_are_objects_with_optional_ids() -> None:
    data = last(
        message={
            "tool_calls": [
                {"id": "call_ab", "function": {"index": 0, "name": "add", "arguments": {"a": 1}}},
                {"function": {"name": "mul", "arguments": {"b": 2}}},
            ]
        }
    )
    response = decode.decode_response(data)
    assert response.finish_reason == "tool_calls" and response.raw_finish_reason == "stop"
    assert [(c.id, c.name, c.arguments) for c in response.tool_calls] == [
        ("call_ab", "add", {"a": 1}),
        ("call_1", "mul", {"b": 2}),
    ]
    assert response.tool_calls[0].raw_arguments == '{"a":1}'


def test_stream_with_thinking_text_and_an_empty_chunk_before_tool_calls() -> None:
    decoder = decode.StreamDecoder()
    chunks = [
        line({"thinking": "Let me"}),
        line({"thinking": " add."}),
        line({"content": "Sure"}),
        line({"content": ""}),
        line({"tool_calls": [{"function": {"index": 0, "name": "add", "arguments": {"a": 1}}}]}),
        line({"tool_calls": [{"function": {"index": 1, "name": "add", "arguments": {"a": 2}}}]}),
        last(),
    ]
    events = [e for chunk in chunks for e in decoder.feed(chunk)]
    assert events == [
        ReasoningDelta("Let me"),
        ReasoningDelta(" add."),
        TextDelta("Sure"),
        ToolCallDelta(0, "call_0", "add", '{"a":1}'),
        ToolCallDelta(1, "call_1", "add", '{"a":2}'),
    ]
    assert decoder.done
    response = decoder.response()
    assert response.reasoning == "Let me add." and response.text == "Sure"
    assert [c.arguments for c in response.tool_calls] == [{"a": 1}, {"a": 2}]
    assert response.finish_reason == "tool_calls"
    assert response.usage.output_tokens == 7


def test_empty_chunks_alone_do_not_finish_the_answer() -> None:
    decoder = decode.StreamDecoder()
    assert decoder.feed(line({"content": ""})) == []
    assert not decoder.done
    assert decoder.response().finish_reason == "error"


def test_function_index_orders_calls_and_a_reused_index_gets_the_next_free_one() -> None:
    decoder = decode.StreamDecoder()
    calls = [
        {"function": {"index": 1, "name": "second", "arguments": {}}},
        {"function": {"index": 0, "name": "first", "arguments": {}}},
        {"function": {"index": 0, "name": "third", "arguments": {}}},
        {"function": {"name": "fourth", "arguments": {}}},
    ]
    events = decoder.feed(line({"tool_calls": calls}))
    assert [(e.index, e.id) for e in events if isinstance(e, ToolCallDelta)] == [
        (1, "call_1"),
        (0, "call_0"),
        (2, "call_2"),
        (3, "call_3"),
    ]
    decoder.feed(last())
    assert [c.name for c in decoder.response().tool_calls] == ["first", "second", "third", "fourth"]


def test_partial_stream_keeps_what_arrived() -> None:
    decoder = decode.StreamDecoder()
    decoder.feed(line({"content": "Half"}))
    partial = decoder.response()
    assert partial.text == "Half" and partial.finish_reason == "error"
    assert partial.usage.requests == 1


@pytest.mark.parametrize(
    ("message", "error", "words"),
    [
        ("an error was encountered while running the model", ServerError, "while running"),
        ("input length exceeds the context length", ContextLengthError, "num_ctx"),
    ],
)
def test_error_lines_are_raised_as_mapped_errors(
    message: str, error: type[Exception], words: str
) -> None:
    decoder = decode.StreamDecoder()
    decoder.feed(line({"content": "Some"}))
    with pytest.raises(error) as caught:
        decoder.feed({"error": message})
    assert type(caught.value) is error and words in str(caught.value)
    assert decoder.response().text == "Some"


def test_answers_that_are_not_the_protocol() -> None:
    with pytest.raises(InvalidResponseError, match="without 'done'"):
        decode.decode_response(line({"content": "x"}))
    with pytest.raises(InvalidResponseError, match="not a JSON object"):
        decode.StreamDecoder().feed([1, 2])
    with pytest.raises(InvalidResponseError, match="without a function"):
        decode.StreamDecoder().feed(line({"tool_calls": [{"name": "add"}]}))


# ------------------------------------------------------- embeddings, models


def test_embeddings_body_and_answer() -> None:
    assert encode_embeddings(["a"], "e", None) == {"model": "e", "input": ["a"]}
    assert encode_embeddings(["a"], "e", 8, truncate=False, keep_alive="1m") == {
        "model": "e",
        "input": ["a"],
        "dimensions": 8,
        "truncate": False,
        "keep_alive": "1m",
    }
    vectors = decode.decode_embeddings(
        {"model": "e", "embeddings": [[0.1, 0.2], [0.3, 0.4]], "prompt_eval_count": 4}
    )
    assert vectors == [[0.1, 0.2], [0.3, 0.4]]
    assert (vectors.usage.input_tokens, vectors.usage.requests, vectors.model) == (4, 1, "e")
    with pytest.raises(InvalidResponseError, match="embeddings"):
        decode.decode_embeddings({"embedding": [0.1]})


def test_model_list() -> None:
    data = {"models": [{"name": "llama3.2:latest", "model": "llama3.2:latest"}, {"model": "x:1"}]}
    assert decode.decode_models(data) == ["llama3.2:latest", "x:1"]
    with pytest.raises(InvalidResponseError, match="models"):
        decode.decode_models({"data": []})


# ------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("status", "message", "hint", "cls"),
    [
        (404, "model 'mistral' not found", "`ollama pull mistral`", None),
        (404, 'model "qwen3" not found, try pulling it first', "`ollama pull qwen3`", None),
        (
            400,
            "registry.ollama.ai/library/llama2:latest does not support tools",
            "without tools",
            None,
        ),
        (400, '"llama3.2" does not support thinking', "Request.reasoning", None),
        (400, 'think value "low" is not supported for this model', "no level", None),
        (400, '"nomic-embed-text" does not support chat', "embed()", None),
        (401, "unauthorized", "OLLAMA_API_KEY", None),
        (400, "input length exceeds the context length", "num_ctx", ContextLengthError),
        (500, "something else", None, None),
    ],
)
def test_error_parser_hints(
    status: int, message: str, hint: str | None, cls: type[Exception] | None
) -> None:
    info = OllamaErrors("llama3.2").read(status, json.dumps({"error": message}).encode())
    assert info.message == message
    assert info.error_class is cls
    if hint is None:
        assert info.hint is None
    else:
        assert hint in (info.hint or "")


def test_error_from_message_without_status() -> None:
    assert type(error_from_message("boom")) is ServerError
    assert type(error_from_message("model 'x' not found")) is ServerError
    err = error_from_message("input length exceeds the context length")
    assert isinstance(err, ContextLengthError) and isinstance(err, BadRequestError)
    assert err.provider == "ollama" and err.status is None
    assert not isinstance(error_from_message("boom"), NotFoundError)

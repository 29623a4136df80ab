"""The OpenAI Chat Completions wire format without a socket: encode, decode, errors."""

from __future__ import annotations

import json

import pytest

from llmkit.errors import (
    ContentFilterError,
    ContextLengthError,
    InvalidResponseError,
    RateLimitError,
    UnsupportedError,
    UsageError,
)
from llmkit.events import ReasoningDelta, TextDelta, ToolCallDelta
from llmkit.providers._presets import PRESETS
from llmkit.providers._profiles.openai import OpenAIProfile, openai_profile
from llmkit.providers.openai import decode
from llmkit.providers.openai.encode import (
    encode_embeddings,
    encode_messages,
    encode_request,
    strict_schema,
)
from llmkit.providers.openai.errors import OpenAIErrors
from llmkit.types import (
    AudioPart,
    DocumentPart,
    ImagePart,
    Message,
    OutputSchema,
    Reasoning,
    ReasoningPart,
    Request,
    TextPart,
    ToolCall,
    ToolResult,
    ToolSpec,
)

OPENAI = PRESETS["openai"]
GPT = openai_profile("gpt-4.1-mini", OPENAI, own_address=True)
O3 = openai_profile("o3-mini", OPENAI, own_address=True)
LOCAL = openai_profile("qwen2.5", PRESETS["vllm"], own_address=True)
LLAMACPP = openai_profile("gemma-3-270m", PRESETS["llamacpp"], own_address=True)
UNKNOWN = openai_profile("gemma-3-270m", OPENAI, own_address=False)
ADD = ToolSpec(
    "add",
    "Add two integers.",
    {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "required": ["a", "b"],
    },
)


def encode(request: Request, profile: OpenAIProfile = GPT, *, stream: bool = False) -> dict:
    return encode_request(request, "m", profile, stream=stream)


def test_plain_text_request_body() -> None:
    body = encode(
        Request(
            [Message.system("Be brief."), Message.user("hi")],
            temperature=0.5,
            max_tokens=9,
            seed=1,
            stop=["x"],
        )
    )
    assert body == {
        "model": "m",
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}],
        "temperature": 0.5,
        "max_tokens": 9,
        "seed": 1,
        "stop": ["x"],
    }


def test_compatible_servers_get_max_tokens() -> None:
    assert encode(Request([Message.user("hi")], max_tokens=5), LOCAL)["max_tokens"] == 5


def test_multimodal_user_content() -> None:
    body = encode(
        Request(
            [
                Message.user(
                    "see",
                    ImagePart(url="https://x/a.png", detail="high"),
                    ImagePart(data=b"ab", media_type="image/png"),
                    DocumentPart(data=b"%PDF", name="r.pdf"),
                    AudioPart(data=b"RIFF", media_type="audio/wav"),
                )
            ]
        )
    )
    assert body["messages"][0]["content"] == [
        {"type": "text", "text": "see"},
        {"type": "image_url", "image_url": {"url": "https://x/a.png", "detail": "high"}},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,YWI="}},
        {
            "type": "file",
            "file": {"file_data": "data:application/pdf;base64,JVBERg==", "filename": "r.pdf"},
        },
        {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
    ]


def test_documents_by_url_and_odd_audio_are_refused_with_advice() -> None:
    with pytest.raises(UnsupportedError, match="inline"):
        encode(Request([Message.user(DocumentPart(url="https://x/a.pdf"))]))
    with pytest.raises(UnsupportedError, match="WAV or MP3"):
        encode(Request([Message.user(AudioPart(data=b"x", media_type="audio/ogg"))]))


def test_tool_round_trip_history() -> None:
    history = [
        Message.user("2+3?"),
        Message.assistant(
            tool_calls=[
                ToolCall("c1", "add", {"a": 2, "b": 3}),
                ToolCall("c2", "add", {}, '{"a": 1'),
            ],
            reasoning=[ReasoningPart("thinking")],
        ),
        Message.tool(
            ToolResult("c1", "5"),
            ToolResult("c2", [TextPart("bad "), TextPart("args")], is_error=True),
        ),
    ]
    body = encode(Request(history, tools=[ADD], tool_choice="add", parallel_tool_calls=True))
    assert body["messages"][1] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "add", "arguments": '{"a":2,"b":3}'},
            },
            {"id": "c2", "type": "function", "function": {"name": "add", "arguments": '{"a": 1'}},
        ],
    }
    assert body["messages"][2:] == [
        {"role": "tool", "tool_call_id": "c1", "content": "5"},
        {"role": "tool", "tool_call_id": "c2", "content": "bad args"},
    ]
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "add",
                "parameters": ADD.parameters,
                "description": "Add two integers.",
            },
        }
    ]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "add"}}
    assert body["parallel_tool_calls"] is True


def test_images_from_tools_follow_as_a_user_message() -> None:
    msgs = encode_messages(
        [
            Message.assistant(tool_calls=[ToolCall("c1", "shot")]),
            Message.tool(ToolResult("c1", [TextPart("here"), ImagePart(url="https://x/s.png")])),
        ]
    )
    assert msgs[1] == {"role": "tool", "tool_call_id": "c1", "content": "here"}
    assert msgs[2]["role"] == "user"
    assert msgs[2]["content"][1] == {"type": "image_url", "image_url": {"url": "https://x/s.png"}}


def test_tool_choice_must_name_a_tool() -> None:
    with pytest.raises(UsageError, match="names no tool"):
        encode(Request([Message.user("x")], tools=[ADD], tool_choice="mul"))
    assert (
        encode(Request([Message.user("x")], tools=[ADD], tool_choice="required"))["tool_choice"]
        == "required"
    )


def test_strict_schema_rules() -> None:
    ok = {
        "type": "object",
        "properties": {"a": {"type": "object", "properties": {}, "required": []}},
        "required": ["a"],
    }
    strict = strict_schema(ok)
    assert strict is not None
    assert strict["additionalProperties"] is False
    assert strict["properties"]["a"]["additionalProperties"] is False
    assert "additionalProperties" not in ok  # the input is not changed
    assert strict_schema({"type": "object", "properties": {"a": {}}, "required": []}) is None
    assert strict_schema({"type": "object", "properties": {}, "additionalProperties": True}) is None


def test_output_schema_uses_strict_when_possible() -> None:
    schema = {"type": "object", "properties": {"total": {"type": "number"}}, "required": ["total"]}
    fmt = encode(Request([Message.user("x")], output_schema=OutputSchema(schema, name="Invoice")))[
        "response_format"
    ]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"]["additionalProperties"] is False
    loose = {"type": "object", "properties": {"total": {"type": "number"}}}
    fmt = encode(Request([Message.user("x")], output_schema=OutputSchema(loose)))["response_format"]
    assert "strict" not in fmt["json_schema"]


def test_strict_tool_that_cannot_be_strict_is_a_usage_error() -> None:
    tool = ToolSpec("f", parameters={"type": "object", "properties": {"a": {}}}, strict=True)
    with pytest.raises(UsageError, match="cannot be strict"):
        encode(Request([Message.user("x")], tools=[tool]))


def test_reasoning_models_get_effort_and_no_sampling() -> None:
    with pytest.warns(UserWarning, match="temperature"):
        body = encode(
            Request([Message.user("x")], temperature=0.3, max_tokens=5, reasoning=Reasoning("low")),
            O3,
        )
    assert "temperature" not in body
    assert body["max_completion_tokens"] == 5
    assert body["reasoning_effort"] == "low"
    assert (
        encode(Request([Message.user("x")], reasoning=Reasoning(budget_tokens=20000)), O3)[
            "reasoning_effort"
        ]
        == "high"
    )
    with pytest.warns(UserWarning, match="not a reasoning model"):
        assert "reasoning_effort" not in encode(
            Request([Message.user("x")], reasoning=Reasoning("low")), GPT
        )


def test_stream_flags_and_extra_pass_through() -> None:
    body = encode(
        Request([Message.user("x")], extra={"logprobs": True, "temperature": 1.5}), stream=True
    )
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["logprobs"] is True
    assert body["temperature"] == 1.5


def answer(message: dict, finish: str = "stop", usage: dict | None = None) -> dict:
    return {
        "id": "chatcmpl-1",
        "model": "gpt-x",
        "choices": [
            {"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish}
        ],
        "usage": usage
        or {
            "prompt_tokens": 10,
            "completion_tokens": 5,
            "total_tokens": 15,
            "prompt_tokens_details": {"cached_tokens": 4},
            "completion_tokens_details": {"reasoning_tokens": 2},
        },
    }


def test_decode_text_answer_with_usage_details() -> None:
    r = decode.decode_response(
        answer({"content": "hello", "reasoning_content": "hmm"}), request_id="req_9"
    )
    assert (r.text, r.reasoning, r.finish_reason, r.model, r.request_id) == (
        "hello",
        "hmm",
        "stop",
        "gpt-x",
        "req_9",
    )
    assert (
        r.usage.input_tokens,
        r.usage.output_tokens,
        r.usage.cache_read_tokens,
        r.usage.reasoning_tokens,
    ) == (10, 5, 4, 2)
    assert r.usage.requests == 1


def test_decode_tool_calls_keeps_broken_arguments_flagged() -> None:
    calls = [
        {"id": "c1", "type": "function", "function": {"name": "add", "arguments": '{"a":1}'}},
        {"id": "c2", "type": "function", "function": {"name": "add", "arguments": '{"a":'}},
        {"id": "c3", "type": "function", "function": {"name": "add", "arguments": "[1]"}},
    ]
    r = decode.decode_response(answer({"content": None, "tool_calls": calls}, "tool_calls"))
    assert r.finish_reason == "tool_calls"
    good, broken, wrong = r.tool_calls
    assert good.arguments == {"a": 1} and good.arguments_error is None
    assert (
        broken.arguments == {}
        and broken.raw_arguments == '{"a":'
        and "not valid JSON" in (broken.arguments_error or "")
    )
    assert "must be a JSON object" in (wrong.arguments_error or "")


@pytest.mark.parametrize(
    ("raw", "finish"),
    [("length", "length"), ("content_filter", "content_filter"), ("weird", "stop")],
)
def test_finish_reasons_are_normalised(raw: str, finish: str) -> None:
    r = decode.decode_response(answer({"content": "x"}, raw))
    assert (r.finish_reason, r.raw_finish_reason) == (finish, raw)


def test_refusal_is_a_content_filter_finish() -> None:
    r = decode.decode_response(answer({"content": None, "refusal": "I can't help with that."}))
    assert r.finish_reason == "content_filter"
    assert r.text == "I can't help with that."


def test_malformed_answers_raise_invalid_response() -> None:
    with pytest.raises(InvalidResponseError, match="without any choices"):
        decode.decode_response({"id": "x"})
    with pytest.raises(InvalidResponseError, match="not an object"):
        decode.decode_response([1, 2])


def test_error_inside_a_200_body_is_raised() -> None:
    with pytest.raises(RateLimitError, match="busy"):
        decode.decode_response({"error": {"message": "busy", "code": 429}})


def chunk(delta: dict, finish: str | None = None) -> dict:
    return {
        "id": "c",
        "model": "gpt-x",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        "usage": None,
    }


def test_stream_decoder_reassembles_text_reasoning_and_parallel_tool_calls() -> None:
    decoder = decode.StreamDecoder(request_id="req_1")
    events = []
    for c in [
        chunk({"role": "assistant", "content": ""}),
        chunk({"reasoning_content": "think"}),
        chunk({"content": "Hel"}),
        chunk({"content": "lo"}),
        chunk(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "add", "arguments": ""},
                    }
                ]
            }
        ),
        chunk(
            {
                "tool_calls": [
                    {
                        "index": 1,
                        "id": "c2",
                        "type": "function",
                        "function": {"name": "mul", "arguments": ""},
                    }
                ]
            }
        ),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"a":'}}]}),
        chunk({"tool_calls": [{"index": 1, "function": {"arguments": '{"b":2}'}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": "1}"}}]}),
        chunk({}, "tool_calls"),
        {"id": "c", "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 4}},
    ]:
        events.extend(decoder.feed_data(json.dumps(c)))
    assert decoder.feed_data("[DONE]") == []
    assert decoder.done
    assert [type(e) for e in events[:3]] == [ReasoningDelta, TextDelta, TextDelta]
    assert [e.arguments for e in events if isinstance(e, ToolCallDelta)] == [
        "",
        "",
        '{"a":',
        '{"b":2}',
        "1}",
    ]
    r = decoder.response()
    assert (r.text, r.reasoning, r.finish_reason, r.request_id) == (
        "Hello",
        "think",
        "tool_calls",
        "req_1",
    )
    assert [(c.id, c.name, c.arguments) for c in r.tool_calls] == [
        ("c1", "add", {"a": 1}),
        ("c2", "mul", {"b": 2}),
    ]
    assert (r.usage.input_tokens, r.usage.output_tokens) == (3, 4)


def test_stream_decoder_rejects_non_json_chunks_and_raises_mid_stream_errors() -> None:
    decoder = decode.StreamDecoder()
    with pytest.raises(InvalidResponseError, match="not JSON"):
        decoder.feed_data("{oops")
    with pytest.raises(RateLimitError):
        decode.StreamDecoder().feed({"error": {"message": "slow", "code": 429}})


def test_stream_decoder_partial_response_after_a_break() -> None:
    decoder = decode.StreamDecoder()
    decoder.feed(chunk({"content": "partial"}))
    decoder.feed(
        chunk(
            {
                "tool_calls": [
                    {"index": 0, "id": "c1", "function": {"name": "f", "arguments": '{"x'}}
                ]
            }
        )
    )
    assert not decoder.finished
    r = decoder.response()
    assert r.text == "partial"
    assert r.tool_calls[0].arguments_error is not None


def test_error_parser_classifies_and_hints() -> None:
    parse = OpenAIErrors("openai", "OPENAI_API_KEY", "gpt-x").read
    body = json.dumps(
        {
            "error": {
                "message": "This model's maximum context length is 8192 tokens.",
                "type": "invalid_request_error",
                "code": "context_length_exceeded",
            }
        }
    )
    info = parse(400, body.encode())
    assert info.error_class is ContextLengthError
    info = parse(400, b'{"error": {"message": "flagged", "code": "content_filter"}}')
    assert info.error_class is ContentFilterError
    info = parse(
        401, b'{"error": {"message": "Incorrect API key provided", "code": "invalid_api_key"}}'
    )
    assert "OPENAI_API_KEY" in (info.hint or "")
    info = parse(
        404,
        b'{"error": {"message": "The model `gpt-x` does not exist", "code": "model_not_found"}}',
    )
    assert "gpt-x" in (info.hint or "")


def test_embeddings_body_and_answer() -> None:
    assert encode_embeddings(["a"], "text-embedding-3-small", 8) == {
        "model": "text-embedding-3-small",
        "input": ["a"],
        "encoding_format": "float",
        "dimensions": 8,
    }
    out = decode.decode_embeddings(
        {
            "data": [{"index": 1, "embedding": [2.0]}, {"index": 0, "embedding": [1.0]}],
            "model": "e",
            "usage": {"prompt_tokens": 2},
        }
    )
    assert out == [[1.0], [2.0]]
    assert out.usage.input_tokens == 2
    with pytest.raises(InvalidResponseError):
        decode.decode_embeddings({"data": [{"index": 0, "embedding": "AAAA"}]})


def test_tool_result_for_an_unknown_call_id_is_refused_before_sending() -> None:
    history = [
        Message.user("x"),
        Message.assistant(tool_calls=[ToolCall("c1", "add", {})]),
        Message.tool(ToolResult("c1", "ok"), ToolResult("c9", "stray")),
    ]
    with pytest.raises(UsageError, match=r"call id 'c9' answers no tool call .*its call ids: 'c1'"):
        encode(Request(history))
    with pytest.raises(UsageError, match="its call ids: none"):
        encode(Request([Message.user("x"), Message.tool(ToolResult("c1", "ok"))]))

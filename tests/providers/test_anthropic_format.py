"""The Anthropic Messages wire format without a socket: encode, decode, errors."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest

from llmkit import Message, Reasoning, Request, ToolCall, ToolResult, ToolSpec
from llmkit.errors import (
    AuthenticationError,
    BadRequestError,
    ContextLengthError,
    InvalidResponseError,
    NotFoundError,
    OverloadedError,
    ProviderError,
    RateLimitError,
    UnsupportedError,
    UsageError,
)
from llmkit.events import ReasoningDelta, TextDelta, ToolCallDelta
from llmkit.providers._profiles.anthropic import anthropic_profile
from llmkit.providers.anthropic.decode import StreamDecoder, decode_response, decode_usage
from llmkit.providers.anthropic.encode import encode_request, output_schema, token_limits
from llmkit.providers.anthropic.errors import AnthropicErrors
from llmkit.types import (
    AudioPart,
    DocumentPart,
    ImagePart,
    OutputSchema,
    ReasoningPart,
    TextPart,
)

SONNET = anthropic_profile("claude-sonnet-4-5")
OPUS_48 = anthropic_profile("claude-opus-4-8")
HAIKU_35 = anthropic_profile("claude-3-5-haiku-latest")
ADD = ToolSpec("add", "Add.", {"type": "object", "properties": {"a": {"type": "integer"}}})
MINE = {"anthropic": {"type": "thinking"}}


def encode(request: Request, profile: Any = SONNET, **options: Any) -> dict[str, Any]:
    options.setdefault("stream", False)
    return encode_request(request, "claude-test", profile, **options)


def quietly(request: Request, profile: Any = SONNET, **options: Any) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return encode(request, profile, **options)


def called(*ids: str) -> Message:
    return Message.assistant(tool_calls=[ToolCall(i, "add", {"a": 1}) for i in ids])


# --------------------------------------------------------------------- system


def test_system_messages_are_joined_into_the_system_field() -> None:
    body = encode(Request([Message.system("One."), Message.system("Two."), Message.user("hi")]))
    assert body["system"] == "One.\n\nTwo."
    assert body["messages"] == [{"role": "user", "content": "hi"}]


def test_a_cache_marker_makes_the_system_field_a_list_of_blocks() -> None:
    marked = Message.system("Long instructions.")
    marked.provider_data = {"anthropic": {"cache_control": {"type": "ephemeral"}}}
    body = encode(Request([Message.system("Short."), marked, Message.user("hi")]))
    assert body["system"] == [
        {"type": "text", "text": "Short."},
        {"type": "text", "text": "Long instructions.", "cache_control": {"type": "ephemeral"}},
    ]


def test_a_mid_conversation_system_message_is_hoisted_where_the_model_has_no_system_turns() -> None:
    request = Request(
        [Message.user("hi"), Message.system("Now be terse."), Message.assistant("ok")]
    )
    body = encode(request)
    assert body["system"] == "Now be terse."
    assert [m["role"] for m in body["messages"]] == ["user", "assistant"]


def test_a_mid_conversation_system_message_is_a_system_turn_where_the_api_takes_it() -> None:
    request = Request(
        [
            Message.system("Be kind."),
            Message.user("hi"),
            Message.system("Now be terse."),
            Message.system("And formal."),
            Message.assistant("ok"),
        ]
    )
    body = encode(request, OPUS_48)
    assert body["system"] == "Be kind."
    assert body["messages"][1] == {
        "role": "system",
        "content": [
            {"type": "text", "text": "Now be terse."},
            {"type": "text", "text": "And formal."},
        ],
    }
    # Before a user turn the API takes no system turn: it joins the system field instead.
    misplaced = Request([Message.user("a"), Message.system("B."), Message.user("c")])
    assert encode(misplaced, OPUS_48)["system"] == "B."


def test_non_text_in_a_system_message_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="system message may hold only text"):
        encode(Request([Message("system", [ImagePart(url="https://x/a.png")]), Message.user("hi")]))


# ------------------------------------------------------------------- messages


def test_consecutive_turns_of_one_role_are_merged() -> None:
    body = encode(
        Request(
            [Message.user("a"), Message.user("b"), Message.assistant("c"), Message.assistant("d")]
        )
    )
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
        {
            "role": "assistant",
            "content": [{"type": "text", "text": "c"}, {"type": "text", "text": "d"}],
        },
    ]


def test_tool_results_open_the_user_turn_even_after_a_user_message() -> None:
    request = Request(
        [
            Message.user("add"),
            called("toolu_1", "toolu_2"),
            Message.user("(meanwhile)"),
            Message.tool(ToolResult("toolu_1", "1"), ToolResult("toolu_2", "2")),
            Message.user("and now?"),
        ]
    )
    turn = encode(request)["messages"][2]
    assert [b["type"] for b in turn["content"]] == ["tool_result", "tool_result", "text", "text"]
    assert [b.get("text") for b in turn["content"][2:]] == ["(meanwhile)", "and now?"]


def test_tool_results_with_media_and_errors() -> None:
    result = ToolResult(
        "toolu_1",
        [TextPart("chart:"), ImagePart(data=b"GIF89a", media_type="image/gif")],
        is_error=True,
    )
    body = encode(Request([Message.user("x"), called("toolu_1"), Message.tool(result)]))
    (block,) = body["messages"][2]["content"]
    assert block == {
        "type": "tool_result",
        "tool_use_id": "toolu_1",
        "content": [
            {"type": "text", "text": "chart:"},
            {
                "type": "image",
                "source": {"type": "base64", "media_type": "image/gif", "data": "R0lGODlh"},
            },
        ],
        "is_error": True,
    }


def test_a_result_must_answer_a_call_of_the_assistant_message_before_it() -> None:
    with pytest.raises(UsageError, match="'toolu_2'.*its call ids: 'toolu_1'"):
        encode(
            Request([Message.user("x"), called("toolu_1"), Message.tool(ToolResult("toolu_2", ""))])
        )
    with pytest.raises(UsageError, match="'toolu_1'.*its call ids: none"):
        encode(Request([Message.user("x"), Message.tool(ToolResult("toolu_1", ""))]))


def test_ids_from_other_providers_are_mapped_the_same_way_on_both_sides() -> None:
    request = Request(
        [
            Message.user("x"),
            called("functions.add:0"),
            Message.tool(ToolResult("functions.add:0", "1")),
        ]
    )
    messages = encode(request)["messages"]
    assert messages[1]["content"][0]["id"] == "functions_add_0"
    assert messages[2]["content"][0]["tool_use_id"] == "functions_add_0"


def test_only_this_protocols_reasoning_is_sent_back() -> None:
    parts = [
        ReasoningPart("mine", "sig-1", provider_data=MINE),
        ReasoningPart(
            "", "opaque", redacted=True, provider_data={"anthropic": {"type": "redacted_thinking"}}
        ),
        ReasoningPart("theirs", "sig-x", provider_data={"gemini": {}}),
        ReasoningPart("unmarked", "sig-y"),
        ReasoningPart("no signature", provider_data=MINE),
        TextPart("answer"),
    ]
    body = encode(Request([Message.user("x"), Message("assistant", parts)]))
    assert body["messages"][1]["content"] == [
        {"type": "thinking", "thinking": "mine", "signature": "sig-1"},
        {"type": "redacted_thinking", "data": "opaque"},
        {"type": "text", "text": "answer"},
    ]


def test_empty_text_is_left_out_and_an_empty_assistant_message_is_skipped() -> None:
    foreign = Message("assistant", [ReasoningPart("theirs")])
    body = encode(Request([Message.user("a", ""), foreign, Message.user("b")]))
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}
    ]


def test_extra_blocks_of_an_answer_go_back_in_place() -> None:
    data = {
        "content": [
            {
                "type": "server_tool_use",
                "id": "srvtoolu_1",
                "name": "web_search",
                "input": {"q": "x"},
            },
            {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []},
            {"type": "text", "text": "Found it."},
        ],
        "stop_reason": "end_turn",
    }
    answer = decode_response(data)
    assert answer.text == "Found it."
    body = encode(Request([Message.user("search"), answer.message]))
    assert body["messages"][1]["content"] == data["content"]


@pytest.mark.parametrize(
    ("part", "source"),
    [
        (
            ImagePart(url="data:image/webp;base64,UklG"),
            {"type": "base64", "media_type": "image/webp", "data": "UklG"},
        ),
        (
            DocumentPart(data=b"plain words", media_type="text/plain"),
            {"type": "text", "media_type": "text/plain", "data": "plain words"},
        ),
        (
            DocumentPart(url="data:text/plain;base64,aGk="),
            {"type": "text", "media_type": "text/plain", "data": "hi"},
        ),
    ],
)
def test_media_sources(part: Any, source: dict[str, Any]) -> None:
    body = encode(Request([Message.user(part)]))
    assert body["messages"][0]["content"][0]["source"] == source


@pytest.mark.parametrize(
    ("part", "error", "words"),
    [
        (AudioPart(data=b"RIFF", media_type="audio/wav"), UnsupportedError, "no audio input"),
        (
            DocumentPart(
                data=b"PK",
                media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ),
            UnsupportedError,
            "PDF and plain-text",
        ),
        (ImagePart(url="data:image/png,raw"), UsageError, "base64-encoded"),
    ],
)
def test_media_anthropic_cannot_take_is_refused_with_a_way_out(
    part: Any, error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        encode(Request([Message.user(part)]))


# ---------------------------------------------------------------------- tools


@pytest.mark.parametrize(
    ("choice", "parallel", "wire"),
    [
        (None, None, None),
        ("auto", None, {"type": "auto"}),
        ("required", None, {"type": "any"}),
        ("none", None, {"type": "none"}),
        ("add", None, {"type": "tool", "name": "add"}),
        (None, False, {"type": "auto", "disable_parallel_tool_use": True}),
        ("add", False, {"type": "tool", "name": "add", "disable_parallel_tool_use": True}),
        ("none", False, {"type": "none"}),
    ],
)
def test_tool_choice_mapping(choice: str | None, parallel: bool | None, wire: Any) -> None:
    body = encode(
        Request([Message.user("x")], tools=[ADD], tool_choice=choice, parallel_tool_calls=parallel)
    )
    assert body.get("tool_choice") == wire


def test_a_named_tool_choice_must_be_a_tool_of_the_request() -> None:
    with pytest.raises(UsageError, match="names no tool"):
        encode(Request([Message.user("x")], tools=[ADD], tool_choice="sub"))
    with pytest.raises(UsageError, match="no tools"):
        encode(Request([Message.user("x")], tool_choice="sub"))
    assert "tool_choice" not in encode(Request([Message.user("x")], tool_choice="auto"))


def test_tool_specs_strict_tools_and_server_tools() -> None:
    strict = ToolSpec(
        "get",
        "",
        {"type": "object", "properties": {"n": {"type": "integer", "maximum": 9}}},
        strict=True,
    )
    search = ToolSpec(
        "web_search", provider_data={"anthropic": {"type": "web_search_20250305", "max_uses": 3}}
    )
    tools = encode(Request([Message.user("x")], tools=[ADD, strict, search]))["tools"]
    assert tools[0] == {"name": "add", "description": "Add.", "input_schema": ADD.parameters}
    assert tools[1]["strict"] is True
    assert tools[1]["input_schema"]["additionalProperties"] is False
    assert tools[1]["input_schema"]["properties"]["n"] == {
        "type": "integer",
        "description": "{maximum: 9}",
    }
    assert tools[2] == {"name": "web_search", "type": "web_search_20250305", "max_uses": 3}
    # Models without structured output get the schema as written.
    old = encode(
        Request([Message.user("x")], tools=[strict]), anthropic_profile("claude-sonnet-4-20250514")
    )
    assert old["tools"][0] == {"name": "get", "input_schema": strict.parameters}


def test_output_schema_adapts_a_copy() -> None:
    schema = {
        "type": "object",
        "description": "A person.",
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "tags": {
                "type": "array",
                "items": {"type": "object", "properties": {}},
                "minItems": 1,
                "maxItems": 3,
            },
        },
        "$defs": {"Inner": {"type": "object", "properties": {"x": {"type": "number"}}}},
    }
    before = json.dumps(schema)
    adapted = output_schema(OutputSchema(schema))
    assert json.dumps(schema) == before
    assert adapted["additionalProperties"] is False
    assert adapted["description"] == "A person."
    assert adapted["properties"]["name"] == {"type": "string", "description": "{minLength: 1}"}
    tags = adapted["properties"]["tags"]
    assert tags["minItems"] == 1 and tags["description"] == "{maxItems: 3}"
    assert tags["items"]["additionalProperties"] is False
    assert adapted["$defs"]["Inner"]["additionalProperties"] is False


# ------------------------------------------------------------ limits, thinking


def test_max_tokens_is_always_sent() -> None:
    assert encode(Request([Message.user("x")]))["max_tokens"] == 8192
    assert (
        encode(Request([Message.user("x")]), anthropic_profile("claude-3-haiku-20240307"))[
            "max_tokens"
        ]
        == 4096
    )
    assert encode(Request([Message.user("x")], max_tokens=77))["max_tokens"] == 77


@pytest.mark.parametrize(
    ("reasoning", "max_tokens", "expected"),
    [
        (Reasoning("minimal"), None, (1024 + 8192, 1024)),
        (Reasoning("high"), None, (16384 + 8192, 16384)),
        (Reasoning(budget_tokens=4000), 20000, (20000, 4000)),
        (Reasoning(budget_tokens=60000), None, (64000, 55808)),  # the model's maximum, room kept
        (Reasoning("none"), None, (8192, None)),
        (Reasoning(budget_tokens=0), 500, (500, None)),
    ],
)
def test_thinking_budgets(
    reasoning: Reasoning, max_tokens: int | None, expected: tuple[int, int | None]
) -> None:
    request = Request([Message.user("x")], reasoning=reasoning, max_tokens=max_tokens)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert token_limits(request, "m", SONNET) == expected


def test_a_budget_below_the_minimum_is_raised_with_a_warning() -> None:
    request = Request([Message.user("x")], reasoning=Reasoning(budget_tokens=100))
    with pytest.warns(UserWarning, match="raised to 1024"):
        body = encode(request)
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 1024}


def test_a_budget_too_large_for_the_callers_max_tokens_is_cut_with_a_warning() -> None:
    request = Request([Message.user("x")], reasoning=Reasoning(budget_tokens=9000), max_tokens=4000)
    with pytest.warns(UserWarning, match="cut to 2000"):
        body = encode(request)
    assert (body["max_tokens"], body["thinking"]["budget_tokens"]) == (4000, 2000)


def test_max_tokens_too_small_for_thinking_is_a_usage_error() -> None:
    request = Request([Message.user("x")], reasoning=Reasoning("low"), max_tokens=1024)
    with pytest.raises(UsageError, match="max_tokens above 1024"):
        encode(request)


def test_reasoning_on_a_model_without_thinking_is_left_out_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="no extended thinking"):
        body = encode(Request([Message.user("x")], reasoning=Reasoning("high")), HAIKU_35)
    assert "thinking" not in body and body["max_tokens"] == 8192


def test_sampling_that_thinking_does_not_take_is_left_out_with_a_warning() -> None:
    request = Request([Message.user("x")], reasoning=Reasoning("low"), temperature=0.3, top_p=0.5)
    with pytest.warns(UserWarning, match="temperature=1"):
        body = encode(request)
    assert "temperature" not in body and "top_p" not in body
    fine = encode(
        Request([Message.user("x")], reasoning=Reasoning("low"), temperature=1, top_p=0.96)
    )
    assert (fine["temperature"], fine["top_p"]) == (1, 0.96)


def test_seed_is_left_out_with_a_warning_and_extra_wins() -> None:
    with pytest.warns(UserWarning, match="no seed"):
        body = encode(Request([Message.user("x")], seed=7, extra={"top_k": 5, "max_tokens": 9}))
    assert "seed" not in body and body["top_k"] == 5 and body["max_tokens"] == 9


def test_api_version_2026_10_21_leaves_sampling_out() -> None:
    with pytest.warns(UserWarning, match="2026-10-21"):
        body = encode(Request([Message.user("x")], temperature=0.1), api_version="2026-10-21")
    assert "temperature" not in body


def test_thinking_is_kept_when_the_answered_turn_starts_with_its_thinking() -> None:
    thought = ReasoningPart("hmm", "sig", provider_data=MINE)
    request = Request(
        [
            Message.user("x"),
            Message("assistant", [thought, ToolCall("toolu_1", "add", {})]),
            Message.tool(ToolResult("toolu_1", "1")),
        ],
        tools=[ADD],
        reasoning=Reasoning("low"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        body = encode(request)
    assert body["thinking"]["type"] == "enabled"


# ------------------------------------------------------------------ responses


def test_decode_response_with_every_block_kind() -> None:
    data = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": [
            {"type": "thinking", "thinking": "Let me see.", "signature": "sig-1"},
            {"type": "redacted_thinking", "data": "enc"},
            {"type": "text", "text": "Calling.", "citations": [{"type": "char_location"}]},
            {"type": "tool_use", "id": "toolu_1", "name": "add", "input": {"a": 1}},
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 10,
            "cache_creation_input_tokens": 100,
            "cache_read_input_tokens": 1000,
            "output_tokens": 50,
            "output_tokens_details": {"thinking_tokens": 30},
        },
    }
    response = decode_response(data, request_id="req_1")
    parts = response.message.parts
    assert parts[0] == ReasoningPart("Let me see.", "sig-1", False, MINE)
    assert parts[1] == ReasoningPart("", "enc", True, {"anthropic": {"type": "redacted_thinking"}})
    assert parts[2] == TextPart(
        "Calling.", {"anthropic": {"citations": [{"type": "char_location"}]}}
    )
    assert response.tool_calls[0].arguments == {"a": 1}
    assert response.finish_reason == "tool_calls" and response.raw_finish_reason == "tool_use"
    assert (
        response.usage.input_tokens,
        response.usage.cache_read_tokens,
        response.usage.cache_write_tokens,
    ) == (1110, 1000, 100)
    assert (response.usage.output_tokens, response.usage.reasoning_tokens) == (50, 30)
    assert response.request_id == "req_1" and response.provider_data == {
        "anthropic": {"id": "msg_1"}
    }


@pytest.mark.parametrize(
    ("stop", "finish"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        ("pause_turn", "stop"),
        ("model_context_window_exceeded", "length"),
        ("something_new", "stop"),
    ],
)
def test_stop_reasons(stop: str, finish: str) -> None:
    response = decode_response({"content": [], "stop_reason": stop, "stop_sequence": "END"})
    assert (response.finish_reason, response.raw_finish_reason) == (finish, stop)
    assert response.provider_data == {"anthropic": {"stop_sequence": "END"}}


def test_answers_that_are_not_messages() -> None:
    with pytest.raises(InvalidResponseError, match="content"):
        decode_response({"type": "message"})
    with pytest.raises(InvalidResponseError, match="not an object"):
        decode_response([])
    with pytest.raises(OverloadedError, match="Overloaded"):
        decode_response(
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
        )


def test_usage_without_cache_fields() -> None:
    assert decode_usage({"input_tokens": 5, "output_tokens": 2}).total_tokens == 7
    assert decode_usage(None).requests == 1


# -------------------------------------------------------------------- streams


def sse(*events: dict[str, Any]) -> list[str]:
    return [json.dumps(e) for e in events]


STREAM = sse(
    {
        "type": "message_start",
        "message": {
            "id": "msg_1",
            "model": "claude-x",
            "content": [],
            "stop_reason": None,
            "usage": {"input_tokens": 12, "cache_read_input_tokens": 3, "output_tokens": 1},
        },
    },
    {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "thinking", "thinking": "", "signature": ""},
    },
    {"type": "ping"},
    {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "thinking_delta", "thinking": "Hm"},
    },
    {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "signature_delta", "signature": "sig"},
    },
    {"type": "content_block_stop", "index": 0},
    {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Let me "}},
    {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "add."}},
    {"type": "content_block_stop", "index": 1},
    {
        "type": "content_block_start",
        "index": 2,
        "content_block": {"type": "tool_use", "id": "toolu_1", "name": "add", "input": {}},
    },
    {
        "type": "content_block_delta",
        "index": 2,
        "delta": {"type": "input_json_delta", "partial_json": ""},
    },
    {
        "type": "content_block_delta",
        "index": 2,
        "delta": {"type": "input_json_delta", "partial_json": '{"a": '},
    },
    {
        "type": "content_block_delta",
        "index": 2,
        "delta": {"type": "input_json_delta", "partial_json": "1}"},
    },
    {"type": "content_block_stop", "index": 2},
    {
        "type": "message_delta",
        "delta": {"stop_reason": "tool_use", "stop_sequence": None},
        "usage": {"output_tokens": 42},
    },
    {"type": "message_stop"},
)


def test_stream_decoder_yields_the_event_vocabulary() -> None:
    decoder = StreamDecoder(request_id="req_9")
    events = [e for data in STREAM for e in decoder.feed(data)]
    assert events == [
        ReasoningDelta("Hm"),
        ReasoningDelta("", "sig"),
        TextDelta("Let me "),
        TextDelta("add."),
        ToolCallDelta(0, "toolu_1", "add", ""),
        ToolCallDelta(0, None, None, '{"a": '),
        ToolCallDelta(0, None, None, "1}"),
    ]
    assert decoder.done
    response = decoder.response()
    assert response.message.parts[0] == ReasoningPart("Hm", "sig", False, MINE)
    assert response.text == "Let me add." and response.tool_calls[0].arguments == {"a": 1}
    assert response.finish_reason == "tool_calls" and response.request_id == "req_9"
    assert (
        response.usage.input_tokens,
        response.usage.cache_read_tokens,
        response.usage.output_tokens,
    ) == (15, 3, 42)


def test_a_partial_stream_builds_a_partial_response() -> None:
    decoder = StreamDecoder()
    for data in STREAM[:13]:
        decoder.feed(data)
    response = decoder.response()
    assert not decoder.done and response.finish_reason == "error"
    (call,) = response.tool_calls
    assert call.raw_arguments == '{"a": ' and call.arguments == {} and call.arguments_error


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("overloaded_error", OverloadedError),
        ("rate_limit_error", RateLimitError),
        ("invalid_request_error", BadRequestError),
        ("authentication_error", AuthenticationError),
        ("not_found_error", NotFoundError),
        ("brand_new_error", ProviderError),
    ],
)
def test_an_error_event_raises_its_class(kind: str, error: type[Exception]) -> None:
    decoder = StreamDecoder(request_id="req_1")
    decoder.feed(STREAM[0])
    with pytest.raises(error, match="went wrong") as caught:
        decoder.feed(
            json.dumps({"type": "error", "error": {"type": kind, "message": "went wrong"}})
        )
    assert type(caught.value) is error
    assert caught.value.request_id == "req_1"  # type: ignore[attr-defined]


def test_a_stream_event_that_is_not_json() -> None:
    with pytest.raises(InvalidResponseError, match="not JSON"):
        StreamDecoder().feed('{"type": "message_st')


# --------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("status", "kind", "message", "cls", "hint"),
    [
        (
            400,
            "invalid_request_error",
            "prompt is too long: 210000 tokens > 200000 maximum",
            ContextLengthError,
            "Shorten",
        ),
        (401, "authentication_error", "invalid x-api-key", None, "ANTHROPIC_API_KEY"),
        (404, "not_found_error", "model: claude-nope", None, "claude-nope"),
        (
            413,
            "request_too_large",
            "Request exceeds the maximum allowed number of bytes.",
            None,
            "32 MB",
        ),
        (500, "overloaded_error", "Overloaded", OverloadedError, None),
        (529, "overloaded_error", "Overloaded", None, None),
    ],
)
def test_error_bodies(
    status: int, kind: str, message: str, cls: type | None, hint: str | None
) -> None:
    body = json.dumps(
        {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_1"}
    )
    info = AnthropicErrors("ANTHROPIC_API_KEY", "claude-nope").read(status, body.encode())
    assert (info.message, info.error_type, info.error_class) == (message, kind, cls)
    assert (hint is None and info.hint is None) or (hint is not None and hint in (info.hint or ""))


def test_an_error_body_that_is_not_anthropics_is_still_read() -> None:
    info = AnthropicErrors(None, "m").read(502, b"<html>bad gateway</html>")
    assert "bad gateway" in info.message

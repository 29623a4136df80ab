"""The Gemini wire format as pure functions: request bodies, answers, stream chunks, error bodies."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest

from llmkit import Message, Reasoning, Request, ToolCall, ToolResult, ToolSpec
from llmkit.errors import (
    AuthenticationError,
    ContentFilterError,
    ContextLengthError,
    InvalidResponseError,
    MissingAPIKeyError,
    ServerError,
    UsageError,
)
from llmkit.events import ReasoningDelta, TextDelta, ToolCallDelta
from llmkit.providers._profiles.gemini import gemini_profile
from llmkit.providers.gemini import GeminiModel
from llmkit.providers.gemini.decode import StreamDecoder, decode_response, decode_usage
from llmkit.providers.gemini.encode import PLACEHOLDER_SIGNATURE, encode_request
from llmkit.providers.gemini.errors import GeminiErrors, retry_delay_in_body
from llmkit.types import AudioPart, DocumentPart, ReasoningPart, TextPart

ADD = ToolSpec("add", "Add.", {"type": "object", "properties": {"a": {"type": "integer"}}})


def encode(request: Request, model_id: str = "gemini-2.5-flash") -> dict[str, Any]:
    return encode_request(request, model_id, gemini_profile(model_id))


def user(text: str = "hi", **fields: Any) -> Request:
    return Request([Message.user(text)], **fields)


# ----------------------------------------------------------------------- requests


@pytest.mark.parametrize(
    ("choice", "config"),
    [
        ("auto", {"mode": "AUTO"}),
        ("none", {"mode": "NONE"}),
        ("required", {"mode": "ANY"}),
        ("add", {"mode": "ANY", "allowedFunctionNames": ["add"]}),
    ],
)
def test_tool_choice(choice: str, config: dict[str, Any]) -> None:
    body = encode(user(tools=[ADD], tool_choice=choice))
    assert body["toolConfig"] == {"functionCallingConfig": config}


def test_tool_choice_naming_no_tool_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="names no tool"):
        encode(user(tools=[ADD], tool_choice="multiply"))


@pytest.mark.parametrize(
    ("model_id", "reasoning", "expected"),
    [
        (
            "gemini-2.5-flash",
            Reasoning(effort="high"),
            {"thinkingBudget": 24576, "includeThoughts": True},
        ),
        (
            "gemini-2.5-flash",
            Reasoning(budget_tokens=99999),
            {"thinkingBudget": 24576, "includeThoughts": True},
        ),
        ("gemini-2.5-flash", Reasoning(effort="none"), {"thinkingBudget": 0}),
        (
            "gemini-2.5-pro",
            Reasoning(budget_tokens=10),
            {"thinkingBudget": 128, "includeThoughts": True},
        ),
        (
            "gemini-3-pro-preview",
            Reasoning(effort="medium"),
            {"thinkingLevel": "high", "includeThoughts": True},
        ),
        (
            "gemini-3-flash-preview",
            Reasoning(effort="medium"),
            {"thinkingLevel": "medium", "includeThoughts": True},
        ),
        (
            "gemini-3-flash-preview",
            Reasoning(budget_tokens=500),
            {"thinkingLevel": "low", "includeThoughts": True},
        ),
    ],
)
def test_thinking_follows_the_model(
    model_id: str, reasoning: Reasoning, expected: dict[str, Any]
) -> None:
    body = encode(user(reasoning=reasoning), model_id)
    assert body["generationConfig"]["thinkingConfig"] == expected


def test_thinking_that_cannot_be_honoured_warns() -> None:
    with pytest.warns(UserWarning, match="not a thinking model"):
        body = encode(user(reasoning=Reasoning(effort="low")), "gemini-2.0-flash")
    assert "generationConfig" not in body
    with pytest.warns(UserWarning, match="cannot turn thinking off"):
        body = encode(user(reasoning=Reasoning(effort="none")), "gemini-2.5-pro")
    assert body["generationConfig"]["thinkingConfig"] == {"thinkingBudget": 128}


def test_media_and_documents() -> None:
    request = Request(
        [
            Message.user(
                DocumentPart(data=b"%PDF", media_type="application/pdf"),
                AudioPart(url="gs://bucket/clip.mp3"),
            )
        ]
    )
    parts = encode(request)["contents"][0]["parts"]
    assert parts == [
        {"inlineData": {"mimeType": "application/pdf", "data": "JVBERg=="}},
        {"fileData": {"fileUri": "gs://bucket/clip.mp3", "mimeType": "audio/mpeg"}},
    ]


def test_tool_results_take_their_name_from_the_call_and_wrap_errors() -> None:
    call = ToolCall("x1", "add", {"a": 1})
    request = Request(
        [
            Message.user("add"),
            Message.assistant("Let me add.", tool_calls=[call]),
            Message.tool(ToolResult("x1", "boom", is_error=True)),
        ]
    )
    contents = encode(request)["contents"]
    assert contents[1]["parts"] == [
        {"text": "Let me add."},
        {"functionCall": {"name": "add", "args": {"a": 1}}},
    ]
    assert contents[2]["parts"] == [
        {"functionResponse": {"name": "add", "response": {"error": "boom"}}}
    ]


def test_a_result_whose_call_is_unknown_is_refused_before_sending() -> None:
    request = Request([Message.user("x"), Message.tool(ToolResult("nope", "1"))])
    with pytest.raises(UsageError, match="call id 'nope' answers no tool call"):
        encode(request)
    named = Request([Message.user("x"), Message.tool(ToolResult("nope", "1", name="add"))])
    with pytest.raises(UsageError, match="call id 'nope'"):
        encode(named)


def test_placeholder_signature_only_on_gemini_3_and_only_on_the_first_call() -> None:
    calls = [ToolCall("a", "add", {}), ToolCall("b", "add", {})]
    request = Request(
        [
            Message.user("x"),
            Message.assistant(tool_calls=calls),
            Message.tool(ToolResult("a", "1"), ToolResult("b", "2")),
        ]
    )
    parts = encode(request, "gemini-3-pro-preview")["contents"][1]["parts"]
    assert parts[0]["thoughtSignature"] == PLACEHOLDER_SIGNATURE
    assert "thoughtSignature" not in parts[1]
    assert "thoughtSignature" not in encode(request, "gemini-2.5-flash")["contents"][1]["parts"][0]


def test_only_gemini_reasoning_goes_back() -> None:
    request = Request(
        [
            Message.user("x"),
            Message.assistant(
                "done",
                reasoning=[
                    ReasoningPart("theirs", "sig-a", provider_data={"anthropic": {}}),
                    ReasoningPart("ours", "c2ln", provider_data={"gemini": {}}),
                ],
            ),
        ]
    )
    parts = encode(request)["contents"][1]["parts"]
    assert parts == [
        {"text": "ours", "thought": True, "thoughtSignature": "c2ln"},
        {"text": "done"},
    ]


def test_extra_merges_into_objects_and_appends_tools() -> None:
    body = encode(
        user(
            temperature=0.5,
            tools=[ADD],
            extra={"generationConfig": {"topK": 3}, "tools": [{"googleSearch": {}}]},
        )
    )
    assert body["generationConfig"] == {"temperature": 0.5, "topK": 3}
    assert body["tools"][1] == {"googleSearch": {}}


def test_key_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GEMINI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(MissingAPIKeyError, match="GEMINI_API_KEY"):
        GeminiModel("gemini-2.5-flash")
    monkeypatch.setenv("GOOGLE_API_KEY", "google-key-1234")
    model = GeminiModel("models/gemini-2.5-flash")
    assert model.model_id == "gemini-2.5-flash"
    assert model.base_url == "https://generativelanguage.googleapis.com/v1beta"
    assert "google-key" not in repr(model) + repr(model._endpoint)
    monkeypatch.setenv("GEMINI_BASE_URL", "http://127.0.0.1:9/v1")
    assert GeminiModel("x").base_url == "http://127.0.0.1:9/v1"
    with pytest.raises(UsageError, match="API version"):
        GeminiModel("x", api_version="v2")


# ---------------------------------------------------------------------- answers


def answer(
    parts: list[dict[str, Any]], finish: str | None = "STOP", **extra: Any
) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    return {"candidates": [candidate], **extra}


def test_usage_counts_thoughts_as_output() -> None:
    usage = decode_usage(
        {
            "promptTokenCount": 10,
            "candidatesTokenCount": 5,
            "thoughtsTokenCount": 7,
            "cachedContentTokenCount": 4,
            "totalTokenCount": 22,
        }
    )
    assert (usage.input_tokens, usage.output_tokens, usage.reasoning_tokens) == (10, 12, 7)
    assert (usage.cache_read_tokens, usage.requests) == (4, 1)


@pytest.mark.parametrize(
    ("raw", "finish"),
    [
        ("STOP", "stop"),
        ("MAX_TOKENS", "length"),
        ("SAFETY", "content_filter"),
        ("SPII", "content_filter"),
        ("MALFORMED_FUNCTION_CALL", "error"),
    ],
)
def test_finish_reasons(raw: str, finish: str) -> None:
    response = decode_response(answer([{"text": "x"}], raw))
    assert (response.finish_reason, response.raw_finish_reason) == (finish, raw)


def test_calls_without_ids_are_numbered_and_signatures_kept() -> None:
    response = decode_response(
        answer(
            [
                {"text": "Thinking", "thought": True},
                {"functionCall": {"name": "a", "args": {"x": 1}}, "thoughtSignature": "c2ln"},
                {"functionCall": {"name": "b"}},
            ]
        )
    )
    reasoning, first, second = response.message.parts
    assert isinstance(reasoning, ReasoningPart) and reasoning.provider_data == {"gemini": {}}
    assert (first.id, second.id) == ("call_1", "call_2")  # type: ignore[union-attr]
    assert first.provider_data == {"gemini": {"thought_signature": "c2ln"}}
    assert second.arguments == {}  # type: ignore[union-attr]
    assert response.finish_reason == "tool_calls"


def test_blocked_prompt_names_the_reason() -> None:
    with pytest.raises(ContentFilterError, match="BLOCKLIST") as caught:
        decode_response({"promptFeedback": {"blockReason": "BLOCKLIST"}})
    assert caught.value.code == "BLOCKLIST" and not caught.value.retryable
    with pytest.raises(InvalidResponseError, match="without any candidates"):
        decode_response({"usageMetadata": {}})


def test_a_filtered_answer_that_said_something_is_kept() -> None:
    response = decode_response(answer([{"text": "Partial"}], "SAFETY"))
    assert response.text == "Partial" and response.finish_reason == "content_filter"


def chunk(parts: list[dict[str, Any]], finish: str | None = None, prompt: int = 3) -> str:
    data = answer(parts, finish, usageMetadata={"promptTokenCount": prompt})
    return json.dumps(data)


def test_stream_decoder_merges_text_and_signs_it() -> None:
    decoder = StreamDecoder()
    events = decoder.feed_data(chunk([{"text": "Hmm ", "thought": True}]))
    events += decoder.feed_data(chunk([{"text": "Hello "}]))
    events += decoder.feed_data(chunk([{"text": "world", "thoughtSignature": "c2ln"}], "STOP"))
    assert events == [ReasoningDelta("Hmm "), TextDelta("Hello "), TextDelta("world")]
    response = decoder.response()
    assert decoder.finished
    assert response.message.parts[1] == TextPart(
        "Hello world", {"gemini": {"thought_signature": "c2ln"}}
    )


def test_stream_decoder_emits_whole_calls() -> None:
    decoder = StreamDecoder()
    events = decoder.feed_data(
        chunk(
            [
                {"functionCall": {"name": "a", "args": {"x": 1}}},
                {"functionCall": {"id": "k", "name": "b", "args": {}}},
            ],
            "STOP",
        )
    )
    assert events == [ToolCallDelta(0, "call_1", "a", '{"x":1}'), ToolCallDelta(1, "k", "b", "{}")]


def test_an_error_mid_stream_comes_after_the_partial_content() -> None:
    decoder = StreamDecoder(request_id="r1")
    assert decoder.feed_data(chunk([{"text": "Half an "}])) == [TextDelta("Half an ")]
    error = {"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}}
    with pytest.raises(ServerError, match="overloaded") as caught:
        decoder.feed_data(json.dumps(error))
    assert caught.value.retryable and caught.value.request_id == "r1"
    assert decoder.response().text == "Half an "  # what arrived is still there
    assert not decoder.finished


def test_stream_chunk_that_is_not_json() -> None:
    with pytest.raises(InvalidResponseError, match="not JSON"):
        StreamDecoder().feed_data('{"candidates": [')


# ------------------------------------------------------------------------ errors


def error_body(code: int, status: str, message: str, *details: dict[str, Any]) -> bytes:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = list(details)
    return json.dumps({"error": error}).encode()


def test_error_parser_reads_the_reason_and_adds_hints() -> None:
    parse = GeminiErrors("gemini-x", "v1beta").read
    info = parse(
        400,
        error_body(
            400,
            "INVALID_ARGUMENT",
            "API key not valid. Please pass a valid API key.",
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"},
        ),
    )
    assert info.error_class is AuthenticationError and info.code == "API_KEY_INVALID"
    assert "GEMINI_API_KEY" in (info.hint or "")
    info = parse(
        400,
        error_body(
            400,
            "INVALID_ARGUMENT",
            "The input token count (5) exceeds the maximum number of tokens allowed (4).",
        ),
    )
    assert info.error_class is ContextLengthError
    info = parse(
        404, error_body(404, "NOT_FOUND", "models/gemini-x is not found for API version v1beta")
    )
    assert "api_version=" in (info.hint or "") and info.error_type == "NOT_FOUND"
    info = parse(502, b"<html>bad gateway</html>")
    assert info.message == "<html>bad gateway</html>"


def test_retry_delay_comes_from_retry_info() -> None:
    body = error_body(
        429,
        "RESOURCE_EXHAUSTED",
        "Quota exceeded.",
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "12.5s"},
    )
    assert retry_delay_in_body(body) == 12.5
    assert retry_delay_in_body(b"not json") is None
    assert retry_delay_in_body(error_body(429, "RESOURCE_EXHAUSTED", "x")) is None


def test_no_warning_for_a_plain_request() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        encode(user(tools=[ADD], temperature=1.0), "gemini-2.0-flash")

"""Usage a provider does not report is estimated from what was sent and what arrived, and flagged.

One rule for every protocol: a stream without usage (or cut short before it)
gets ``Usage(estimated=True)`` counted at about four characters a token from
the request and the answer, never 0/0, so limits and totals keep working.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import llmkit
from llmkit import Message, Request
from llmkit._usage import estimate_tokens, estimate_usage
from llmkit.errors import StreamInterruptedError
from llmkit.events import ModelResponse
from llmkit.providers.anthropic import decode as anthropic_decode
from llmkit.providers.gemini import decode as gemini_decode
from llmkit.providers.ollama import decode as ollama_decode
from llmkit.providers.openai import decode as openai_decode
from llmkit.testing import FakeProviderServer, Fault
from llmkit.types import Usage

pytestmark = pytest.mark.anyio

KEY = "sk-test-0123456789"
ANSWER = "Twelve characters of text, then some more to count."
REQUEST = Request([Message.user("How long is this question?")])


def test_the_estimate_counts_four_characters_a_token_from_request_and_answer() -> None:
    assert [estimate_tokens(n) for n in (0, 1, 4, 5, 8)] == [0, 1, 1, 2, 2]
    usage = estimate_usage(REQUEST, Message.assistant(ANSWER))
    assert usage == Usage(
        estimate_tokens(len("How long is this question?")),
        estimate_tokens(len(ANSWER)),
        requests=1,
        estimated=True,
    )


async def streamed(model: Any, request: Request = REQUEST) -> Any:
    events = [e async for e in model.stream(request)]
    last = events[-1]
    assert isinstance(last, ModelResponse)
    return last.response


async def test_openai_stream_without_usage_is_estimated_not_zero(
    llmkit_fake_server: FakeProviderServer,
) -> None:
    server = llmkit_fake_server
    server.script([ANSWER, ANSWER])
    # Mistral's preset asks for no usage in streams; the fake then sends none.
    model = llmkit.model("mistral/mistral-small", base_url=server.openai_base_url, api_key=KEY)
    response = await streamed(model)
    assert "stream_options" not in server.requests[0].json
    assert response.usage == estimate_usage(REQUEST, response.message)
    assert response.usage.output_tokens == estimate_tokens(len(ANSWER)) > 0
    # The same answer with usage reported is exact.
    reported = await model.generate(REQUEST)
    assert reported.usage.estimated is False and reported.usage.output_tokens > 0


async def test_llamacpp_stream_usage_is_estimated(llmkit_fake_server: FakeProviderServer) -> None:
    server = llmkit_fake_server
    server.script([ANSWER])
    model = llmkit.model("llamacpp/gemma", base_url=server.llamacpp_base_url)
    response = await streamed(model)
    assert response.usage.estimated and response.usage.output_tokens == estimate_tokens(len(ANSWER))


async def test_a_stream_cut_short_carries_an_estimate_of_what_arrived(
    llmkit_fake_server: FakeProviderServer,
) -> None:
    server = llmkit_fake_server
    server.script([Fault.drop(after_events=4, turn=ANSWER)])
    model = llmkit.model("openai/gpt-4.1-mini", base_url=server.openai_base_url, api_key=KEY)
    with pytest.raises(StreamInterruptedError) as caught:
        await streamed(model)
    partial = caught.value.partial
    assert partial.text and partial.usage.estimated
    assert partial.usage.output_tokens == estimate_tokens(len(partial.text))


# ------------------------------------------------- every decoder, the same rule


def test_openai_decoders_estimate_missing_usage() -> None:
    decoder = openai_decode.StreamDecoder(request=REQUEST)
    decoder.feed({"choices": [{"delta": {"content": ANSWER}, "finish_reason": None}]})
    decoder.feed({"choices": [{"delta": {}, "finish_reason": "stop"}]})
    usage = decoder.response().usage
    assert usage.estimated and usage.output_tokens == estimate_tokens(len(ANSWER))
    body = {"choices": [{"message": {"role": "assistant", "content": ANSWER}}]}
    assert openai_decode.decode_response(body, request=REQUEST).usage == usage


def test_anthropic_stream_broken_after_message_start_keeps_the_prompt_count() -> None:
    decoder = anthropic_decode.StreamDecoder(request=REQUEST)
    start = {"id": "m", "model": "c", "usage": {"input_tokens": 42, "output_tokens": 1}}
    decoder.feed(json.dumps({"type": "message_start", "message": start}))
    decoder.feed(
        json.dumps({"type": "content_block_start", "index": 0, "content_block": {"type": "text"}})
    )
    decoder.feed(
        json.dumps(
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": ANSWER},
            }
        )
    )
    usage = decoder.response().usage
    assert usage.estimated
    assert (usage.input_tokens, usage.output_tokens) == (42, estimate_tokens(len(ANSWER)))
    decoder.feed(
        json.dumps(
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn"},
                "usage": {"output_tokens": 9},
            }
        )
    )
    assert decoder.response().usage == Usage(42, 9, requests=1)
    body = {"content": [{"type": "text", "text": ANSWER}], "stop_reason": "end_turn"}
    assert anthropic_decode.decode_response(body, request=REQUEST).usage.estimated


def test_gemini_decoders_estimate_missing_usage() -> None:
    chunk = {"candidates": [{"content": {"role": "model", "parts": [{"text": ANSWER}]}}]}
    decoder = gemini_decode.StreamDecoder(request=REQUEST)
    decoder.feed(chunk)
    assert decoder.response().usage.estimated  # no finish yet: the counts are not complete
    decoder.feed({"candidates": [{"finishReason": "STOP"}]})
    usage = decoder.response().usage
    assert usage.estimated and usage.output_tokens == estimate_tokens(len(ANSWER))
    whole = {"candidates": [{**chunk["candidates"][0], "finishReason": "STOP"}]}
    assert gemini_decode.decode_response(whole, request=REQUEST).usage == usage


def test_ollama_decoders_estimate_missing_usage() -> None:
    decoder = ollama_decode.StreamDecoder(request=REQUEST)
    decoder.feed({"message": {"role": "assistant", "content": ANSWER}, "done": False})
    decoder.feed({"message": {"role": "assistant", "content": ""}, "done": True})
    usage = decoder.response().usage
    assert usage.estimated and usage.output_tokens == estimate_tokens(len(ANSWER))
    counted = ollama_decode.StreamDecoder(request=REQUEST)
    counted.feed(
        {"message": {"content": ANSWER}, "done": True, "prompt_eval_count": 7, "eval_count": 5}
    )
    assert counted.response().usage == Usage(7, 5, requests=1)

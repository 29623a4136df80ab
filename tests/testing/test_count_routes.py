"""The fake server's token-count routes over raw HTTP: Anthropic's and Gemini's.

Each answers with the count the same body's generate call reports as its input tokens,
checks the body as its generate route does, refuses what the real route refuses, and takes
no script turn.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from llmkit.testing import FakeProviderServer

A_HEADERS = {"x-api-key": "sk-ant-count-0123456789", "anthropic-version": "2023-06-01"}
A_BODY: dict[str, Any] = {
    "model": "claude-sonnet-4-5",
    "system": "Be brief and exact in every answer you give.",
    "messages": [{"role": "user", "content": "How many tokens does this question cost?"}],
}
G_KEY = {"x-goog-api-key": "AIza-count-0123456789"}
G_COUNT = "/v1beta/models/gemini-2.5-flash:countTokens"
G_GENERATE = "/v1beta/models/gemini-2.5-flash:generateContent"
G_INNER: dict[str, Any] = {
    "systemInstruction": {"parts": [{"text": "Be brief and exact in every answer you give."}]},
    "contents": [{"role": "user", "parts": [{"text": "How many tokens does this cost?"}]}],
}


@pytest.fixture
def server(llmkit_fake_server: FakeProviderServer) -> FakeProviderServer:
    return llmkit_fake_server


@pytest.fixture
def anthropic(server: FakeProviderServer) -> Iterator[httpx2.Client]:
    with httpx2.Client(base_url=server.anthropic_base_url, headers=A_HEADERS, timeout=10) as c:
        yield c


@pytest.fixture
def gemini(server: FakeProviderServer) -> Iterator[httpx2.Client]:
    with httpx2.Client(base_url=server.url, headers=G_KEY, timeout=10) as c:
        yield c


def test_anthropic_counts_what_the_messages_route_reports(
    server: FakeProviderServer, anthropic: httpx2.Client
) -> None:
    r = anthropic.post("/v1/messages/count_tokens", json=A_BODY)
    assert r.status_code == 200 and r.headers["request-id"]
    counted = r.json()
    assert list(counted) == ["input_tokens"] and counted["input_tokens"] > 10
    server.script(["ok"])  # the count took no turn: this one is still there
    answered = anthropic.post("/v1/messages", json={**A_BODY, "max_tokens": 50})
    assert answered.json()["usage"]["input_tokens"] == counted["input_tokens"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"max_tokens": 50}, "max_tokens: Extra inputs are not permitted"),
        ({"stream": True}, "stream: Extra inputs are not permitted"),
        ({"messages": None}, "messages: Field required"),
        ({"messages": []}, "at least one message is required"),
        ({"tools": [{"name": "bad name!", "input_schema": {"type": "object"}}]}, "tools"),
    ],
)
def test_anthropic_refuses_what_the_real_route_refuses(
    anthropic: httpx2.Client, change: dict[str, Any], message: str
) -> None:
    body = {**A_BODY, **change}
    body = {k: v for k, v in body.items() if v is not None}
    r = anthropic.post("/v1/messages/count_tokens", json=body)
    assert r.status_code == 400, r.text
    assert r.json()["type"] == "error" and message in r.json()["error"]["message"]


def test_anthropic_counts_need_the_key_and_a_known_model(server: FakeProviderServer) -> None:
    with httpx2.Client(base_url=server.anthropic_base_url, timeout=10) as bare:
        r = bare.post(
            "/v1/messages/count_tokens",
            json=A_BODY,
            headers={"anthropic-version": "2023-06-01"},
        )
        assert r.status_code == 401
    with FakeProviderServer(models={"claude-haiku-4-5"}) as strict:
        r = httpx2.post(
            strict.anthropic_base_url + "/v1/messages/count_tokens", json=A_BODY, headers=A_HEADERS
        )
        assert r.status_code == 404 and r.json()["error"]["type"] == "not_found_error"


def test_gemini_counts_what_generate_reports(
    server: FakeProviderServer, gemini: httpx2.Client
) -> None:
    whole = {"generateContentRequest": {"model": "models/gemini-2.5-flash", **G_INNER}}
    r = gemini.post(G_COUNT, json=whole)
    assert r.status_code == 200, r.text
    counted = r.json()
    assert counted["totalTokens"] > 10
    assert counted["promptTokensDetails"] == [
        {"modality": "TEXT", "tokenCount": counted["totalTokens"]}
    ]
    server.script(["ok"])  # the count took no turn
    answered = gemini.post(G_GENERATE, json=G_INNER).json()
    assert answered["usageMetadata"]["promptTokenCount"] == counted["totalTokens"]
    # contents alone count the contents only (no system instruction).
    alone = gemini.post(G_COUNT, json={"contents": G_INNER["contents"]}).json()
    assert 0 < alone["totalTokens"] < counted["totalTokens"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "contents is not specified"),
        (
            {"contents": G_INNER["contents"], "generateContentRequest": {"model": "x"}},
            "mutually exclusive",
        ),
        ({"generateContentRequest": G_INNER}, "model is not specified"),
        (
            {"generateContentRequest": {"model": "models/gemini-2.5-pro", **G_INNER}},
            "must be the model",
        ),
        ({"contents": G_INNER["contents"], "nope": 1}, 'Unknown name "nope"'),
        ({"contents": [{"role": "bot", "parts": [{"text": "hi"}]}]}, "valid role"),
    ],
)
def test_gemini_refuses_bad_count_bodies(
    gemini: httpx2.Client, body: dict[str, Any], message: str
) -> None:
    r = gemini.post(G_COUNT, json=body)
    assert r.status_code == 400, r.text
    assert message in r.json()["error"]["message"]


def test_gemini_counts_need_a_key_and_a_generating_model(server: FakeProviderServer) -> None:
    with httpx2.Client(base_url=server.url, timeout=10) as bare:
        assert bare.post(G_COUNT, json={"contents": G_INNER["contents"]}).status_code == 403
    with httpx2.Client(base_url=server.url, headers=G_KEY, timeout=10) as keyed:
        r = keyed.post(
            "/v1beta/models/gemini-embedding-001:countTokens",
            json={"contents": G_INNER["contents"]},
        )
        assert r.status_code == 404 and r.json()["error"]["status"] == "NOT_FOUND"

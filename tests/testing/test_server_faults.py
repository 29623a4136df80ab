"""Faults and scripted exceptions as the fake server sends them over the wire."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from typing import Any

import httpx2
import pytest

import llmkit
from llmkit import Message, Request
from llmkit.errors import (
    AuthenticationError,
    BadRequestError,
    ContentFilterError,
    ContextLengthError,
    InvalidResponseError,
    NotFoundError,
    OverloadedError,
    PermissionDeniedError,
    ProviderConnectionError,
    RateLimitError,
    ServerError,
    StreamInterruptedError,
    UsageError,
)
from llmkit.testing import FakeProviderServer, Fault

BODY: dict[str, Any] = {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "hi"}]}
STREAM: dict[str, Any] = {**BODY, "stream": True}


@pytest.fixture(autouse=True)
def _no_server_error_logs(caplog: pytest.LogCaptureFixture) -> Any:
    """Faults are normal operation: the HTTP server must not log errors for them."""
    caplog.set_level(logging.WARNING)
    yield
    assert [r for r in caplog.records if r.name.startswith("uvicorn")] == []


def content(r: httpx2.Response) -> str:
    text: str = r.json()["choices"][0]["message"]["content"]
    return text


def read_raw(client: httpx2.Client, body: dict[str, Any]) -> tuple[list[bytes], Exception | None]:
    """The raw chunks of a streamed answer, and the error that ended it early (if any)."""
    received: list[bytes] = []
    try:
        with client.stream("POST", "/chat/completions", json=body) as r:
            assert r.status_code == 200
            for chunk in r.iter_raw():
                received.append(chunk)
    except httpx2.RemoteProtocolError as exc:
        return received, exc
    return received, None


# ------------------------------------------------------------------ status faults


@pytest.mark.parametrize(
    ("status", "kind", "code", "message_start"),
    [
        (400, "invalid_request_error", None, "Your request was malformed."),
        (401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
        (403, "invalid_request_error", None, "Your API key may not use"),
        (404, "invalid_request_error", "model_not_found", "The model does not exist"),
        (409, "invalid_request_error", None, "Another request"),
        (429, "requests", "rate_limit_exceeded", "Rate limit reached for requests."),
        (500, "server_error", None, "The server had an error"),
        (502, "server_error", None, "The server answered HTTP 502."),
        (503, "server_error", None, "The engine is currently overloaded"),
        (418, "invalid_request_error", None, "The request failed with HTTP 418."),
    ],
)
def test_status_fault_defaults(
    status: int,
    kind: str,
    code: str | None,
    message_start: str,
    client: httpx2.Client,
    server: FakeProviderServer,
) -> None:
    server.script([Fault.status(status)])
    r = client.post("/chat/completions", json=BODY)
    assert r.status_code == status
    error = r.json()["error"]
    assert (error["type"], error["code"], error["param"]) == (kind, code, None)
    assert error["message"].startswith(message_start)
    assert "retry-after" not in r.headers
    assert r.headers["x-request-id"].startswith("req_")
    assert [(q.path, q.status) for q in server.requests] == [("/v1/chat/completions", status)]


def test_status_fault_overrides_and_retry_headers(
    client: httpx2.Client, server: FakeProviderServer
) -> None:
    server.script(
        [
            Fault.status(
                429, "Tokens exhausted.", error_type="tokens", code_str="quota", retry_after=2
            ),
            Fault.status(503, retry_after_ms=250),
            Fault.status(429, retry_after=0.5),
        ]
    )
    r = client.post("/chat/completions", json=BODY)
    assert (r.status_code, r.headers["retry-after"]) == (429, "2")
    assert r.json()["error"] == {
        "message": "Tokens exhausted.",
        "type": "tokens",
        "param": None,
        "code": "quota",
    }
    r = client.post("/chat/completions", json=BODY)
    assert (r.status_code, r.headers["retry-after-ms"]) == (503, "250")
    assert "retry-after" not in r.headers
    assert client.post("/chat/completions", json=BODY).headers["retry-after"] == "0.5"


def test_fault_consumes_one_turn(client: httpx2.Client, server: FakeProviderServer) -> None:
    server.script([Fault.status(429, retry_after=0), "hello"])
    assert client.post("/chat/completions", json=BODY).status_code == 429
    r = client.post("/chat/completions", json=BODY)
    assert (r.status_code, content(r)) == (200, "hello")
    assert [q.status for q in server.requests] == [429, 200]


def test_status_fault_in_a_stream_is_a_plain_error(
    client: httpx2.Client, server: FakeProviderServer
) -> None:
    server.script([Fault.status(500)])
    r = client.post("/chat/completions", json=STREAM)
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/json"
    assert r.json()["error"]["type"] == "server_error"


def test_fault_status_rejects_non_error_codes() -> None:
    with pytest.raises(UsageError, match="400-599"):
        Fault.status(200)
    with pytest.raises(UsageError, match="0 or more"):
        Fault.slow(-1)
    with pytest.raises(UsageError, match="0 or more"):
        Fault.drop(after_events=-1)


def test_context_length_fault(client: httpx2.Client, server: FakeProviderServer) -> None:
    server.script([Fault.context_length()])
    r = client.post("/chat/completions", json=BODY)
    assert r.status_code == 400
    error = r.json()["error"]
    assert (error["type"], error["param"], error["code"]) == (
        "invalid_request_error",
        "messages",
        "context_length_exceeded",
    )
    assert error["message"].startswith("This model's maximum context length is")
    assert server.requests[0].status == 400


# ------------------------------------------------------------------ broken answers


def test_drop_without_response(client: httpx2.Client, server: FakeProviderServer) -> None:
    server.script([Fault.drop(), "after"])
    with pytest.raises(httpx2.RemoteProtocolError, match="without sending a response"):
        client.post("/chat/completions", json=BODY)
    assert [(q.path, q.status) for q in server.requests] == [("/v1/chat/completions", None)]
    assert content(client.post("/chat/completions", json=BODY)) == "after"


@pytest.mark.parametrize("after", [0, 1, 3])
def test_drop_mid_stream_after_n_events(
    after: int, client: httpx2.Client, server: FakeProviderServer
) -> None:
    server.script([Fault.drop(after_events=after, turn="one two three four five six")])
    received, error = read_raw(client, STREAM)
    assert isinstance(error, httpx2.RemoteProtocolError)
    raw = b"".join(received)
    events = [e for e in raw.split(b"\n\n") if e]
    assert len(events) == after
    assert raw.endswith(b"\n\n") or raw == b""
    assert all(json.loads(e[len(b"data: ") :])["object"] == "chat.completion.chunk" for e in events)
    assert b"[DONE]" not in raw
    assert server.requests[0].status is None


@pytest.mark.parametrize("after", [0, 1, 3])
@pytest.mark.parametrize("usage", [False, True])
def test_end_early_ends_the_stream_with_done_and_no_finish_reason(
    after: int, usage: bool, client: httpx2.Client, server: FakeProviderServer
) -> None:
    server.script([Fault.end_early(after_events=after, turn="one two three four five six")])
    body = {**STREAM, "stream_options": {"include_usage": True}} if usage else STREAM
    received, error = read_raw(client, body)
    assert error is None  # a clean end, not a dropped connection
    events = [e for e in b"".join(received).split(b"\n\n") if e]
    assert events[-1] == b"data: [DONE]"
    chunks = [json.loads(e[len(b"data: ") :]) for e in events[:-1]]
    assert len(chunks) == after
    assert all(c["choices"] and c["choices"][0]["finish_reason"] is None for c in chunks)
    assert all(c.get("usage") is None for c in chunks)
    assert server.requests[0].status == 200


def test_end_early_is_refused_by_protocols_without_an_end_marker(
    server: FakeProviderServer,
) -> None:
    server.script([Fault.end_early()])
    model = llmkit.model(
        "anthropic/claude-sonnet-4-5",
        base_url=server.anthropic_base_url,
        api_key="test",
        max_retries=0,
    )
    with pytest.raises(ServerError):
        model.generate_sync(Request([Message.user("hi")]))
    assert "served by the OpenAI protocol only" in str(server.errors[0])


def test_drop_mid_event_sends_half_an_event(
    client: httpx2.Client, server: FakeProviderServer
) -> None:
    server.script([Fault.drop(after_events=2, mid_event=True)])
    received, error = read_raw(client, STREAM)
    assert error is not None
    raw = b"".join(received)
    *whole, half = raw.split(b"\n\n")
    assert len(whole) == 2
    assert half.startswith(b"data: {")
    with pytest.raises(json.JSONDecodeError):
        json.loads(half[len(b"data: ") :])


def test_slow_holds_the_first_byte_then_serves(
    client: httpx2.Client, server: FakeProviderServer
) -> None:
    # A hold far longer than the client's read timeout: the client gives up before any byte,
    # whatever the machine's load; a short hold then serves its answer.
    server.script(
        [
            Fault.slow(30, then="late"),
            Fault.slow(0.05, then="late"),
            Fault.slow(30, then="late stream"),
            Fault.slow(0.05, then="late stream"),
        ]
    )
    with pytest.raises(httpx2.ReadTimeout):
        client.post("/chat/completions", json=BODY, timeout=0.2)
    assert content(client.post("/chat/completions", json=BODY)) == "late"
    with (
        pytest.raises(httpx2.ReadTimeout),
        client.stream("POST", "/chat/completions", json=STREAM, timeout=0.2) as r,
    ):
        next(r.iter_raw())
    with client.stream("POST", "/chat/completions", json=STREAM) as r:
        assert next(r.iter_raw()).startswith(b"data: ")


def test_slow_lets_a_client_time_out_and_retry(server: FakeProviderServer) -> None:
    server.script([Fault.slow(30), "in time"])
    with httpx2.Client(base_url=server.openai_base_url, headers={"authorization": "Bearer k"}) as c:
        with pytest.raises(httpx2.ReadTimeout):
            c.post("/chat/completions", json=BODY, timeout=0.2)
        assert content(c.post("/chat/completions", json=BODY, timeout=5)) == "in time"


def test_malformed_json(client: httpx2.Client, server: FakeProviderServer) -> None:
    server.script([Fault.malformed_json(), Fault.malformed_json()])
    r = client.post("/chat/completions", json=BODY)
    assert (r.status_code, r.headers["content-type"]) == (200, "application/json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.content)
    received, error = read_raw(client, STREAM)
    assert error is None
    events = b"".join(received)[:-2].split(b"\n\n")
    assert json.loads(events[0][6:])["choices"][0]["delta"]["role"] == "assistant"
    with pytest.raises(json.JSONDecodeError):
        json.loads(events[1][6:])
    assert events[-1] == b"data: [DONE]"
    assert [q.status for q in server.requests] == [200, 200]


@pytest.mark.parametrize("status", [200, 502])
def test_html_page(status: int, client: httpx2.Client, server: FakeProviderServer) -> None:
    server.script([Fault.html(status)])
    r = client.post("/chat/completions", json=STREAM)
    assert r.status_code == status
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.text.startswith("<!DOCTYPE html>")
    assert server.requests[0].status == status


# -------------------------------------------------------------- scripted exceptions


@pytest.mark.parametrize(
    ("turn", "status", "code"),
    [
        (RateLimitError, 429, "rate_limit_exceeded"),
        (AuthenticationError("no"), 401, "invalid_api_key"),
        (PermissionDeniedError("no"), 403, None),
        (NotFoundError("no"), 404, "model_not_found"),
        (BadRequestError("no"), 400, None),
        (ContextLengthError("too long"), 400, "context_length_exceeded"),
        (ContentFilterError("no"), 400, "content_filter"),
        (ServerError("boom"), 500, None),
        (OverloadedError, 503, None),
        (ServerError("bad gateway", status=502), 502, None),
        (ValueError("a bug"), 500, None),
        (KeyError, 500, None),
    ],
)
def test_exception_turn_becomes_matching_http_error(
    turn: Any, status: int, code: str | None, client: httpx2.Client, server: FakeProviderServer
) -> None:
    server.script([turn])
    r = client.post("/chat/completions", json=BODY)
    assert r.status_code == status
    assert r.json()["error"]["code"] == code
    assert server.requests[0].status == status
    assert server.errors == []  # a scripted exception is not a problem in the test


def test_connection_and_protocol_exceptions(
    client: httpx2.Client, server: FakeProviderServer
) -> None:
    server.script(
        [
            ProviderConnectionError("gone"),
            InvalidResponseError("junk"),
            StreamInterruptedError("cut"),
        ]
    )
    with pytest.raises(httpx2.RemoteProtocolError):
        client.post("/chat/completions", json=BODY)
    with pytest.raises(json.JSONDecodeError):
        client.post("/chat/completions", json=BODY).json()
    received, error = read_raw(client, STREAM)
    assert error is not None
    assert len([e for e in b"".join(received).split(b"\n\n") if e]) == 1


def test_stop_does_not_wait_long_for_a_slow_request() -> None:
    server = FakeProviderServer([Fault.slow(3600)]).start()
    url = server.openai_base_url + "/chat/completions"

    def call() -> None:
        with contextlib.suppress(httpx2.HTTPError):
            httpx2.post(url, json=BODY, headers={"authorization": "Bearer k"}, timeout=None)

    caller = threading.Thread(target=call, daemon=True)
    caller.start()
    while not server.requests:
        time.sleep(0.01)
    server.stop()
    # The request would take an hour and the client never gives up: it ended because
    # stop() ended it (the join only bounds a failing test).
    caller.join(60)
    assert not caller.is_alive()

"""The fake provider server over real HTTP: lifecycle, auth, routes, answers and recording."""

from __future__ import annotations

import asyncio
import base64
import struct
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from llmkit.errors import RateLimitError, UsageError
from llmkit.testing import FakeProviderServer, RecordedRequest, ScriptExhaustedError, tool_call
from llmkit.testing._vectors import text_vector
from llmkit.types import Message, Request, Response, TextPart, ToolCall, Usage

BODY: dict[str, Any] = {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "hi"}]}


def error_of(r: httpx2.Response) -> dict[str, Any]:
    error: dict[str, Any] = r.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    return error


# ----------------------------------------------------------------------- lifecycle


def test_start_stop_and_addresses() -> None:
    server = FakeProviderServer(["hello"])
    with pytest.raises(UsageError, match="not running"):
        _ = server.url
    server.start()
    try:
        assert server.running
        assert server.url.startswith("http://127.0.0.1:")
        assert server.openai_base_url == server.url + "/v1"
        assert server.start() is server  # starting twice is harmless
        r = httpx2.post(
            server.openai_base_url + "/chat/completions",
            json=BODY,
            headers={"authorization": "Bearer k"},
        )
        assert r.json()["choices"][0]["message"]["content"] == "hello"
    finally:
        server.stop()
    assert not server.running
    server.stop()  # idempotent
    assert repr(server) == "<FakeProviderServer not running>"


def test_two_servers_get_different_ports() -> None:
    with FakeProviderServer() as a, FakeProviderServer() as b:
        assert a.url != b.url


def test_a_port_in_use_is_a_usage_error_naming_it_and_the_server_can_start_elsewhere() -> None:
    with FakeProviderServer() as first:
        port = int(first.url.rsplit(":", 1)[1])
        second = FakeProviderServer(["hello"], port=port)
        with pytest.raises(UsageError, match=f"Cannot listen on 127.0.0.1:{port}"):
            second.start()
        assert not second.running
        assert repr(second) == "<FakeProviderServer not running>"


# ---------------------------------------------------------------------------- auth


@pytest.fixture(scope="module")
def strict_server(api_key: str) -> Iterator[FakeProviderServer]:
    """A server that takes one key and serves two models."""
    with FakeProviderServer(api_key=api_key, models={"gpt-4o", "text-embedding-3-small"}) as server:
        yield server


@pytest.fixture
def strict(strict_server: FakeProviderServer) -> FakeProviderServer:
    strict_server.reset()
    return strict_server


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Basic abc", "key-without-scheme"])
def test_missing_bearer_key_is_401(
    strict: FakeProviderServer, authorization: str | None, api_key: str
) -> None:
    if authorization == "key-without-scheme":
        authorization = api_key
    headers = {} if authorization is None else {"authorization": authorization}
    r = httpx2.post(strict.openai_base_url + "/chat/completions", json=BODY, headers=headers)
    assert r.status_code == 401
    error = error_of(r)
    assert error["message"].startswith("You didn't provide an API key.")
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", None, None)
    assert [(q.path, q.status) for q in strict.requests] == [("/v1/chat/completions", 401)]


def test_wrong_key_is_401_invalid_api_key_and_never_echoed(strict: FakeProviderServer) -> None:
    wrong = "sk-wrong-secret-value-987654"
    r = httpx2.post(
        strict.openai_base_url + "/chat/completions",
        json={**BODY, "model": "gpt-4o"},
        headers={"authorization": f"Bearer {wrong}"},
    )
    assert r.status_code == 401
    error = error_of(r)
    assert error["code"] == "invalid_api_key"
    assert error["message"].startswith("Incorrect API key provided: sk-****54.")
    assert wrong not in r.text
    assert strict.requests[0].status == 401


def test_any_key_is_accepted_without_api_key_option(
    client: httpx2.Client, server: FakeProviderServer
) -> None:
    server.script(["ok"])
    r = client.post("/chat/completions", json=BODY, headers={"authorization": "Bearer anything"})
    assert r.status_code == 200


def test_unknown_model_is_404(strict: FakeProviderServer, api_key: str) -> None:
    headers = {"authorization": f"Bearer {api_key}"}
    r = httpx2.post(strict.openai_base_url + "/chat/completions", json=BODY, headers=headers)
    assert r.status_code == 404
    assert error_of(r) == {
        "message": "The model `gpt-4.1-mini` does not exist or you do not have access to it.",
        "type": "invalid_request_error",
        "param": None,
        "code": "model_not_found",
    }
    embed = {"model": "text-embedding-ada-002", "input": "x"}
    r = httpx2.post(strict.openai_base_url + "/embeddings", json=embed, headers=headers)
    assert r.status_code == 404
    assert [q.status for q in strict.requests] == [404, 404]


def test_models_list_and_retrieve(strict: FakeProviderServer, api_key: str) -> None:
    headers = {"authorization": f"Bearer {api_key}"}
    r = httpx2.get(strict.openai_base_url + "/models", headers=headers)
    assert r.status_code == 200
    assert r.json()["object"] == "list"
    assert [m["id"] for m in r.json()["data"]] == ["gpt-4o", "text-embedding-3-small"]
    assert httpx2.get(strict.openai_base_url + "/models/gpt-4o", headers=headers).json()["id"] == (
        "gpt-4o"
    )
    r = httpx2.get(strict.openai_base_url + "/models/gpt-3", headers=headers)
    assert r.status_code == 404
    assert error_of(r)["code"] == "model_not_found"
    assert httpx2.get(strict.openai_base_url + "/models").status_code == 401
    assert [q.path for q in strict.requests][-1] == "/v1/models"


def test_default_models_list(client: httpx2.Client) -> None:
    ids = [m["id"] for m in client.get("/models").json()["data"]]
    assert "gpt-4.1-mini" in ids
    assert all(m["object"] == "model" for m in client.get("/models").json()["data"])


# --------------------------------------------------------------- malformed requests


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[1, 2]", b"\xff\xfe"])
def test_body_that_is_not_a_json_object_is_400(
    raw: bytes, client: httpx2.Client, server: FakeProviderServer
) -> None:
    r = client.post("/chat/completions", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 400
    error = error_of(r)
    assert error["message"].startswith("We could not parse the JSON body of your request.")
    assert (error["param"], error["code"]) == (None, None)
    recorded = server.requests[0]
    assert recorded.body == raw
    assert recorded.json is None or recorded.json == [1, 2]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/completions"),
        ("GET", "/v1/chat/completions"),
        ("POST", "/v2/models"),
        ("DELETE", "/"),
    ],
)
def test_unknown_route_is_404_invalid_url(
    method: str, path: str, server: FakeProviderServer
) -> None:
    r = httpx2.request(method, server.url + path, headers={"authorization": "Bearer k"})
    assert r.status_code == 404
    assert error_of(r) == {
        "message": f"Invalid URL ({method} {path})",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    assert r.headers["x-request-id"].startswith("req_")
    assert [(q.method, q.path, q.status) for q in server.requests] == [(method, path, 404)]


# ------------------------------------------------------------------------ answers


def test_text_answer_shape(client: httpx2.Client, server: FakeProviderServer) -> None:
    server.script(["Hello there, friend."])
    r = client.post("/chat/completions", json=BODY)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    request_id = r.headers["x-request-id"]
    data = r.json()
    assert data["object"] == "chat.completion"
    assert data["id"].startswith("chatcmpl-")
    assert data["model"] == "gpt-4.1-mini"
    assert isinstance(data["created"], int)
    assert data["choices"] == [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "Hello there, friend.",
                "refusal": None,
                "annotations": [],
            },
            "logprobs": None,
            "finish_reason": "stop",
        }
    ]
    assert data["usage"] == {
        "prompt_tokens": 1,
        "completion_tokens": 5,
        "total_tokens": 6,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }
    # Every answer gets its own request id.
    assert client.post("/models").status_code == 404
    assert client.get("/models").headers["x-request-id"] != request_id


def test_tool_call_answer_with_generated_ids_and_raw_arguments(
    client: httpx2.Client, server: FakeProviderServer
) -> None:
    broken = ToolCall("", "search", raw_arguments='{"query": "cats", "lim')
    server.script([[tool_call("add", a=1, b=2), broken], tool_call("add", a=3, b=4)])
    first = client.post("/chat/completions", json=BODY).json()["choices"][0]
    assert first["finish_reason"] == "tool_calls"
    assert first["message"]["content"] is None
    assert first["message"]["tool_calls"] == [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "add", "arguments": '{"a":1,"b":2}'},
        },
        {
            "id": "call_2",
            "type": "function",
            "function": {"name": "search", "arguments": '{"query": "cats", "lim'},
        },
    ]
    second = client.post("/chat/completions", json=BODY).json()["choices"][0]
    assert second["message"]["tool_calls"][0]["id"] == "call_3"
    server.script([tool_call("add")])  # a new script numbers from call_1 again
    third = client.post("/chat/completions", json=BODY).json()["choices"][0]
    assert third["message"]["tool_calls"][0]["id"] == "call_1"


@pytest.mark.parametrize(
    ("finish", "raw", "wire"),
    [
        ("stop", None, "stop"),
        ("length", None, "length"),
        ("content_filter", None, "content_filter"),
        ("error", None, "stop"),
        ("stop", "function_call", "function_call"),
    ],
)
def test_response_turn_finish_reason_and_usage(
    finish: Any, raw: str | None, wire: str, client: httpx2.Client, server: FakeProviderServer
) -> None:
    usage = Usage(input_tokens=100, output_tokens=20, cache_read_tokens=60, reasoning_tokens=5)
    response = Response(
        Message.assistant("cut"), usage, finish, model="gpt-4o-2024", raw_finish_reason=raw
    )
    server.script([response])
    data = client.post("/chat/completions", json=BODY).json()
    assert data["choices"][0]["finish_reason"] == wire
    assert data["model"] == "gpt-4o-2024"
    assert data["usage"]["prompt_tokens"] == 100
    assert data["usage"]["completion_tokens"] == 20
    assert data["usage"]["total_tokens"] == 120
    assert data["usage"]["prompt_tokens_details"]["cached_tokens"] == 60
    assert data["usage"]["completion_tokens_details"]["reasoning_tokens"] == 5


def test_n_choices(client: httpx2.Client, server: FakeProviderServer) -> None:
    server.script(["same"])
    choices = client.post("/chat/completions", json={**BODY, "n": 3}).json()["choices"]
    assert [(c["index"], c["message"]["content"]) for c in choices] == [
        (0, "same"),
        (1, "same"),
        (2, "same"),
    ]


def test_function_script_receives_the_decoded_request(
    client: httpx2.Client, server: FakeProviderServer
) -> None:
    seen: list[Request] = []

    async def answer(request: Request) -> str:
        seen.append(request)
        await asyncio.sleep(0)
        return f"turn {len(seen)}"

    server.script(answer)
    body = {
        "model": "gpt-4.1-mini",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "add"},
                    {"type": "image_url", "image_url": {"url": "https://x/a.png", "detail": "low"}},
                ],
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "add", "arguments": '{"a":1}'},
                    },
                    {
                        "id": "c2",
                        "type": "function",
                        "function": {"name": "add", "arguments": "{bad"},
                    },
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "1"},
            {"role": "tool", "tool_call_id": "c2", "content": [{"type": "text", "text": "2"}]},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "add",
                    "description": "Add.",
                    "parameters": {"type": "object", "properties": {"a": {"type": "integer"}}},
                    "strict": False,
                },
            }
        ],
        "tool_choice": {"type": "function", "function": {"name": "add"}},
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "out", "schema": {"type": "object"}},
        },
        "temperature": 0.2,
        "top_p": 0.5,
        "max_completion_tokens": 64,
        "stop": "END",
        "seed": 3,
        "parallel_tool_calls": False,
        "n": 1,
        "user": "u-1",
    }
    r = client.post("/chat/completions", json=body)
    assert r.json()["choices"][0]["message"]["content"] == "turn 1"
    (request,) = seen
    assert [m.role for m in request.messages] == ["system", "user", "assistant", "tool"]
    assert request.messages[0].text == "Be brief."
    image = request.messages[1].parts[1]
    assert (image.url, image.detail) == ("https://x/a.png", "low")  # type: ignore[union-attr]
    calls = request.messages[2].tool_calls
    assert [(c.id, c.arguments, c.arguments_error is None) for c in calls] == [
        ("c1", {"a": 1}, True),
        ("c2", {}, False),
    ]
    # Consecutive tool messages become one llmkit message, names filled from the calls.
    results = request.messages[3].tool_results
    assert [(r.call_id, r.text, r.name) for r in results] == [
        ("c1", "1", "add"),
        ("c2", "2", "add"),
    ]
    assert [(t.name, t.description, t.strict) for t in request.tools] == [("add", "Add.", False)]
    assert request.tool_choice == "add"
    assert request.output_schema is not None
    assert request.output_schema.name == "out"
    assert (request.temperature, request.top_p, request.max_tokens) == (0.2, 0.5, 64)
    assert (request.stop, request.seed, request.parallel_tool_calls) == (["END"], 3, False)
    assert request.extra == {"n": 1, "user": "u-1"}


def test_sync_function_script(client: httpx2.Client, server: FakeProviderServer) -> None:
    server.script(lambda request: request.messages[-1].text.upper())
    assert (
        client.post("/chat/completions", json=BODY).json()["choices"][0]["message"]["content"]
        == "HI"
    )


# ------------------------------------------------------------- problems in the test


def test_exhausted_script_is_500_and_recorded(
    client: httpx2.Client, server: FakeProviderServer
) -> None:
    server.script(["only one"])
    assert client.post("/chat/completions", json=BODY).status_code == 200
    r = client.post("/chat/completions", json=BODY)
    assert r.status_code == 500
    error = error_of(r)
    assert error["type"] == "server_error"
    assert "it had 1 turn and this is call 2" in error["message"]
    assert "pass a function" in error["message"]
    (problem,) = server.errors
    assert isinstance(problem, ScriptExhaustedError)
    assert [q.status for q in server.requests] == [200, 500]


def test_empty_script_says_so(client: httpx2.Client, server: FakeProviderServer) -> None:
    r = client.post("/chat/completions", json=BODY)
    assert r.status_code == 500
    assert "it had 0 turns and this is call 1" in error_of(r)["message"]


def test_script_function_that_raises_is_500_and_recorded(
    client: httpx2.Client, server: FakeProviderServer
) -> None:
    def broken(request: Request) -> str:
        raise KeyError("oops")

    server.script(broken)
    r = client.post("/chat/completions", json=BODY)
    assert r.status_code == 500
    assert error_of(r)["message"] == "The fake server failed: KeyError('oops')"
    assert r.headers["x-request-id"].startswith("req_")
    assert isinstance(server.errors[0], KeyError)
    assert server.requests[0].status == 500


def test_script_function_returning_a_non_turn_is_500(
    client: httpx2.Client, server: FakeProviderServer
) -> None:
    server.script(lambda request: 42)  # type: ignore[arg-type]
    r = client.post("/chat/completions", json=BODY)
    assert r.status_code == 500
    assert "not a script turn" in error_of(r)["message"]
    assert isinstance(server.errors[0], UsageError)


def test_reset_clears_script_requests_and_errors(
    client: httpx2.Client, server: FakeProviderServer
) -> None:
    server.script([])
    client.post("/chat/completions", json=BODY)
    assert server.requests
    assert server.errors
    server.reset()
    assert (server.requests, server.errors) == ([], [])
    assert client.post("/chat/completions", json=BODY).status_code == 500  # no script again


# ---------------------------------------------------------------------- recording


def test_recorded_request_fields_and_redaction(
    client: httpx2.Client, server: FakeProviderServer, api_key: str
) -> None:
    server.script(["ok"])
    client.post("/chat/completions?trace=1", json=BODY, headers={"X-Custom": "v"})
    (recorded,) = server.requests
    assert isinstance(recorded, RecordedRequest)
    assert (recorded.method, recorded.path, recorded.query, recorded.status) == (
        "POST",
        "/v1/chat/completions",
        "trace=1",
        200,
    )
    assert recorded.json == BODY
    assert recorded.body.startswith(b"{")
    assert recorded.headers["Authorization"] == f"Bearer {api_key}"
    assert recorded.headers["x-custom"] == recorded.headers["X-CUSTOM"] == "v"
    assert "X-Custom" in recorded.headers
    assert api_key not in repr(recorded)
    assert api_key not in str(recorded)
    assert "[redacted]" in repr(recorded)


def test_record_off_keeps_nothing() -> None:
    with FakeProviderServer(["ok"], record=False) as server:
        httpx2.post(
            server.openai_base_url + "/chat/completions",
            json=BODY,
            headers={"authorization": "Bearer k"},
        )
        assert server.requests == []


# --------------------------------------------------------------------- embeddings


def test_embeddings_are_deterministic_floats(
    client: httpx2.Client, server: FakeProviderServer
) -> None:
    r = client.post(
        "/embeddings", json={"model": "text-embedding-3-small", "input": ["a", "b", "a"]}
    )
    assert r.status_code == 200
    data = r.json()
    assert data["object"] == "list"
    assert data["model"] == "text-embedding-3-small"
    vectors = [d["embedding"] for d in data["data"]]
    assert [d["index"] for d in data["data"]] == [0, 1, 2]
    assert len(vectors[0]) == 8
    assert vectors[0] == vectors[2] != vectors[1]
    assert vectors[0] == text_vector("a", 8)
    assert abs(sum(x * x for x in vectors[0]) - 1) < 1e-5
    assert data["usage"]["prompt_tokens"] == data["usage"]["total_tokens"] > 0
    assert server.requests[0].status == 200


def test_embeddings_base64_is_little_endian_float32(client: httpx2.Client) -> None:
    body = {
        "model": "text-embedding-3-large",
        "input": "hello",
        "encoding_format": "base64",
        "dimensions": 5,
    }
    encoded = client.post("/embeddings", json=body).json()["data"][0]["embedding"]
    raw = base64.b64decode(encoded)
    assert len(raw) == 5 * 4
    assert list(struct.unpack("<5f", raw)) == text_vector("hello", 5)


def test_embedding_dimensions_option() -> None:
    with FakeProviderServer(embedding_dimensions=3) as server:
        r = httpx2.post(
            server.openai_base_url + "/embeddings",
            json={"model": "m", "input": [[1, 2, 3]]},
            headers={"authorization": "Bearer k"},
        )
        assert len(r.json()["data"][0]["embedding"]) == 3
        assert r.json()["usage"]["prompt_tokens"] == 3


# -------------------------------------------------------------------- concurrency


@pytest.mark.anyio
async def test_many_concurrent_async_requests(
    aclient: httpx2.AsyncClient, server: FakeProviderServer
) -> None:
    server.script(lambda request: request.messages[-1].text)
    bodies = [{**BODY, "messages": [{"role": "user", "content": f"m{i}"}]} for i in range(200)]
    answers = await asyncio.gather(*(aclient.post("/chat/completions", json=b) for b in bodies))
    assert sorted(a.json()["choices"][0]["message"]["content"] for a in answers) == sorted(
        f"m{i}" for i in range(200)
    )
    assert len(server.requests) == 200


@pytest.mark.anyio
async def test_list_script_answers_in_arrival_order(
    aclient: httpx2.AsyncClient, server: FakeProviderServer
) -> None:
    server.script(["one", "two", "three"])
    texts = [
        (await aclient.post("/chat/completions", json=BODY)).json()["choices"][0]["message"][
            "content"
        ]
        for _ in range(3)
    ]
    assert texts == ["one", "two", "three"]


def test_exception_instance_keeps_its_fields(
    client: httpx2.Client, server: FakeProviderServer
) -> None:
    server.script(
        [
            RateLimitError(
                "Slow down.", error_type="tokens", code="rate_limit_exceeded", retry_after=3
            )
        ]
    )
    r = client.post("/chat/completions", json=BODY)
    assert r.status_code == 429
    assert r.headers["retry-after"] == "3"
    assert error_of(r) == {
        "message": "Slow down.",
        "type": "tokens",
        "param": None,
        "code": "rate_limit_exceeded",
    }


def test_text_part_type_is_kept(server: FakeProviderServer) -> None:
    # Guards the decoder's mapping of a developer message onto an llmkit system message.
    seen: list[Request] = []
    server.script(lambda request: seen.append(request) or "ok")  # type: ignore[func-returns-value]
    httpx2.post(
        server.openai_base_url + "/chat/completions",
        json={
            "model": "m",
            "messages": [
                {"role": "developer", "content": "rules"},
                {"role": "user", "content": "hi"},
            ],
        },
        headers={"authorization": "Bearer k"},
    )
    message = seen[0].messages[0]
    assert (message.role, message.provider_data) == ("system", {"role": "developer"})
    assert isinstance(message.parts[0], TextPart)

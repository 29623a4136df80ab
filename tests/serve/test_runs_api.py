"""The runs and sessions API over HTTP, and the server's guard (tokens, sizes, rates, CORS), with httpx."""

from __future__ import annotations

import asyncio
import json
import threading

import httpx
import pytest

from llmkit import Agent, tool
from llmkit.serve import RateLimit
from llmkit.testing import ScriptedModel, tool_call

A = {"Authorization": "Bearer token-a"}
B = {"Authorization": "Bearer token-b"}


def agent(*script: object, tools: list[object] | None = None) -> Agent:
    return Agent(ScriptedModel(list(script)), name="support", tools=tools or [])


def read_events(url: str, run_id: str, headers: dict[str, str]) -> list[tuple[int, str, dict]]:
    """Every event of the run as (id, event name, data), read from the SSE stream to its end."""
    events = []
    with httpx.stream("GET", f"{url}/v1/runs/{run_id}/events", headers=headers) as reply:
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("text/event-stream")
        fields: dict[str, str] = {}
        for line in reply.iter_lines():
            if line:
                name, _, value = line.partition(": ")
                fields[name] = value
            elif fields:
                events.append((int(fields["id"]), fields["event"], json.loads(fields["data"])))
                fields = {}
    return events


def test_a_background_run_is_polled_and_its_events_resume_from_last_event_id(serve) -> None:
    url = serve(agent("Order 42 shipped."))
    started = httpx.post(
        f"{url}/v1/runs", json={"agent": "support", "input": "Order 42?"}, headers=A
    )
    assert started.status_code == 201
    run_id = started.json()["id"]
    assert started.headers["location"] == f"/v1/runs/{run_id}"
    events = read_events(url, run_id, A)
    assert [e[0] for e in events] == list(range(1, len(events) + 1))
    assert events[0][1] == "run.start" and events[-1][1] == "run.end"
    assert events[-1][2]["topic"] == "run.end"
    later = read_events(url, run_id, {**A, "Last-Event-ID": "2"})
    assert later == events[2:]
    run = httpx.get(f"{url}/v1/runs/{run_id}", headers=A).json()
    assert run["status"] == "complete"
    assert run["output"] == "Order 42 shipped."
    assert run["usage"]["requests"] == 1 and len(run["trace"]) == 1


def test_another_token_s_runs_and_sessions_are_not_found(serve) -> None:
    url = serve(agent("Hi Ada."))
    run = httpx.post(
        f"{url}/v1/runs",
        json={"agent": "support", "input": "I am Ada.", "session": "s1", "wait": True},
        headers=A,
    ).json()
    assert run["status"] == "complete"
    for method, path in (
        ("GET", f"/v1/runs/{run['id']}"),
        ("GET", f"/v1/runs/{run['id']}/events"),
        ("POST", f"/v1/runs/{run['id']}/cancel"),
        ("GET", "/v1/sessions/s1"),
        ("DELETE", "/v1/sessions/s1"),
    ):
        reply = httpx.request(method, f"{url}{path}", headers=B)
        assert reply.status_code == 404, path
        assert reply.json()["error"]["type"] == "invalid_request_error"
    session = httpx.get(f"{url}/v1/sessions/s1", headers=A).json()
    assert [m["role"] for m in session["messages"]] == ["user", "assistant"]
    assert httpx.delete(f"{url}/v1/sessions/s1", headers=A).json()["deleted"] is True
    assert httpx.get(f"{url}/v1/sessions/s1", headers=A).status_code == 404


def test_approvals_over_http_resume_the_run(serve) -> None:
    @tool(requires_approval=True)
    def refund(order: int) -> str:
        """Refund."""
        return f"refunded {order}"

    url = serve(agent(tool_call("refund", order=42), "Refunded.", tools=[refund]))
    run = httpx.post(
        f"{url}/v1/runs", json={"agent": "support", "input": "refund", "wait": True}, headers=A
    ).json()
    assert run["status"] == "paused"
    call_id = run["pending"][0]["id"]
    bad = httpx.post(
        f"{url}/v1/runs/{run['id']}/approvals", json={"approvals": {"x": True}}, headers=A
    )
    assert bad.status_code == 400 and "No pending call" in bad.json()["error"]["message"]
    done = httpx.post(
        f"{url}/v1/runs/{run['id']}/approvals",
        json={"approvals": {call_id: True}, "wait": True},
        headers=A,
    ).json()
    assert done["status"] == "complete" and done["output"] == "Refunded."
    again = httpx.post(
        f"{url}/v1/runs/{run['id']}/approvals", json={"approvals": {call_id: True}}, headers=A
    )
    assert again.status_code == 409


def gated_agent(gate: threading.Event) -> Agent:
    @tool
    async def hold() -> str:
        """Waits for the test."""
        await asyncio.to_thread(gate.wait, 30)
        return "released"

    return agent(tool_call("hold"), "done", tool_call("hold"), "done", tools=[hold])


def test_cancel_over_http_keeps_the_run_readable(serve) -> None:
    gate = threading.Event()
    url = serve(gated_agent(gate))
    run = httpx.post(f"{url}/v1/runs", json={"agent": "support", "input": "go"}, headers=A).json()
    cancelled = httpx.post(f"{url}/v1/runs/{run['id']}/cancel", headers=A).json()
    gate.set()
    assert cancelled["status"] == "cancelled"
    assert read_events(url, run["id"], A)[-1][2]["error_type"] == "Cancelled"
    assert httpx.get(f"{url}/v1/runs/{run['id']}", headers=A).json()["status"] == "cancelled"


def test_too_many_concurrent_runs_get_429_with_retry_after(serve) -> None:
    gate = threading.Event()
    url = serve(gated_agent(gate), max_runs=1)
    first = httpx.post(f"{url}/v1/runs", json={"agent": "support", "input": "a"}, headers=A)
    second = httpx.post(f"{url}/v1/runs", json={"agent": "support", "input": "b"}, headers=A)
    gate.set()
    assert first.status_code == 201
    assert second.status_code == 429
    assert second.headers["retry-after"] == "1"
    assert second.json()["error"]["code"] == "too_many_runs"


@pytest.mark.parametrize(("policy", "status"), [("continue", "complete"), ("cancel", "cancelled")])
def test_a_client_that_leaves_a_stream_leaves_the_run_to_the_policy(serve, policy, status) -> None:
    gate = threading.Event()
    url = serve(gated_agent(gate), on_disconnect=policy)
    body = {"model": "support", "messages": [{"role": "user", "content": "go"}], "stream": True}
    with httpx.stream("POST", f"{url}/v1/chat/completions", json=body, headers=A) as reply:
        run_id = reply.headers["x-llmkit-run-id"]
        next(reply.iter_lines())
    if policy == "cancel":  # the run can end now only because the client left
        for _ in range(2_000):
            if httpx.get(f"{url}/v1/runs/{run_id}", headers=A).json()["status"] == "cancelled":
                break
    gate.set()
    events = read_events(url, run_id, A)  # ends when the run does
    assert events[-1][1] == ("run.end" if status == "complete" else "error")
    run = httpx.get(f"{url}/v1/runs/{run_id}", headers=A).json()
    assert run["status"] == status
    if status == "complete":
        assert run["output"] == "done"


def test_a_body_over_the_limit_is_a_413_declared_or_streamed(serve) -> None:
    url = serve(agent("x"), max_body=1_000)
    big = {"model": "support", "messages": [{"role": "user", "content": "x" * 2_000}]}
    reply = httpx.post(f"{url}/v1/chat/completions", json=big, headers=A)
    assert reply.status_code == 413
    assert reply.json()["error"]["code"] == "request_too_large"

    def chunks():
        yield b'{"model": "support", "messages": ['
        for _ in range(100):
            yield b'{"role": "user", "content": "xxxxxxxxxxxxxxxxxxxx"},'

    streamed = httpx.post(f"{url}/v1/chat/completions", content=chunks(), headers=A)
    assert streamed.status_code == 413


def test_the_rate_limit_is_per_token_with_retry_after(serve) -> None:
    now = [1000.0]
    url = serve(agent("x"), rate_limit=RateLimit(2, per=60, clock=lambda: now[0]))
    assert [httpx.get(f"{url}/v1/models", headers=A).status_code for _ in range(2)] == [200, 200]
    refused = httpx.get(f"{url}/v1/models", headers=A)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "30"
    assert refused.json()["error"]["type"] == "rate_limit_error"
    assert httpx.get(f"{url}/v1/models", headers=B).status_code == 200
    now[0] += 30
    assert httpx.get(f"{url}/v1/models", headers=A).status_code == 200


def test_cors_is_off_unless_configured(serve) -> None:
    origin = {"Origin": "https://app.example"}
    closed = serve(agent("x"))
    assert (
        "access-control-allow-origin"
        not in httpx.get(f"{closed}/v1/models", headers={**A, **origin}).headers
    )
    opened = serve(agent("x"), cors_origins=["https://app.example"])
    reply = httpx.get(f"{opened}/v1/models", headers={**A, **origin})
    assert reply.headers["access-control-allow-origin"] == "https://app.example"


def test_a_run_timeout_fails_the_run(serve) -> None:
    gate = threading.Event()
    url = serve(gated_agent(gate), run_timeout=0.05)
    run = httpx.post(
        f"{url}/v1/runs", json={"agent": "support", "input": "go", "wait": True}, headers=A
    ).json()
    gate.set()
    assert run["status"] == "failed"
    assert run["error"]["type"] == "RunTimeoutError"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"input": "x"}, "Name one served agent"),
        ({"agent": "support", "colour": "red"}, "Unknown field 'colour'"),
        ({"agent": "support", "wait": "yes"}, "'wait'"),
        ({"agent": "support", "session": 5}, "'session'"),
    ],
)
def test_bad_run_requests_say_what_to_send(serve, body, message) -> None:
    url = serve(agent("x"))
    reply = httpx.post(f"{url}/v1/runs", json=body, headers=A)
    assert reply.status_code == 400
    assert message in reply.json()["error"]["message"]


def test_unknown_routes_and_bad_event_ids_are_openai_shaped(serve) -> None:
    url = serve(agent("x"))
    missing = httpx.get(f"{url}/v1/nothing", headers=A)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    run = httpx.post(
        f"{url}/v1/runs", json={"agent": "support", "input": "x", "wait": True}, headers=A
    ).json()
    bad = httpx.get(f"{url}/v1/runs/{run['id']}/events", headers={**A, "Last-Event-ID": "abc"})
    assert bad.status_code == 400 and "Last-Event-ID" in bad.json()["error"]["message"]


KEY = "sk-" + "planted-env-not-a-key-" + "e" * 10


def test_a_key_in_a_tool_result_or_an_exception_never_reaches_the_event_stream(
    serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MYAPP_API_KEY", "plain-env-value-4242")

    @tool
    def read_config(name: str) -> str:
        """A config value."""
        return f"{name}={KEY} and env={'plain-env-value-4242'}"

    @tool(errors="raise")
    def call_api(q: str) -> str:
        """Calls an API."""
        raise RuntimeError("401 from https://api.example/v1?key=plain-env-value-4242")

    script = [tool_call("read_config", name="MYAPP_API_KEY"), tool_call("call_api", q="x")]
    url = serve(agent(*script, tools=[read_config, call_api]))
    started = httpx.post(f"{url}/v1/runs", json={"agent": "support", "input": "go"}, headers=A)
    run_id = started.json()["id"]
    events = read_events(url, run_id, A)
    topics = [name for _, name, _ in events]
    assert "tool.result" in topics and topics[-1] == "error"
    text = json.dumps([data for _, _, data in events])
    assert KEY not in text and "plain-env-value-4242" not in text
    assert "[redacted]" in json.dumps(events[-1][2])  # the exception's message, redacted

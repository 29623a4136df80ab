"""The OpenAI-compatible endpoint, driven by the official openai client; the agent's model is the fake server."""

from __future__ import annotations

import httpx
import openai
import pytest

from llmkit import Agent, tool
from llmkit.testing import tool_call
from llmkit.workflow import sequence, step


@tool
def order_status(order: int) -> str:
    """Where an order is."""
    return f"order {order} left the warehouse"


@tool(errors="raise")
def crashing(order: int) -> str:
    """A tool that crashes."""
    raise RuntimeError("disk on fire at /srv/data")


def support(model: object, **options: object) -> Agent:
    return Agent(
        model,
        name="support",
        instructions="You answer about orders.",
        tools=[order_status],
        **options,
    )


def client(url: str, key: str = "token-a") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)


def test_a_chat_completion_runs_the_agent_and_its_tools(
    serve, llmkit_fake_server, llmkit_model
) -> None:
    llmkit_fake_server.script([tool_call("order_status", order=42), "Order 42 left the warehouse."])
    url = serve(support(llmkit_model()))
    answer = client(url).chat.completions.create(
        model="support",
        messages=[
            {"role": "system", "content": "Answer in one sentence."},
            {"role": "user", "content": "Where is order 42?"},
        ],
    )
    assert answer.object == "chat.completion"
    assert answer.model == "support"
    assert answer.choices[0].message.role == "assistant"
    assert answer.choices[0].message.content == "Order 42 left the warehouse."
    assert answer.choices[0].finish_reason == "stop"
    assert answer.usage is not None and answer.usage.total_tokens > 0
    first, second = (r.json for r in llmkit_fake_server.requests)
    roles = [(m["role"], m["content"]) for m in first["messages"]]
    assert roles[:3] == [
        ("system", "You answer about orders."),
        ("system", "Answer in one sentence."),
        ("user", "Where is order 42?"),
    ]
    assert second["messages"][-1]["role"] == "tool"


def test_a_streamed_completion_comes_in_openai_chunks_with_usage(
    serve, llmkit_fake_server, llmkit_model
) -> None:
    llmkit_fake_server.script(["Order 42 is on its way."])
    url = serve(support(llmkit_model()))
    chunks = list(
        client(url).chat.completions.create(
            model="support",
            messages=[{"role": "user", "content": "Where is order 42?"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert all(c.object == "chat.completion.chunk" and c.model == "support" for c in chunks)
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Order 42 is on its way."
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 1
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens > 0
    assert all(c.usage is None for c in chunks[:-1])


def test_without_include_usage_no_usage_chunk_is_sent(
    serve, llmkit_fake_server, llmkit_model
) -> None:
    llmkit_fake_server.script(["Fine."])
    url = serve(support(llmkit_model()))
    chunks = list(
        client(url).chat.completions.create(
            model="support", messages=[{"role": "user", "content": "Hi"}], stream=True
        )
    )
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.usage is None for c in chunks)


def test_models_lists_the_served_agents_and_workflows(serve, llmkit_model) -> None:
    flow = sequence(step(lambda s: 1, name="one"), name="report")
    url = serve(support(llmkit_model()), flow)
    assert [m.id for m in client(url).models.list()] == ["support", "report"]


def test_a_request_with_tools_is_refused_and_says_why(serve, llmkit_model) -> None:
    url = serve(support(llmkit_model()))
    with pytest.raises(openai.BadRequestError, match="runs the agent's own tools") as caught:
        client(url).chat.completions.create(
            model="support",
            messages=[{"role": "user", "content": "Hi"}],
            tools=[{"type": "function", "function": {"name": "x", "parameters": {}}}],
        )
    assert caught.value.body["type"] == "invalid_request_error"


def test_an_unknown_agent_is_a_404_naming_the_served_ones(serve, llmkit_model) -> None:
    url = serve(support(llmkit_model()))
    with pytest.raises(openai.NotFoundError, match="served names are: 'support'") as caught:
        client(url).chat.completions.create(
            model="nobody", messages=[{"role": "user", "content": "Hi"}]
        )
    assert caught.value.code == "model_not_found"


def test_a_workflow_is_not_a_chat_model(serve) -> None:
    url = serve(sequence(step(lambda s: 1, name="one"), name="report"))
    with pytest.raises(openai.BadRequestError, match="POST /v1/runs"):
        client(url).chat.completions.create(
            model="report", messages=[{"role": "user", "content": "Hi"}]
        )


def test_a_wrong_or_missing_token_is_a_401(serve, llmkit_model) -> None:
    url = serve(support(llmkit_model()))
    with pytest.raises(openai.AuthenticationError) as caught:
        client(url, key="token-z").models.list()
    assert caught.value.code == "invalid_api_key"
    reply = httpx.get(f"{url}/v1/models")
    assert reply.status_code == 401
    assert reply.headers["www-authenticate"] == "Bearer"
    assert "token" not in reply.headers.get("x-llmkit-run-id", "")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"model": "support", "messages": "hi"}', "non-empty list"),
        (b'{"model": 7, "messages": [{"role": "user", "content": "x"}]}', "'model'"),
        (b'{"model": "support", "messages": [{"role": "robot", "content": "x"}]}', "role"),
        (b'{"model": "support", "messages": [{"role": "user", "content": 5}]}', "content"),
        (
            b'{"model": "support", "messages": [{"role": "user", "content": "x"}], "stream": "yes"}',
            "stream",
        ),
        (b'{"model": "support", "messages": [{"role": "tool", "content": "x"}]}', "tool"),
    ],
)
def test_malformed_requests_get_openai_shaped_400s(serve, llmkit_model, body, message) -> None:
    url = serve(support(llmkit_model()))
    reply = httpx.post(
        f"{url}/v1/chat/completions",
        content=body,
        headers={"Authorization": "Bearer token-a", "Content-Type": "application/json"},
    )
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert message in error["message"]
    assert set(error) == {"message", "type", "param", "code"}


def test_a_tool_crash_is_a_run_error_without_a_traceback_or_a_retry(
    serve, llmkit_fake_server, llmkit_model
) -> None:
    llmkit_fake_server.script([tool_call("crashing", order=1)])
    agent = Agent(llmkit_model(), name="support", tools=[crashing])
    url = serve(agent)
    with pytest.raises(openai.InternalServerError) as caught:
        openai.OpenAI(base_url=f"{url}/v1", api_key="token-a").chat.completions.create(
            model="support", messages=[{"role": "user", "content": "go"}]
        )
    error = caught.value.body
    assert error["code"] == "run_failed"
    assert "ToolExecutionError" in error["message"]
    assert "Traceback" not in str(error)
    assert len(llmkit_fake_server.requests) == 1  # x-should-retry: false, so no second run
    run_id = caught.value.response.headers["x-llmkit-run-id"]
    run = httpx.get(f"{url}/v1/runs/{run_id}", headers={"Authorization": "Bearer token-a"}).json()
    assert run["status"] == "failed" and run["error"]["type"] == "ToolExecutionError"


def test_a_paused_run_answers_409_with_where_to_approve(
    serve, llmkit_fake_server, llmkit_model
) -> None:
    @tool(requires_approval=True)
    def refund(order: int) -> str:
        """Refund."""
        return "refunded"

    llmkit_fake_server.script([tool_call("refund", order=1)])
    url = serve(Agent(llmkit_model(), name="support", tools=[refund]))
    with pytest.raises(openai.ConflictError, match="approvals") as caught:
        client(url).chat.completions.create(
            model="support", messages=[{"role": "user", "content": "refund 1"}]
        )
    assert caught.value.code == "approval_required"

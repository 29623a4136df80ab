"""The fake server speaking Ollama's native protocol, driven with a raw HTTP client."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx2
import pytest

from llmkit.errors import RateLimitError, UsageError
from llmkit.testing import FakeProviderServer, Fault, ScriptExhaustedError, tool_call
from llmkit.types import (
    ImagePart,
    Message,
    OutputSchema,
    Reasoning,
    ReasoningPart,
    Request,
    Response,
    ToolCall,
    ToolResult,
)

PNG = b"\x89PNG\r\n\x1a\n pixels"
USER: dict[str, Any] = {"role": "user", "content": "hi"}


def body(**fields: Any) -> dict[str, Any]:
    return {"model": "llama3.2", "messages": [USER], **fields}


def lines(response: httpx2.Response) -> list[dict[str, Any]]:
    return [json.loads(line) for line in response.text.splitlines()]


def test_chat_streams_ndjson_by_default(
    server: FakeProviderServer, ollama_client: httpx2.Client
) -> None:
    server.script(["Hello from the fake Ollama."])
    r = ollama_client.post("/api/chat", json=body())
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/x-ndjson"
    chunks = lines(r)
    assert all(c["done"] is False for c in chunks[:-1])
    assert "".join(c["message"]["content"] for c in chunks) == "Hello from the fake Ollama."
    assert {c["model"] for c in chunks} == {"llama3.2"}
    final = chunks[-1]
    assert final["done"] is True and final["done_reason"] == "stop"
    assert final["message"] == {"role": "assistant", "content": ""}
    assert final["prompt_eval_count"] > 0 and final["eval_count"] > 0
    assert final["created_at"].endswith("Z")
    assert server.requests[0].status == 200


def test_chat_without_streaming_is_one_object(
    server: FakeProviderServer, ollama_client: httpx2.Client
) -> None:
    server.script([Response(Message.assistant("Paris.", reasoning=[ReasoningPart("Capital.")]))])
    r = ollama_client.post("/api/chat", json=body(stream=False))
    assert r.headers["content-type"] == "application/json"
    answer = r.json()
    assert answer["message"] == {"role": "assistant", "content": "Paris.", "thinking": "Capital."}
    assert answer["done"] is True and answer["done_reason"] == "stop"
    assert {"total_duration", "eval_count", "prompt_eval_count"} <= set(answer)


def test_tool_calls_come_whole_after_an_empty_content_line(
    server: FakeProviderServer, ollama_client: httpx2.Client
) -> None:
    server.script([[tool_call("add", a=1, b=2), tool_call("add", a=3, b=4)]] * 2)
    chunks = lines(ollama_client.post("/api/chat", json=body()))
    assert chunks[0]["message"] == {"role": "assistant", "content": ""}
    assert [c["message"].get("tool_calls") for c in chunks[1:3]] == [
        [{"id": "call_1", "function": {"index": 0, "name": "add", "arguments": {"a": 1, "b": 2}}}],
        [{"id": "call_2", "function": {"index": 1, "name": "add", "arguments": {"a": 3, "b": 4}}}],
    ]
    assert chunks[-1]["done_reason"] == "stop"  # Ollama says stop after tool calls too
    whole = ollama_client.post("/api/chat", json=body(stream=False)).json()
    assert [c["id"] for c in whole["message"]["tool_calls"]] == ["call_3", "call_4"]


def test_tool_calls_without_ids_are_sent_without_ids(
    server: FakeProviderServer, ollama_client: httpx2.Client
) -> None:
    turn = Response(Message("assistant", [ToolCall("", "add", {"a": 1})]), finish_reason="stop")
    server.script([turn])
    answer = ollama_client.post("/api/chat", json=body(stream=False)).json()
    assert answer["message"]["tool_calls"] == [
        {"function": {"index": 0, "name": "add", "arguments": {"a": 1}}}
    ]


def test_thinking_streams_before_the_answer(
    server: FakeProviderServer, ollama_client: httpx2.Client
) -> None:
    turn = Response(Message.assistant("42.", reasoning=[ReasoningPart("Six times seven.")]))
    server.script([turn])
    chunks = lines(ollama_client.post("/api/chat", json=body(model="qwen3", think=True)))
    kinds = ["thinking" if c["message"].get("thinking") else "content" for c in chunks[:-1]]
    assert kinds == sorted(kinds, reverse=True) and kinds[0] == "thinking"
    assert "".join(c["message"].get("thinking", "") for c in chunks) == "Six times seven."


def test_no_messages_loads_the_model_without_using_the_script(
    server: FakeProviderServer, ollama_client: httpx2.Client
) -> None:
    server.script(["for later"])
    r = ollama_client.post("/api/chat", json={"model": "llama3.2", "messages": []})
    answer = r.json()
    assert answer["done"] is True and answer["done_reason"] == "load"
    assert answer["message"] == {"role": "assistant", "content": ""}
    later = ollama_client.post("/api/chat", json=body(stream=False)).json()
    assert later["message"]["content"] == "for later"


def test_script_functions_see_the_decoded_request(
    server: FakeProviderServer, ollama_client: httpx2.Client
) -> None:
    seen: list[Request] = []

    def answer(request: Request) -> str:
        seen.append(request)
        return "seen"

    server.script(answer)
    image = base64.b64encode(PNG).decode()
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    sent = {
        "model": "gpt-oss:20b",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "What is this?", "images": [image]},
            {
                "role": "assistant",
                "content": "",
                "thinking": "Look first.",
                "tool_calls": [
                    {"id": "c1", "function": {"index": 0, "name": "look", "arguments": {"x": 1}}},
                    {"function": {"index": 1, "name": "look", "arguments": {"x": 2}}},
                ],
            },
            {"role": "tool", "content": "a dot", "tool_name": "look", "tool_call_id": "c1"},
            {"role": "tool", "content": "a line", "tool_name": "look"},
        ],
        "tools": [{"type": "function", "function": {"name": "look", "description": "Look."}}],
        "format": schema,
        "think": "high",
        "options": {"temperature": 0.3, "num_predict": 20, "stop": ["x"], "num_ctx": 4096},
        "keep_alive": "5m",
        "stream": False,
    }
    assert ollama_client.post("/api/chat", json=sent).status_code == 200
    (request,) = seen
    system, user, assistant, tool = request.messages
    assert system == Message.system("Be brief.")
    assert user.text == "What is this?"
    (picture,) = [p for p in user.parts if isinstance(p, ImagePart)]
    assert (picture.data, picture.media_type) == (PNG, "image/png")
    assert assistant.reasoning == "Look first."
    assert [(c.id, c.arguments) for c in assistant.tool_calls] == [
        ("c1", {"x": 1}),
        ("call_1", {"x": 2}),
    ]
    assert tool.parts == [
        ToolResult("c1", "a dot", name="look"),
        ToolResult("look", "a line", name="look"),
    ]
    assert [t.name for t in request.tools] == ["look"]
    assert request.output_schema == OutputSchema(schema)
    assert request.reasoning == Reasoning("high")
    assert (request.temperature, request.max_tokens, request.stop) == (0.3, 20, ["x"])
    assert request.extra == {"options": {"num_ctx": 4096}, "keep_alive": "5m"}


# ------------------------------------------------------------------- faults


def test_status_faults_send_ollama_error_bodies(
    server: FakeProviderServer, ollama_client: httpx2.Client
) -> None:
    server.script(
        [
            Fault.status(429, retry_after=3),
            Fault.status(404),
            Fault.status(503),
            Fault.context_length(),
            RateLimitError,
            Fault.status(500, "boom"),
        ]
    )
    answers = [ollama_client.post("/api/chat", json=body()) for _ in range(6)]
    assert [(r.status_code, r.json()) for r in answers] == [
        (429, {"error": "too many requests"}),
        (404, {"error": "model 'llama3.2' not found"}),
        (503, {"error": "server busy, please try again.  maximum pending requests exceeded"}),
        (400, {"error": "input length exceeds the context length"}),
        (429, {"error": "Scripted RateLimitError."}),
        (500, {"error": "boom"}),
    ]
    assert answers[0].headers["retry-after"] == "3"


def test_a_failure_part_way_is_an_error_line(
    server: FakeProviderServer, ollama_client: httpx2.Client
) -> None:
    broken = Response(Message.assistant("Partial text"), provider_data={"ollama": {"error": "oom"}})
    server.script([broken, broken])
    chunks = lines(ollama_client.post("/api/chat", json=body()))
    assert chunks[-1] == {"error": "oom"}
    assert "".join(c["message"]["content"] for c in chunks[:-1]) == "Partial text"
    r = ollama_client.post("/api/chat", json=body(stream=False))
    assert (r.status_code, r.json()) == (500, {"error": "oom"})


def test_drop_cuts_the_stream(server: FakeProviderServer, ollama_client: httpx2.Client) -> None:
    server.script([Fault.drop(after_events=2, turn="one two three four"), Fault.drop()])
    with pytest.raises(httpx2.RemoteProtocolError):
        ollama_client.post("/api/chat", json=body())
    with pytest.raises(httpx2.RemoteProtocolError):
        ollama_client.post("/api/chat", json=body(stream=False))
    assert [r.status for r in server.requests] == [None, None]


def test_malformed_lines_and_html(server: FakeProviderServer, ollama_client: httpx2.Client) -> None:
    server.script([Fault.malformed_json(), Fault.malformed_json(), Fault.html(502)])
    streamed = ollama_client.post("/api/chat", json=body()).text.splitlines()
    json.loads(streamed[0])
    with pytest.raises(ValueError):
        json.loads(streamed[1])
    with pytest.raises(ValueError):
        json.loads(ollama_client.post("/api/chat", json=body(stream=False)).text)
    page = ollama_client.post("/api/chat", json=body())
    assert page.status_code == 502 and "text/html" in page.headers["content-type"]


def test_slow_fault_delays_the_first_byte(
    server: FakeProviderServer, ollama_client: httpx2.Client
) -> None:
    # A hold far longer than the read timeout: no byte comes before the client gives up,
    # whatever the machine's load; a short hold then serves its answer.
    server.script([Fault.slow(30, then="late"), Fault.slow(0.05, then="late")])
    with pytest.raises(httpx2.ReadTimeout):
        ollama_client.post("/api/chat", json=body(stream=False), timeout=0.2)
    answer = ollama_client.post("/api/chat", json=body(stream=False)).json()
    assert answer["message"]["content"] == "late"


def test_setup_problems_answer_500_and_are_kept(
    server: FakeProviderServer, ollama_client: httpx2.Client
) -> None:
    server.script(["only one"])
    ollama_client.post("/api/chat", json=body())
    r = ollama_client.post("/api/chat", json=body())
    assert r.status_code == 500 and "script ran out" in r.json()["error"]
    assert isinstance(server.errors[0], ScriptExhaustedError)


# ------------------------------------------------------------ other routes


def test_embed(ollama_client: httpx2.Client) -> None:
    r = ollama_client.post(
        "/api/embed", json={"model": "nomic-embed-text", "input": ["a", "b"], "dimensions": 3}
    )
    answer = r.json()
    assert answer["model"] == "nomic-embed-text"
    assert [len(v) for v in answer["embeddings"]] == [3, 3]
    assert answer["prompt_eval_count"] == 2
    one = ollama_client.post("/api/embed", json={"model": "nomic-embed-text", "input": "a"})
    assert len(one.json()["embeddings"][0]) == 8
    empty = ollama_client.post("/api/embed", json={"model": "nomic-embed-text", "input": []})
    assert empty.json() == {"model": "nomic-embed-text", "embeddings": []}


def test_tags_show_and_version(server: FakeProviderServer, ollama_client: httpx2.Client) -> None:
    models = ollama_client.get("/api/tags").json()["models"]
    assert [m["name"] for m in models][:2] == ["llama3.2:latest", "qwen3:8b"]
    assert {"model", "size", "digest", "details", "modified_at"} <= set(models[0])
    shown = ollama_client.post("/api/show", json={"model": "gpt-oss:20b"}).json()
    assert shown["capabilities"] == ["completion", "thinking", "tools"]
    assert ollama_client.post("/api/show", json={"name": "llava"}).json()["capabilities"] == [
        "completion",
        "vision",
    ]
    assert ollama_client.get("/api/version").json() == {"version": "0.12.6"}
    with FakeProviderServer(models={"b", "a:1"}) as other:
        names = [m["name"] for m in httpx2.get(f"{other.url}/api/tags").json()["models"]]
        assert names == ["a:1", "b:latest"]


def test_capabilities_can_be_changed_and_reset(
    server: FakeProviderServer, ollama_client: httpx2.Client
) -> None:
    table = server.ollama_capabilities
    table.set("llama3.2", "completion", "thinking")
    server.script(["thinks now"])
    assert ollama_client.post("/api/chat", json=body(think=True, stream=False)).status_code == 200
    tools = [{"type": "function", "function": {"name": "f"}}]
    assert ollama_client.post("/api/chat", json=body(tools=tools)).status_code == 400
    with pytest.raises(UsageError, match="Unknown Ollama capabilities"):
        table.set("llama3.2", "flying")
    server.reset()
    assert ollama_client.post("/api/chat", json=body(think=True)).status_code == 400


def test_a_configured_key_is_required_as_bearer() -> None:
    with FakeProviderServer(["ok"], api_key="ollama-key") as server:
        url = f"{server.ollama_base_url}/api/chat"
        assert httpx2.post(url, json=body()).json() == {"error": "unauthorized"}
        good = httpx2.post(url, json=body(), headers={"authorization": "Bearer ollama-key"})
        assert good.status_code == 200
        assert httpx2.get(f"{server.url}/api/tags").status_code == 401

"""Every Ollama validation rule of the fake server, checked twice.

Each case is run through the pure checks (``read_body`` then ``check_chat``,
``check_embed`` or ``check_show``) and sent over HTTP to the running fake
server, which must answer with the same status and ``{"error": …}`` body,
record the request, and leave the script alone.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest

from llmkit.testing import FakeProviderServer
from llmkit.testing._fake.ollama.errors import OllamaWireError
from llmkit.testing._fake.ollama.limits import OllamaCapabilities
from llmkit.testing._fake.ollama.request import decode_request
from llmkit.testing._fake.ollama.rules import check_chat, check_embed, check_show, read_body

_DROP = object()
BASE: dict[str, Any] = {"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}]}
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()


def chat(**changes: Any) -> dict[str, Any]:
    """The base chat body with ``changes`` applied (``_DROP`` removes a key)."""
    body = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is _DROP:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def message(**fields: Any) -> dict[str, Any]:
    return {"role": "user", "content": "hi", **fields}


def calls(*arguments: Any, index: Any = 0) -> dict[str, Any]:
    """An assistant message calling ``add`` once per argument value."""
    wire = [{"function": {"index": index, "name": "add", "arguments": a}} for a in arguments]
    return {"role": "assistant", "content": "", "tool_calls": wire}


def tool(**function: Any) -> dict[str, Any]:
    return {"type": "function", "function": {"name": "add", **function}}


@dataclass
class Case:
    id: str
    body: Any
    message: str
    status: int = 400
    path: str = "/api/chat"

    def raw(self) -> bytes:
        return self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()


CHAT_CASES = [
    Case("empty-body", b"", "missing request body"),
    Case("blank-body", b"  \n", "missing request body"),
    Case("cut-json", b'{"model": "llama3.2", "mess', "unexpected EOF"),
    Case("not-json", b"model=llama3.2", "invalid character 'm' looking for beginning of value"),
    Case(
        "bad-key",
        b"{model: 1}",
        "invalid character 'm' looking for beginning of object key string",
    ),
    Case("body-array", [], "json: cannot unmarshal array into Go value of type api.ChatRequest"),
    Case("model-missing", chat(model=_DROP), "model is required"),
    Case("model-empty", chat(model=""), "model is required"),
    Case(
        "model-number",
        chat(model=5),
        "json: cannot unmarshal number into Go struct field ChatRequest.model of type string",
    ),
    Case(
        "messages-string",
        chat(messages="hi"),
        "json: cannot unmarshal string into Go struct field ChatRequest.messages of type "
        "[]api.Message",
    ),
    Case(
        "message-string",
        chat(messages=["hi"]),
        "json: cannot unmarshal string into Go struct field ChatRequest.messages of type "
        "api.Message",
    ),
    Case(
        "content-number",
        chat(messages=[message(content=5)]),
        "json: cannot unmarshal number into Go struct field Message.messages.content of type "
        "string",
    ),
    Case(
        "content-parts",
        chat(messages=[message(content=[{"type": "text", "text": "hi"}])]),
        "json: cannot unmarshal array into Go struct field Message.messages.content of type string",
    ),
    Case(
        "images-string",
        chat(messages=[message(images=PNG)]),
        "json: cannot unmarshal string into Go struct field Message.messages.images of type "
        "[]api.ImageData",
    ),
    Case(
        "image-url",
        chat(messages=[message(images=["https://x/cat.png"])]),
        "illegal base64 data at input byte 5",
    ),
    Case(
        "image-number",
        chat(messages=[message(images=[5])]),
        "json: cannot unmarshal number into Go struct field Message.messages.images of type "
        "api.ImageData",
    ),
    Case(
        "arguments-string",
        chat(messages=[message(), calls('{"a": 1}')]),
        "json: cannot unmarshal string into Go struct field "
        "ToolCallFunction.messages.tool_calls.function.arguments of type "
        "api.ToolCallFunctionArguments",
    ),
    Case(
        "index-fraction",
        chat(messages=[message(), calls({}, index=1.5)]),
        "json: cannot unmarshal number 1.5 into Go struct field "
        "ToolCallFunction.messages.tool_calls.function.index of type int",
    ),
    Case(
        "stream-string",
        chat(stream="yes"),
        "json: cannot unmarshal string into Go struct field ChatRequest.stream of type bool",
    ),
    Case(
        "options-array",
        chat(options=[]),
        "json: cannot unmarshal array into Go struct field ChatRequest.options of type "
        "map[string]interface {}",
    ),
    Case(
        "tools-object",
        chat(tools={}),
        "json: cannot unmarshal object into Go struct field ChatRequest.tools of type api.Tools",
    ),
    Case(
        "tool-name-number",
        chat(tools=[tool(name=5)]),
        "json: cannot unmarshal number into Go struct field ToolFunction.tools.function.name "
        "of type string",
    ),
    Case(
        "think-unknown-level",
        chat(model="qwen3", think="max"),
        'invalid think value: "max" (must be "high", "medium", "low", true, or false)',
    ),
    Case(
        "think-number",
        chat(model="qwen3", think=1),
        'think must be a boolean or string ("high", "medium", "low", true, or false)',
    ),
    Case("keep-alive-word", chat(keep_alive="soon"), 'time: invalid duration "soon"'),
    Case("keep-alive-no-unit", chat(keep_alive="10"), 'time: missing unit in duration "10"'),
    Case("keep-alive-bool", chat(keep_alive=True), "Unsupported type: 'bool'"),
    Case("top-logprobs-high", chat(top_logprobs=21), "top_logprobs must be between 0 and 20"),
    Case("top-logprobs-low", chat(top_logprobs=-1), "top_logprobs must be between 0 and 20"),
    Case("think-without-thinking", chat(think=True), '"llama3.2" does not support thinking'),
    Case(
        "think-level-without-levels",
        chat(model="qwen3:8b", think="low"),
        'think value "low" is not supported for this model',
    ),
    Case(
        "chat-with-embedding-model",
        chat(model="nomic-embed-text"),
        '"nomic-embed-text" does not support chat',
    ),
    Case(
        "tools-without-tools",
        chat(model="llama2", tools=[tool()]),
        "registry.ollama.ai/library/llama2:latest does not support tools",
    ),
    Case(
        "tools-without-tools-namespaced",
        chat(model="someone/llama2:7b", tools=[tool()]),
        "registry.ollama.ai/someone/llama2:7b does not support tools",
    ),
    Case(
        "option-float-type",
        chat(options={"temperature": "hot"}),
        'option "temperature" must be of type float32',
        500,
    ),
    Case(
        "option-int-type",
        chat(options={"num_ctx": "big"}),
        'option "num_ctx" must be of type integer',
        500,
    ),
    Case(
        "option-stop-type", chat(options={"stop": "x"}), 'option "stop" must be of type array', 500
    ),
    Case(
        "format-word",
        chat(format="xml"),
        'invalid format: "\\"xml\\""; expected "json" or a valid JSON Schema object',
        500,
    ),
]

OTHER_CASES = [
    Case("embed-empty-body", b"", "missing request body", path="/api/embed"),
    Case(
        "embed-input-number",
        {"model": "nomic-embed-text", "input": 5},
        "invalid input type",
        path="/api/embed",
    ),
    Case(
        "embed-input-numbers",
        {"model": "nomic-embed-text", "input": [1, 2]},
        "invalid input type",
        path="/api/embed",
    ),
    Case("embed-model-missing", {"input": "x"}, "model '' not found", 404, "/api/embed"),
    Case(
        "embed-dimensions-string",
        {"model": "nomic-embed-text", "input": "x", "dimensions": "4"},
        "json: cannot unmarshal string into Go struct field EmbedRequest.dimensions of type int",
        path="/api/embed",
    ),
    Case("show-model-missing", {}, "model is required", path="/api/show"),
]

ALL_CASES = CHAT_CASES + OTHER_CASES
IDS = [f"{c.path.rsplit('/', 1)[1]}-{c.id}" for c in ALL_CASES]


def check(case: Case) -> OllamaWireError | None:
    kind = {"/api/chat": "Chat", "/api/embed": "Embed", "/api/show": "Show"}[case.path]
    body, error = read_body(case.raw(), f"api.{kind}Request")
    if error is not None:
        return error
    if case.path == "/api/chat":
        return check_chat(body, OllamaCapabilities(), None)
    if case.path == "/api/embed":
        return check_embed(body, None)
    return check_show(body, None)


@pytest.mark.parametrize("case", ALL_CASES, ids=IDS)
def test_rule_as_pure_function(case: Case) -> None:
    error = check(case)
    assert error is not None
    assert error.status == case.status
    assert json.loads(error.body()) == {"error": case.message}


@pytest.mark.parametrize("case", ALL_CASES, ids=IDS)
def test_rule_over_http(
    case: Case, server: FakeProviderServer, ollama_client: httpx2.Client
) -> None:
    server.script(["must not be used"])
    r = ollama_client.post(case.path, content=case.raw())
    assert r.status_code == case.status
    assert r.json() == {"error": case.message}
    assert [(q.method, q.path, q.body, q.status) for q in server.requests] == [
        ("POST", case.path, case.raw(), case.status)
    ]
    assert server.errors == []
    # A rejected request never reaches the script.
    answer = ollama_client.post("/api/chat", json=chat(stream=False)).json()
    assert answer["message"]["content"] == "must not be used"


def test_unknown_model_is_not_found_when_the_server_has_a_model_set() -> None:
    with (
        FakeProviderServer(["never"], models={"llama3.2", "qwen3:8b"}) as server,
        httpx2.Client(base_url=server.ollama_base_url) as client,
    ):
        for path, body in [
            ("/api/chat", chat(model="mistral")),
            ("/api/chat", chat(model="qwen3")),  # qwen3:latest is not qwen3:8b
            ("/api/embed", {"model": "mistral", "input": "x"}),
            ("/api/show", {"model": "mistral"}),
        ]:
            r = client.post(path, json=body)
            assert (r.status_code, r.json()) == (
                404,
                {"error": f"model '{body['model']}' not found"},
            )
        ok = client.post("/api/chat", json=chat(model="llama3.2:latest", stream=False))
        assert ok.status_code == 200


ACCEPTED_CHAT: dict[str, Any] = {
    "full-tool-conversation": chat(
        messages=[
            {"role": "system", "content": "Be brief."},
            message(content="add 1 and 2", images=[PNG]),
            {
                "role": "assistant",
                "content": "",
                "thinking": "I should add.",
                "tool_calls": [
                    {"id": "call_1", "function": {"index": 0, "name": "add", "arguments": {}}},
                    {"function": {"name": "add", "arguments": {"a": 1}}},
                ],
            },
            {"role": "tool", "content": "3", "tool_name": "add", "tool_call_id": "call_1"},
            {"role": "tool", "content": "3", "tool_name": "add"},
            {"role": "assistant", "content": "3"},
            message(),
        ],
        tools=[tool(description="Add.", parameters={"type": "object", "properties": {}})],
    ),
    "every-option": chat(
        options={
            "temperature": 0,
            "top_p": 1,
            "num_predict": 10.0,
            "stop": ["a", "b"],
            "seed": 7,
            "num_ctx": 4096,
            "use_mmap": False,
            "something_new": "ignored",
        }
    ),
    "format-json": chat(format="json"),
    "format-schema": chat(format={"type": "object", "properties": {"a": {"type": "string"}}}),
    "think-on-thinking-model": chat(model="qwen3", think=True),
    "think-off-anywhere": chat(think=False),
    "think-level-gpt-oss": chat(model="gpt-oss:20b", think="high"),
    "keep-alive-forms": chat(keep_alive="1h30m"),
    "keep-alive-seconds": chat(keep_alive=-1),
    "nulls-are-unset": chat(stream=None, options=None, tools=None, think=None, format=None),
    "unknown-fields-ignored": chat(temperature=2, tool_choice="auto", n=3),
    "stream-false": chat(stream=False, truncate=True, shift=False, logprobs=True, top_logprobs=5),
}


@pytest.mark.parametrize("body", ACCEPTED_CHAT.values(), ids=ACCEPTED_CHAT.keys())
def test_valid_chat_bodies_pass(
    body: dict[str, Any], server: FakeProviderServer, ollama_client: httpx2.Client
) -> None:
    assert check_chat(body, OllamaCapabilities(), None) is None
    server.script(["ok"])
    r = ollama_client.post("/api/chat", json=body)
    assert r.status_code == 200, r.text


def test_only_the_first_json_value_counts(
    server: FakeProviderServer, ollama_client: httpx2.Client
) -> None:
    server.script(["ok"])
    raw = json.dumps(chat(stream=False)).encode() + b" and then some garbage"
    assert read_body(raw, "api.ChatRequest")[1] is None
    assert ollama_client.post("/api/chat", content=raw).status_code == 200


ACCEPTED_EMBED = {
    "string": {"model": "nomic-embed-text", "input": "hello"},
    "strings": {"model": "nomic-embed-text", "input": ["a", "b"]},
    "empty": {"model": "nomic-embed-text", "input": []},
    "no-input": {"model": "nomic-embed-text"},
    "options": {"model": "all-minilm", "input": "x", "truncate": False, "dimensions": 4},
}


@pytest.mark.parametrize("body", ACCEPTED_EMBED.values(), ids=ACCEPTED_EMBED.keys())
def test_valid_embed_bodies_pass(body: dict[str, Any], ollama_client: httpx2.Client) -> None:
    assert check_embed(body, None) is None
    r = ollama_client.post("/api/embed", json=body)
    assert r.status_code == 200, r.text


ODD_VALUES: list[Any] = [None, True, 0, -1, 2.5, "", "x", [], [1], ["x"], [{}], {}, {"a": 1}]


def _mutations(value: Any) -> Iterator[Any]:
    """Copies of ``value`` with one nested value replaced by each odd value in turn."""
    yield from ODD_VALUES
    if isinstance(value, dict):
        for key in value:
            for changed in _mutations(value[key]):
                yield {**value, key: changed}
    elif isinstance(value, list):
        for i, item in enumerate(value):
            for changed in _mutations(item):
                yield [*value[:i], changed, *value[i + 1 :]]


def test_odd_values_anywhere_never_crash_the_checks() -> None:
    capabilities = OllamaCapabilities()
    checked = 0
    bodies = [*ACCEPTED_CHAT.values(), *ACCEPTED_EMBED.values()]
    bodies += [c.body for c in ALL_CASES if not isinstance(c.body, bytes)]
    for body in bodies:
        for mutated in _mutations(body):
            raw = json.dumps(mutated).encode()
            for go_type in ("api.ChatRequest", "api.EmbedRequest", "api.ShowRequest"):
                read, error = read_body(raw, go_type)
                if error is not None:
                    continue
                if go_type == "api.ChatRequest" and check_chat(read, capabilities, None) is None:
                    decode_request(read)
                elif go_type == "api.EmbedRequest":
                    check_embed(read, None)
                else:
                    check_show(read, None)
            checked += 1
    assert checked > 5000

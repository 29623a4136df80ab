"""Every Anthropic validation rule of the fake server, checked twice.

Each case is run through the pure check (``check_message_body``) and sent over
HTTP to the running fake server, which must answer with the same status and
error body, record the request, and leave the script untouched.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest

from llmkit.testing import FakeProviderServer
from llmkit.testing._fake.anthropic.request import decode_request
from llmkit.testing._fake.anthropic.rules import check_message_body

KEY = "sk-ant-rules-0123456789"
HEADERS = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
_DROP = object()
BASE: dict[str, Any] = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 100,
    "messages": [{"role": "user", "content": "hi"}],
}


def body(**changes: Any) -> dict[str, Any]:
    """The base body with ``changes`` applied (``_DROP`` removes a key)."""
    result = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is _DROP:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def user(*content: Any) -> dict[str, Any]:
    return {
        "role": "user",
        "content": list(content)
        if len(content) != 1 or not isinstance(content[0], str)
        else content[0],
    }


def assistant(*content: Any) -> dict[str, Any]:
    return {"role": "assistant", "content": list(content)}


def text(value: str = "x", **extra: Any) -> dict[str, Any]:
    return {"type": "text", "text": value, **extra}


def use(call_id: str = "toolu_1", name: str = "add") -> dict[str, Any]:
    return {"type": "tool_use", "id": call_id, "name": name, "input": {}}


def result(call_id: str = "toolu_1", **extra: Any) -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": call_id, "content": "3", **extra}


def thought() -> dict[str, Any]:
    return {"type": "thinking", "thinking": "hm", "signature": "sig"}


def tool(name: str = "add", **extra: Any) -> dict[str, Any]:
    return {"name": name, "input_schema": {"type": "object", "properties": {}}, **extra}


THINKING = {"type": "enabled", "budget_tokens": 1024}
PNG = {"type": "base64", "media_type": "image/png", "data": "iVBORw=="}


@dataclass
class Case:
    id: str
    body: Any
    message: str
    status: int = 400
    type: str = "invalid_request_error"
    version: str = "2023-06-01"
    headers: dict[str, str] = field(default_factory=dict)


BODY_CASES = [
    Case("unknown-field", body(foo=1), "foo: Extra inputs are not permitted"),
    Case("model-missing", body(model=_DROP), "model: Field required"),
    Case("model-not-string", body(model=3), "model: Input should be a valid string"),
    Case("messages-missing", body(messages=_DROP), "messages: Field required"),
    Case("max-tokens-missing", body(max_tokens=_DROP), "max_tokens: Field required"),
    Case("max-tokens-not-int", body(max_tokens="9"), "max_tokens: Input should be a valid integer"),
    Case(
        "max-tokens-zero",
        body(max_tokens=0),
        "max_tokens: Input should be greater than or equal to 1",
    ),
    Case(
        "max-tokens-over-the-model",
        body(max_tokens=64001),
        "max_tokens: 64001 > 64000, which is the maximum allowed number of output tokens for "
        "claude-sonnet-4-5",
    ),
    Case("stream-not-bool", body(stream="yes"), "stream: Input should be a valid boolean"),
    Case(
        "temperature-above-one",
        body(temperature=1.5),
        "temperature: Input should be less than or equal to 1",
    ),
    Case("top-p-negative", body(top_p=-0.1), "top_p: Input should be greater than or equal to 0"),
    Case(
        "stop-sequences-not-list",
        body(stop_sequences="END"),
        "stop_sequences: Input should be a valid list",
    ),
    Case(
        "metadata-unknown-key",
        body(metadata={"user": "a"}),
        "metadata.user: Extra inputs are not permitted",
    ),
    Case(
        "sampling-on-2026-10-21",
        body(temperature=1.0),
        "temperature: Extra inputs are not permitted",
        version="2026-10-21",
    ),
    Case(
        "top-k-on-2026-10-21",
        body(top_k=5),
        "top_k: Extra inputs are not permitted",
        version="2026-10-21",
    ),
    Case(
        "document-in-assistant-on-2026-10-21",
        body(
            messages=[
                user("a"),
                assistant(
                    {
                        "type": "document",
                        "source": {"type": "text", "media_type": "text/plain", "data": "d"},
                    }
                ),
            ]
        ),
        "messages.1.content.0: `document` blocks are not allowed in `assistant` messages",
        version="2026-10-21",
    ),
    Case(
        "user-citations-on-2026-10-21",
        body(messages=[user(text("a", citations=[{"type": "char_location"}]))]),
        "messages.0.content.0.citations: citations are not allowed in `user` text blocks",
        version="2026-10-21",
    ),
    Case("messages-not-list", body(messages="hi"), "messages: Input should be a valid list"),
    Case("messages-empty", body(messages=[]), "messages: at least one message is required"),
    Case(
        "role-unknown",
        body(messages=[{"role": "robot", "content": "hi"}]),
        "messages.0.role: Input should be 'user', 'assistant' or 'system'",
    ),
    Case("role-missing", body(messages=[{"content": "hi"}]), "messages.0.role: Field required"),
    Case(
        "content-missing", body(messages=[{"role": "user"}]), "messages.0.content: Field required"
    ),
    Case(
        "message-extra-field",
        body(messages=[{"role": "user", "content": "hi", "name": "bob"}]),
        "messages.0.name: Extra inputs are not permitted",
    ),
    Case(
        "empty-content",
        body(messages=[user(""), assistant(text("ok"))]),
        "messages.0: all messages must have non-empty content except for the optional final "
        "assistant message",
    ),
    Case(
        "empty-text-block",
        body(messages=[user(text(""))]),
        "messages: text content blocks must be non-empty",
    ),
    Case(
        "tool-use-in-user-turn",
        body(messages=[user(use())]),
        "messages.0.content.0.type: Input tag 'tool_use' found using 'type' does not match any "
        "of the expected tags: 'text', 'image', 'document', 'search_result', 'tool_result', "
        "'container_upload'",
    ),
    Case(
        "tool-result-in-assistant-turn",
        body(messages=[user("a"), assistant(result())]),
        "messages.1.content.0.type: Input tag 'tool_result' found using 'type' does not match "
        "any of the expected tags: 'text', 'thinking', 'redacted_thinking', 'tool_use', "
        "'document', 'server_tool_use', 'web_search_tool_result', 'web_fetch_tool_result', "
        "'code_execution_tool_result', 'bash_code_execution_tool_result', "
        "'text_editor_code_execution_tool_result', 'tool_search_tool_result'",
    ),
    Case(
        "block-extra-field",
        body(messages=[user(text("a", name="b"))]),
        "messages.0.content.0.text.name: Extra inputs are not permitted",
    ),
    Case(
        "image-media-type",
        body(messages=[user({"type": "image", "source": {**PNG, "media_type": "image/bmp"}})]),
        "messages.0.content.0.source.base64.media_type: Input should be 'image/jpeg', "
        "'image/png', 'image/gif' or 'image/webp'",
    ),
    Case(
        "pdf-media-type",
        body(messages=[user({"type": "document", "source": {**PNG}})]),
        "messages.0.content.0.source.base64.media_type: Input should be 'application/pdf'",
    ),
    Case(
        "image-without-source",
        body(messages=[user({"type": "image"})]),
        "messages.0.content.0.source: Field required",
    ),
    Case(
        "cache-control-type",
        body(messages=[user(text("a", cache_control={"type": "forever"}))]),
        "messages.0.content.0.cache_control.type: Input should be 'ephemeral'",
    ),
    Case(
        "too-many-cache-markers",
        body(
            messages=[user(*[text(str(i), cache_control={"type": "ephemeral"}) for i in range(5)])]
        ),
        "A maximum of 4 blocks with cache_control may be provided. Found 5.",
    ),
    Case(
        "tool-use-id-pattern",
        body(messages=[user("a"), assistant(use("call.1"))]),
        "messages.1.content.0.id: String should match pattern '^[a-zA-Z0-9_-]+$'",
    ),
    Case(
        "tool-use-input-not-object",
        body(messages=[user("a"), assistant({**use(), "input": "{}"})]),
        "messages.1.content.0.input: Input should be a valid dictionary",
    ),
    Case(
        "tool-result-for-unknown-id",
        body(
            messages=[
                user("a"),
                assistant(use("toolu_1")),
                user(result("toolu_1"), result("toolu_9")),
            ],
            tools=[tool()],
        ),
        "messages.2.content.1: unexpected `tool_use_id` found in `tool_result` blocks: toolu_9. "
        "Each `tool_result` block must have a corresponding `tool_use` block in the previous "
        "message.",
    ),
    Case(
        "tool-result-without-tool-use",
        body(messages=[user(result())]),
        "messages.0.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_1. "
        "Each `tool_result` block must have a corresponding `tool_use` block in the previous "
        "message.",
    ),
    Case(
        "tool-use-unanswered",
        body(
            messages=[
                user("a"),
                assistant(use("toolu_1"), use("toolu_2")),
                user(result("toolu_1")),
            ],
            tools=[tool()],
        ),
        "messages.2: `tool_use` ids were found without `tool_result` blocks immediately after: "
        "toolu_2. Each `tool_use` block must have a corresponding `tool_result` block in the "
        "next message.",
    ),
    Case(
        "tool-results-not-first",
        body(messages=[user("a"), assistant(use()), user(text("b"), result())], tools=[tool()]),
        "messages.2: Did not find 1 `tool_result` block(s) at the beginning of this message. "
        "Messages following `tool_use` blocks must begin with a matching number of "
        "`tool_result` blocks.",
    ),
    Case(
        "thinking-must-open-the-answered-turn",
        body(
            messages=[user("a"), assistant(text("let me"), use()), user(result())],
            tools=[tool()],
            thinking=THINKING,
            max_tokens=2000,
        ),
        "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found "
        "`text`. When `thinking` is enabled, a final `assistant` message must start with a "
        "thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). "
        "We recommend you include thinking blocks from previous turns. To avoid this "
        "requirement, disable `thinking`. Please consult our documentation at "
        "https://docs.claude.com/en/docs/build-with-claude/extended-thinking",
    ),
    Case(
        "system-role-unsupported",
        body(messages=[user("a"), {"role": "system", "content": "b"}]),
        "messages.1.role: role 'system' is not supported on this model",
    ),
    Case(
        "system-turn-after-assistant",
        body(
            model="claude-opus-4-8",
            messages=[user("a"), assistant(text("b")), {"role": "system", "content": "c"}],
        ),
        "messages.2: a `system` message must directly follow a `user` message",
    ),
    Case(
        "system-turn-before-user",
        body(
            model="claude-opus-4-8",
            messages=[user("a"), {"role": "system", "content": "c"}, user("d")],
        ),
        "messages.1: a `system` message must be followed by an `assistant` message or end the "
        "conversation",
    ),
    Case(
        "system-turns-adjacent",
        body(
            model="claude-opus-4-8",
            messages=[
                user("a"),
                {"role": "system", "content": "b"},
                {"role": "system", "content": "c"},
            ],
        ),
        "messages.1: two `system` messages may not be adjacent",
    ),
    Case(
        "system-field-not-text",
        body(system=[{"type": "image", "source": PNG}]),
        "system.0.type: Input tag 'image' found using 'type' does not match any of the expected tags: 'text'",
    ),
    Case("tools-not-list", body(tools={"name": "add"}), "tools: Input should be a valid list"),
    Case(
        "tool-name-pattern",
        body(tools=[tool("add numbers")]),
        "tools.0.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'",
    ),
    Case(
        "tool-name-too-long",
        body(tools=[tool("a" * 129)]),
        "tools.0.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'",
    ),
    Case("tool-names-unique", body(tools=[tool(), tool()]), "tools: Tool names must be unique."),
    Case(
        "tool-schema-missing",
        body(tools=[{"name": "add"}]),
        "tools.0.custom.input_schema: Field required",
    ),
    Case(
        "tool-schema-not-object",
        body(tools=[{"name": "add", "input_schema": {"type": "array"}}]),
        "tools.0.custom.input_schema.type: Input should be 'object'",
    ),
    Case(
        "tool-extra-field",
        body(tools=[tool(parameters={})]),
        "tools.0.custom.parameters: Extra inputs are not permitted",
    ),
    Case(
        "tool-choice-type",
        body(tools=[tool()], tool_choice={"type": "required"}),
        "tool_choice.type: Input tag 'required' found using 'type' does not match any of the "
        "expected tags: 'auto', 'any', 'tool', 'none'",
    ),
    Case(
        "tool-choice-name-missing",
        body(tools=[tool()], tool_choice={"type": "tool"}),
        "tool_choice.tool.name: Field required",
    ),
    Case(
        "tool-choice-unknown-tool",
        body(tools=[tool()], tool_choice={"type": "tool", "name": "sub"}),
        "tool_choice.tool.name: Tool 'sub' not found in provided tools",
    ),
    Case(
        "tool-choice-none-parallel",
        body(tools=[tool()], tool_choice={"type": "none", "disable_parallel_tool_use": True}),
        "tool_choice.none.disable_parallel_tool_use: Extra inputs are not permitted",
    ),
    Case(
        "thinking-type",
        body(thinking={"type": "on"}),
        "thinking.type: Input tag 'on' found using 'type' does not match any of the expected "
        "tags: 'enabled', 'disabled', 'adaptive'",
    ),
    Case(
        "thinking-budget-missing",
        body(thinking={"type": "enabled"}),
        "thinking.enabled.budget_tokens: Field required",
    ),
    Case(
        "thinking-budget-small",
        body(thinking={"type": "enabled", "budget_tokens": 1000}, max_tokens=4000),
        "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
    ),
    Case(
        "thinking-budget-not-below-max-tokens",
        body(thinking=THINKING, max_tokens=1024),
        "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our "
        "documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
        "#max-tokens-and-context-window-size",
    ),
    Case(
        "output-config-unknown-key",
        body(output_config={"schema": {}}),
        "output_config.schema: Extra inputs are not permitted",
    ),
    Case(
        "output-format-type",
        body(output_config={"format": {"type": "json", "schema": {}}}),
        "output_config.format.type: Input should be 'json_schema'",
    ),
    Case(
        "output-format-schema-missing",
        body(output_config={"format": {"type": "json_schema"}}),
        "output_config.format.schema: Field required",
    ),
    Case(
        "output-format-extra-key",
        body(output_config={"format": {"type": "json_schema", "schema": {}, "name": "x"}}),
        "output_config.format.name: Extra inputs are not permitted",
    ),
    Case(
        "output-effort",
        body(output_config={"effort": "extreme"}),
        "output_config.effort: Input should be 'low', 'medium', 'high', 'xhigh' or 'max'",
    ),
    Case("body-not-object", [], "The request body is not valid JSON: expected a JSON object"),
]


@pytest.fixture
def server(llmkit_fake_server: FakeProviderServer) -> FakeProviderServer:
    return llmkit_fake_server


@pytest.fixture
def client(server: FakeProviderServer) -> Iterator[httpx2.Client]:
    with httpx2.Client(base_url=server.anthropic_base_url, timeout=10) as c:
        yield c


def assert_rejected(
    r: httpx2.Response, server: FakeProviderServer, status: int, kind: str, message: str
) -> None:
    assert r.status_code == status, r.text
    answer = r.json()
    assert answer == {
        "type": "error",
        "error": {"type": kind, "message": message},
        "request_id": r.headers["request-id"],
    }
    assert r.headers["x-should-retry"] == "false"
    (recorded,) = server.requests
    assert recorded.path == "/v1/messages" and recorded.status == status
    assert server.errors == []


@pytest.mark.parametrize("case", BODY_CASES, ids=lambda c: c.id)
def test_each_body_rule_rejects_with_the_api_wording(
    case: Case, server: FakeProviderServer, client: httpx2.Client
) -> None:
    error = check_message_body(case.body, version=case.version)
    assert error is not None
    assert (error.status, error.type, error.message) == (case.status, case.type, case.message)
    server.script(["must not be used"])
    headers = {**HEADERS, "anthropic-version": case.version}
    r = client.post("/v1/messages", json=case.body, headers=headers)
    assert_rejected(r, server, case.status, case.type, case.message)
    assert server.requests[0].json == case.body
    # A rejected request never reaches the script.
    r = client.post("/v1/messages", json=BASE, headers=HEADERS)
    assert r.json()["content"] == [{"type": "text", "text": "must not be used"}]


HEADER_CASES = [
    Case(
        "key-missing",
        BASE,
        "x-api-key header is required",
        401,
        "authentication_error",
        headers={"x-api-key": ""},
    ),
    Case(
        "version-missing",
        BASE,
        "anthropic-version: header is required",
        headers={"anthropic-version": ""},
    ),
    Case(
        "version-unknown",
        BASE,
        'anthropic-version: "2024-01-01" is not a valid version',
        headers={"anthropic-version": "2024-01-01"},
    ),
]


@pytest.mark.parametrize("case", HEADER_CASES, ids=lambda c: c.id)
def test_each_header_rule(case: Case, server: FakeProviderServer, client: httpx2.Client) -> None:
    headers = {k: v for k, v in {**HEADERS, **case.headers}.items() if v}
    r = client.post("/v1/messages", json=case.body, headers=headers)
    assert_rejected(r, server, case.status, case.type, case.message)


def test_a_body_that_is_not_json(server: FakeProviderServer, client: httpx2.Client) -> None:
    r = client.post("/v1/messages", content=b'{"model": ', headers=HEADERS)
    message = r.json()["error"]["message"]
    assert message.startswith("The request body is not valid JSON: Expecting value")
    assert_rejected(r, server, 400, "invalid_request_error", message)
    assert server.requests[0].json is None


def test_a_bearer_key_is_accepted_and_x_api_key_wins() -> None:
    with FakeProviderServer(["one", "two", "three"], api_key=KEY) as server:
        url = server.anthropic_base_url + "/v1/messages"
        version = {"anthropic-version": "2023-06-01"}
        bearer = httpx2.post(url, json=BASE, headers={**version, "authorization": f"Bearer {KEY}"})
        assert bearer.status_code == 200
        both = httpx2.post(
            url,
            json=BASE,
            headers={**version, "authorization": f"Bearer {KEY}", "x-api-key": "wrong"},
        )
        assert both.status_code == 401 and both.json()["error"]["message"] == "invalid x-api-key"
        assert httpx2.post(url, json=BASE, headers={**version, "x-api-key": KEY}).status_code == 200


def test_unknown_model_is_404_not_found_error() -> None:
    with FakeProviderServer(["never"], models={"claude-sonnet-4-5"}) as server:
        r = httpx2.post(
            server.anthropic_base_url + "/v1/messages",
            json=body(model="claude-nope"),
            headers=HEADERS,
        )
        assert r.status_code == 404
        assert r.json()["error"] == {"type": "not_found_error", "message": "model: claude-nope"}


def test_a_beta_header_lets_unknown_fields_through(
    client: httpx2.Client, server: FakeProviderServer
) -> None:
    server.script(["beta"])
    r = client.post(
        "/v1/messages",
        json=body(mcp_servers=[]),
        headers={**HEADERS, "anthropic-beta": "mcp-client-2025-04-04"},
    )
    assert r.status_code == 200, r.text


ACCEPTED = {
    "first-message-from-assistant": body(messages=[assistant(text("Hello")), user("hi")]),
    "consecutive-user-turns-combined": body(
        messages=[user("a"), assistant(use()), user(result()), user("and then?")], tools=[tool()]
    ),
    "parallel-results-in-any-order": body(
        messages=[
            user("a"),
            assistant(use("toolu_1"), use("toolu_2")),
            user(result("toolu_2"), result("toolu_1", is_error=True)),
        ],
        tools=[tool()],
        tool_choice={"type": "auto", "disable_parallel_tool_use": True},
    ),
    "thinking-tool-loop": body(
        messages=[user("a"), assistant(thought(), use()), user(result())],
        tools=[tool(cache_control={"type": "ephemeral"})],
        thinking=THINKING,
        max_tokens=2048,
    ),
    "final-assistant-prefill": body(messages=[user("a"), {"role": "assistant", "content": ""}]),
    "media-and-documents": body(
        messages=[
            user(
                text("what?"),
                {"type": "image", "source": PNG},
                {"type": "image", "source": {"type": "url", "url": "https://x/cat.png"}},
                {
                    "type": "document",
                    "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBE"},
                    "title": "r",
                },
                {
                    "type": "document",
                    "source": {"type": "text", "media_type": "text/plain", "data": "d"},
                },
            )
        ]
    ),
    "system-blocks-and-sampling": body(
        system=[text("Be brief.", cache_control={"type": "ephemeral", "ttl": "1h"})],
        temperature=1,
        top_p=0,
        top_k=3,
        stop_sequences=["END"],
        metadata={"user_id": "u1"},
        stream=True,
    ),
    "mid-conversation-system-turn": body(
        model="claude-opus-4-8",
        messages=[
            user("a"),
            {"role": "system", "content": [text("Be terse.")]},
            assistant(text("ok")),
        ],
    ),
    "structured-output": body(
        output_config={
            "format": {"type": "json_schema", "schema": {"type": "object"}},
            "effort": "high",
        }
    ),
    "server-tool": body(
        tools=[{"type": "web_search_20250305", "name": "web_search", "max_uses": 3}]
    ),
    "max-tokens-zero-on-2026-10-21": body(max_tokens=0),
}


@pytest.mark.parametrize("payload", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_valid_bodies_pass(
    payload: dict[str, Any], server: FakeProviderServer, client: httpx2.Client
) -> None:
    version = "2026-10-21" if payload.get("max_tokens") == 0 else "2023-06-01"
    assert check_message_body(payload, version=version) is None
    server.script(["ok"])
    r = client.post("/v1/messages", json=payload, headers={**HEADERS, "anthropic-version": version})
    assert r.status_code == 200, r.text
    assert server.errors == []


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
    checked = 0
    bodies = [*ACCEPTED.values(), *(c.body for c in BODY_CASES)]
    for payload in bodies:
        for mutated in _mutations(payload):
            for version in ("2023-06-01", "2026-10-21"):
                if check_message_body(mutated, version=version) is None:
                    decode_request(mutated)
            checked += 1
    assert checked > 5000

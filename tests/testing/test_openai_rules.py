"""Every OpenAI validation rule of the fake server, checked twice.

Each case is run through the pure check (``check_chat`` / ``check_embeddings``)
and sent over HTTP to the running fake server, which must answer with the
same status and error body and record the request.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest

from llmkit.testing import FakeProviderServer
from llmkit.testing._fake.openai.request import decode_request
from llmkit.testing._fake.openai.rules import check_chat, check_embeddings

_DROP = object()
BASE: dict[str, Any] = {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "hi"}]}
EMBED_BASE: dict[str, Any] = {"model": "text-embedding-3-small", "input": "hello"}


def chat(**changes: Any) -> dict[str, Any]:
    """The base chat body with ``changes`` applied (``_DROP`` removes a key)."""
    body = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is _DROP:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def embed(**changes: Any) -> dict[str, Any]:
    """The base embeddings body with ``changes`` applied."""
    body = copy.deepcopy(EMBED_BASE)
    for key, value in changes.items():
        if value is _DROP:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def user(text: str = "hi") -> dict[str, Any]:
    return {"role": "user", "content": text}


def asks(*ids: str) -> dict[str, Any]:
    """An assistant message calling a tool once per id."""
    calls = [
        {"id": i, "type": "function", "function": {"name": "add", "arguments": "{}"}} for i in ids
    ]
    return {"role": "assistant", "content": None, "tool_calls": calls}


def answer(call_id: str) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call_id, "content": "42"}


def tool(name: str = "add", **function: Any) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, **function}}


@dataclass
class Case:
    id: str
    body: dict[str, Any]
    message: str
    param: str | None = None
    code: str | None = None
    status: int = 400
    path: str = "/chat/completions"


CHAT_CASES = [
    Case("unknown-parameter", chat(foo=1), "Unrecognized request argument supplied: foo"),
    Case("model-missing", chat(model=_DROP), "you must provide a model parameter"),
    Case(
        "messages-missing",
        chat(messages=_DROP),
        "Missing required parameter: 'messages'.",
        "messages",
        "missing_required_parameter",
    ),
    Case(
        "messages-not-array",
        chat(messages="hi"),
        "Invalid type for 'messages': expected an array, but got a string instead.",
        "messages",
        "invalid_type",
    ),
    Case(
        "messages-empty",
        chat(messages=[]),
        "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an "
        "empty array instead.",
        "messages",
        "empty_array",
    ),
    Case(
        "unknown-role",
        chat(messages=[{"role": "robot", "content": "hi"}]),
        "Invalid value: 'robot'. Supported values are: 'system', 'assistant', 'user', "
        "'function', 'tool', and 'developer'.",
        "messages[0].role",
        "invalid_value",
    ),
    Case(
        "role-missing",
        chat(messages=[{"content": "hi"}]),
        "Missing required parameter: 'messages[0].role'.",
        "messages[0].role",
        "missing_required_parameter",
    ),
    Case(
        "system-image-part",
        chat(
            messages=[
                {"role": "system", "content": [{"type": "image_url", "image_url": {"url": "x"}}]},
                user(),
            ]
        ),
        "Invalid value: 'image_url'. Supported values are: 'text'.",
        "messages[0].content[0].type",
        "invalid_value",
    ),
    Case(
        "user-unknown-part",
        chat(messages=[{"role": "user", "content": [{"type": "image", "url": "x"}]}]),
        "Invalid value: 'image'. Supported values are: 'text', 'image_url', 'input_audio', "
        "and 'file'.",
        "messages[0].content[0].type",
        "invalid_value",
    ),
    Case(
        "assistant-image-part",
        chat(
            messages=[
                user(),
                {
                    "role": "assistant",
                    "content": [{"type": "image_url", "image_url": {"url": "x"}}],
                },
                user(),
            ]
        ),
        "Invalid value: 'image_url'. Supported values are: 'text' and 'refusal'.",
        "messages[1].content[0].type",
        "invalid_value",
    ),
    Case(
        "tool-image-part",
        chat(
            messages=[
                user(),
                asks("call_1"),
                {
                    "role": "tool",
                    "tool_call_id": "call_1",
                    "content": [{"type": "image_url", "image_url": {"url": "x"}}],
                },
            ]
        ),
        "Invalid value: 'image_url'. Supported values are: 'text'.",
        "messages[2].content[0].type",
        "invalid_value",
    ),
    Case(
        "content-wrong-type",
        chat(messages=[{"role": "user", "content": 5}]),
        "Invalid type for 'messages[0].content': expected one of a string or array of objects, "
        "but got an integer instead.",
        "messages[0].content",
        "invalid_type",
    ),
    Case(
        "user-content-missing",
        chat(messages=[{"role": "user"}]),
        "Missing required parameter: 'messages[0].content'.",
        "messages[0].content",
        "missing_required_parameter",
    ),
    Case(
        "text-part-without-text",
        chat(messages=[{"role": "user", "content": [{"type": "text"}]}]),
        "Missing required parameter: 'messages[0].content[0].text'.",
        "messages[0].content[0].text",
        "missing_required_parameter",
    ),
    Case(
        "assistant-without-content-or-calls",
        chat(messages=[user(), {"role": "assistant", "content": None}, user()]),
        "Invalid value for 'content': expected a string, got null.",
        "messages.[1].content",
    ),
    Case(
        "tool-call-arguments-not-string",
        chat(
            messages=[
                user(),
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "add", "arguments": {}},
                        }
                    ],
                },
                answer("c1"),
            ]
        ),
        "Invalid type for 'messages[1].tool_calls[0].function.arguments': expected a string, "
        "but got an object instead.",
        "messages[1].tool_calls[0].function.arguments",
        "invalid_type",
    ),
    Case(
        "tool-message-without-id",
        chat(messages=[user(), asks("c1"), {"role": "tool", "content": "42"}]),
        "Missing parameter 'tool_call_id': messages with role 'tool' must have a 'tool_call_id'.",
        "messages.[2].tool_call_id",
    ),
    Case(
        "tool-message-without-calls-before",
        chat(messages=[user(), answer("c1")]),
        "Invalid parameter: messages with role 'tool' must be a response to a preceeding message "
        "with 'tool_calls'.",
        "messages.[1].role",
    ),
    Case(
        "tool-message-unknown-id",
        chat(messages=[user(), asks("c1"), answer("c9")]),
        "Invalid parameter: 'tool_call_id' of 'c9' not found in 'tool_calls' of previous message.",
        "messages.[2].tool_call_id",
    ),
    Case(
        "tool-call-unanswered-before-user",
        chat(messages=[user(), asks("c1", "c2"), answer("c1"), user()]),
        "An assistant message with 'tool_calls' must be followed by tool messages responding to "
        "each 'tool_call_id'. The following tool_call_ids did not have response messages: c2",
        "messages.[1].role",
    ),
    Case(
        "tool-call-unanswered-at-end",
        chat(messages=[user(), asks("c1")]),
        "An assistant message with 'tool_calls' must be followed by tool messages responding to "
        "each 'tool_call_id'. The following tool_call_ids did not have response messages: c1",
        "messages.[1].role",
    ),
    Case(
        "tool-name-pattern",
        chat(tools=[tool("get weather")]),
        "Invalid 'tools[0].function.name': string does not match pattern. Expected a string that "
        "matches the pattern '^[a-zA-Z0-9_-]+$'.",
        "tools[0].function.name",
        "invalid_value",
    ),
    Case(
        "tool-name-too-long",
        chat(tools=[tool("a" * 65)]),
        "Invalid 'tools[0].function.name': string too long. Expected a string with maximum "
        "length 64, but got a string with length 65 instead.",
        "tools[0].function.name",
        "string_above_max_length",
    ),
    Case(
        "tool-names-duplicate",
        chat(tools=[tool("add"), tool("add")]),
        "Invalid 'tools': tool names must be unique; 'add' is defined more than once.",
        "tools",
        "invalid_value",
    ),
    Case(
        "tool-strict-without-additional-properties",
        chat(
            tools=[
                tool(
                    strict=True,
                    parameters={
                        "type": "object",
                        "properties": {"a": {"type": "integer"}},
                        "required": ["a"],
                    },
                )
            ]
        ),
        "Invalid schema for function 'add': In context=(), 'additionalProperties' is required to "
        "be supplied and to be false.",
        "tools[0].function.parameters",
        "invalid_function_parameters",
    ),
    Case(
        "tool-choice-without-tools",
        chat(tool_choice="auto"),
        "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are "
        "specified.",
        "tool_choice",
    ),
    Case(
        "tool-choice-unknown-tool",
        chat(tools=[tool()], tool_choice={"type": "function", "function": {"name": "mul"}}),
        "Invalid value for 'tool_choice': tool 'mul' is not one of the tools in 'tools'.",
        "tool_choice.function.name",
    ),
    Case(
        "tool-choice-bad-string",
        chat(tools=[tool()], tool_choice="always"),
        "Invalid value: 'always'. Supported values are: 'none', 'auto', and 'required'.",
        "tool_choice",
        "invalid_value",
    ),
    Case(
        "parallel-tool-calls-without-tools",
        chat(parallel_tool_calls=False),
        "Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed when "
        "'tools' are specified.",
        "parallel_tool_calls",
    ),
    Case(
        "response-format-type",
        chat(response_format={"type": "yaml"}),
        "Invalid value: 'yaml'. Supported values are: 'text', 'json_object', and 'json_schema'.",
        "response_format.type",
        "invalid_value",
    ),
    Case(
        "json-schema-without-name",
        chat(response_format={"type": "json_schema", "json_schema": {"schema": {}}}),
        "Missing required parameter: 'response_format.json_schema.name'.",
        "response_format.json_schema.name",
        "missing_required_parameter",
    ),
    Case(
        "json-schema-strict-root",
        chat(
            response_format={
                "type": "json_schema",
                "json_schema": {
                    "name": "answer",
                    "strict": True,
                    "schema": {"type": "object", "properties": {}, "required": []},
                },
            }
        ),
        "Invalid schema for response_format 'answer': In context=(), 'additionalProperties' is "
        "required to be supplied and to be false.",
        "response_format",
        "invalid_json_schema",
    ),
    Case(
        "json-schema-strict-nested-required",
        chat(
            response_format={
                "type": "json_schema",
                "json_schema": {
                    "name": "person",
                    "strict": True,
                    "schema": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["address"],
                        "properties": {
                            "address": {
                                "type": "object",
                                "additionalProperties": False,
                                "properties": {"city": {"type": "string"}},
                                "required": [],
                            }
                        },
                    },
                },
            }
        ),
        "Invalid schema for response_format 'person': In context=('properties', 'address'), "
        "'required' is required to be supplied and to be an array including every key in "
        "properties. Missing 'city'.",
        "response_format",
        "invalid_json_schema",
    ),
    Case(
        "json-object-without-the-word",
        chat(response_format={"type": "json_object"}),
        "'messages' must contain the word 'json' in some form, to use 'response_format' of type "
        "'json_object'.",
        "messages",
    ),
    Case(
        "stream-options-without-stream",
        chat(stream_options={"include_usage": True}),
        "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
        "stream_options",
    ),
    Case(
        "temperature-above-max",
        chat(temperature=3),
        "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 3 "
        "instead.",
        "temperature",
        "decimal_above_max_value",
    ),
    Case(
        "temperature-below-min",
        chat(temperature=-0.5),
        "Invalid 'temperature': decimal below minimum value. Expected a value >= 0, but got -0.5 "
        "instead.",
        "temperature",
        "decimal_below_min_value",
    ),
    Case(
        "temperature-not-a-number",
        chat(temperature="hot"),
        "Invalid type for 'temperature': expected a decimal, but got a string instead.",
        "temperature",
        "invalid_type",
    ),
    Case(
        "top-p-above-max",
        chat(top_p=1.5),
        "Invalid 'top_p': decimal above maximum value. Expected a value <= 1, but got 1.5 instead.",
        "top_p",
        "decimal_above_max_value",
    ),
    Case(
        "frequency-penalty-below-min",
        chat(frequency_penalty=-3),
        "Invalid 'frequency_penalty': decimal below minimum value. Expected a value >= -2, but "
        "got -3 instead.",
        "frequency_penalty",
        "decimal_below_min_value",
    ),
    Case(
        "presence-penalty-above-max",
        chat(presence_penalty=2.5),
        "Invalid 'presence_penalty': decimal above maximum value. Expected a value <= 2, but got "
        "2.5 instead.",
        "presence_penalty",
        "decimal_above_max_value",
    ),
    Case(
        "n-below-min",
        chat(n=0),
        "Invalid 'n': integer below minimum value. Expected a value >= 1, but got 0 instead.",
        "n",
        "integer_below_min_value",
    ),
    Case(
        "n-above-max",
        chat(n=129),
        "Invalid 'n': integer above maximum value. Expected a value <= 128, but got 129 instead.",
        "n",
        "integer_above_max_value",
    ),
    Case(
        "max-tokens-below-min",
        chat(max_tokens=0),
        "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got 0 "
        "instead.",
        "max_tokens",
        "integer_below_min_value",
    ),
    Case(
        "max-completion-tokens-below-min",
        chat(max_completion_tokens=0),
        "Invalid 'max_completion_tokens': integer below minimum value. Expected a value >= 1, "
        "but got 0 instead.",
        "max_completion_tokens",
        "integer_below_min_value",
    ),
    Case(
        "too-many-stop-strings",
        chat(stop=["a", "b", "c", "d", "e"]),
        "Invalid 'stop': array too long. Expected an array with maximum length 4, but got an "
        "array with length 5 instead.",
        "stop",
        "array_above_max_length",
    ),
    Case(
        "reasoning-model-max-tokens",
        chat(model="o3-mini", max_tokens=100),
        "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
        "'max_completion_tokens' instead.",
        "max_tokens",
        "unsupported_parameter",
    ),
    Case(
        "reasoning-model-temperature",
        chat(model="o1", temperature=0.5),
        "Unsupported value: 'temperature' does not support 0.5 with this model. Only the default "
        "(1) value is supported.",
        "temperature",
        "unsupported_value",
    ),
    Case(
        "reasoning-model-top-p",
        chat(model="gpt-5-mini", top_p=0.9),
        "Unsupported value: 'top_p' does not support 0.9 with this model. Only the default (1) "
        "value is supported.",
        "top_p",
        "unsupported_value",
    ),
    Case(
        "reasoning-effort-on-chat-model",
        chat(reasoning_effort="low"),
        "Unrecognized request argument supplied: reasoning_effort",
    ),
    Case(
        "reasoning-effort-unknown-value",
        chat(model="o4-mini", reasoning_effort="extreme"),
        "Invalid value: 'extreme'. Supported values are: 'none', 'minimal', 'low', 'medium', "
        "'high', and 'xhigh'.",
        "reasoning_effort",
        "invalid_value",
    ),
]

_INVALID_INPUT = (
    "'$.input' is invalid. Please check the API reference: "
    "https://platform.openai.com/docs/api-reference."
)

EMBEDDING_CASES = [
    Case(
        "unknown-parameter",
        embed(truncate=True),
        "Unrecognized request argument supplied: truncate",
    ),
    Case("model-missing", embed(model=_DROP), "you must provide a model parameter"),
    Case(
        "input-missing",
        embed(input=_DROP),
        "Missing required parameter: 'input'.",
        "input",
        "missing_required_parameter",
    ),
    Case("input-empty-string", embed(input=""), _INVALID_INPUT),
    Case("input-empty-array", embed(input=[]), _INVALID_INPUT),
    Case("input-empty-item", embed(input=["a", ""]), _INVALID_INPUT),
    Case("input-mixed-items", embed(input=["a", 1]), _INVALID_INPUT),
    Case("input-too-many-items", embed(input=["a"] * 2049), _INVALID_INPUT),
    Case(
        "encoding-format",
        embed(encoding_format="hex"),
        "Invalid value: 'hex'. Supported values are: 'float' and 'base64'.",
        "encoding_format",
        "invalid_value",
    ),
    Case(
        "dimensions-on-old-model",
        embed(model="text-embedding-ada-002", dimensions=8),
        "This model does not support specifying dimensions.",
    ),
    Case(
        "dimensions-below-min",
        embed(dimensions=0),
        "Invalid 'dimensions': integer below minimum value. Expected a value >= 1, but got 0 "
        "instead.",
        "dimensions",
        "integer_below_min_value",
    ),
]
for _case in EMBEDDING_CASES:
    _case.path = "/embeddings"

ALL_CASES = CHAT_CASES + EMBEDDING_CASES


def _expected(case: Case) -> dict[str, Any]:
    return {
        "error": {
            "message": case.message,
            "type": "invalid_request_error",
            "param": case.param,
            "code": case.code,
        }
    }


@pytest.mark.parametrize("case", ALL_CASES, ids=[f"{c.path[1:]}-{c.id}" for c in ALL_CASES])
def test_rule_as_pure_function(case: Case) -> None:
    check = check_chat if case.path == "/chat/completions" else check_embeddings
    error = check(case.body)
    assert error is not None
    assert error.status == case.status
    assert json.loads(error.body()) == _expected(case)


@pytest.mark.parametrize("case", ALL_CASES, ids=[f"{c.path[1:]}-{c.id}" for c in ALL_CASES])
def test_rule_over_http(case: Case, server: FakeProviderServer, client: httpx2.Client) -> None:
    server.script(["must not be used"])
    r = client.post(case.path, json=case.body)
    assert r.status_code == case.status
    assert r.json() == _expected(case)
    assert r.headers["x-request-id"].startswith("req_")
    assert [(q.method, q.path, q.json, q.status) for q in server.requests] == [
        ("POST", f"/v1{case.path}", case.body, case.status)
    ]
    # A rejected request never reaches the script.
    assert (
        client.post("/chat/completions", json=BASE).json()["choices"][0]["message"]["content"]
        == "must not be used"
    )


ACCEPTED_CHAT = {
    "full-tool-conversation": chat(
        messages=[
            {"role": "developer", "content": [{"type": "text", "text": "Be brief."}]},
            user("add 1 and 2"),
            asks("c1", "c2"),
            answer("c2"),
            answer("c1"),
            {"role": "assistant", "content": "3"},
            user(),
        ],
        tools=[tool(parameters={"type": "object", "properties": {}})],
        tool_choice={"type": "function", "function": {"name": "add"}},
        parallel_tool_calls=True,
    ),
    "user-media-parts": chat(
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "what is this?"},
                    {"type": "image_url", "image_url": {"url": "https://x/cat.png"}},
                    {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
                    {"type": "file", "file": {"file_data": "data:application/pdf;base64,AA=="}},
                ],
            }
        ]
    ),
    "strict-schema-ok": chat(
        response_format={
            "type": "json_schema",
            "json_schema": {
                "name": "person",
                "strict": True,
                "schema": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["name", "tags"],
                    "properties": {
                        "name": {"type": "string"},
                        "tags": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
        }
    ),
    "json-object-with-the-word": chat(
        messages=[user("Answer in JSON.")], response_format={"type": "json_object"}
    ),
    "reasoning-model-defaults": chat(
        model="o3", max_completion_tokens=50, temperature=1, reasoning_effort="high"
    ),
    "stream-with-options": chat(stream=True, stream_options={"include_usage": True}),
    "all-sampling-at-limits": chat(
        temperature=2, top_p=0, frequency_penalty=-2, presence_penalty=2, n=1, stop="END", seed=7
    ),
}


@pytest.mark.parametrize("body", ACCEPTED_CHAT.values(), ids=ACCEPTED_CHAT.keys())
def test_valid_chat_bodies_pass(
    body: dict[str, Any], server: FakeProviderServer, client: httpx2.Client
) -> None:
    assert check_chat(body) is None
    server.script(["ok"])
    r = client.post("/chat/completions", json=body)
    assert r.status_code == 200, r.text


ACCEPTED_EMBEDDINGS = {
    "string": embed(),
    "strings": embed(input=["a", "b"]),
    "tokens": embed(input=[1, 2, 3]),
    "token-arrays": embed(input=[[1, 2], [3]]),
    "dimensions-on-v3": embed(dimensions=4, encoding_format="float"),
}


@pytest.mark.parametrize("body", ACCEPTED_EMBEDDINGS.values(), ids=ACCEPTED_EMBEDDINGS.keys())
def test_valid_embedding_bodies_pass(body: dict[str, Any], client: httpx2.Client) -> None:
    assert check_embeddings(body) is None
    assert client.post("/embeddings", json=body).status_code == 200


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
    bodies = [*ACCEPTED_CHAT.values(), *ACCEPTED_EMBEDDINGS.values()]
    bodies += [c.body for c in ALL_CASES if c.id != "input-too-many-items"]
    for body in bodies:
        for mutated in _mutations(body):
            chat_error = check_chat(mutated)
            check_embeddings(mutated)
            if chat_error is None:
                decode_request(mutated)
            checked += 1
    assert checked > 9000

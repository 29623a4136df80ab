"""The Gemini protocol of the fake server over raw HTTP: what it rejects, and how it answers."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest

from llmkit.testing import FakeProviderServer, tool_call
from llmkit.testing._fake.gemini.signatures import issue
from llmkit.types import Request

KEY = "AIza-rules-0123456789"
FLASH = "/v1beta/models/gemini-2.5-flash:generateContent"
PRO3 = "/v1beta/models/gemini-3-pro-preview:generateContent"
BASE: dict[str, Any] = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
ADD = {"name": "add", "parametersJsonSchema": {"type": "object"}}


@pytest.fixture
def http(server: FakeProviderServer) -> Iterator[httpx2.Client]:
    with httpx2.Client(base_url=server.url, headers={"x-goog-api-key": KEY}, timeout=10) as c:
        yield c


def body(**changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(BASE)
    out.update(changes)
    return out


def user(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "parts": list(parts) or [{"text": "hi"}]}


def model(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"role": "model", "parts": list(parts)}


def call(name: str = "add", signature: str | None = None) -> dict[str, Any]:
    part: dict[str, Any] = {"functionCall": {"name": name, "args": {}}}
    if signature is not None:
        part["thoughtSignature"] = signature
    return part


def result(name: str = "add") -> dict[str, Any]:
    return {"functionResponse": {"name": name, "response": {"result": "1"}}}


@dataclass
class Case:
    id: str
    body: dict[str, Any]
    message: str
    path: str = FLASH
    status: int = 400


TOOLS = [{"functionDeclarations": [ADD]}]
CASES = [
    Case("unknown-top-level", body(foo=1), 'Unknown name "foo": Cannot find field.'),
    Case(
        "unknown-in-generation-config",
        body(generationConfig={"temprature": 1}),
        "Unknown name \"temprature\" at 'generation_config'",
    ),
    Case(
        "unknown-in-part",
        body(contents=[user({"text": "x", "cache_control": {}})]),
        "Unknown name \"cache_control\" at 'contents[0].parts[0]'",
    ),
    Case(
        "additional-properties-in-openapi-schema",
        body(
            tools=[
                {
                    "function_declarations": [
                        {
                            "name": "f",
                            "parameters": {
                                "type": "OBJECT",
                                "properties": {"a": {"type": "STRING"}},
                                "additionalProperties": False,
                            },
                        }
                    ]
                }
            ]
        ),
        "Unknown name \"additionalProperties\" at 'tools[0].function_declarations[0].parameters'",
    ),
    Case(
        "ref-in-response-schema",
        body(
            generation_config={
                "response_mime_type": "application/json",
                "response_schema": {"$ref": "#/$defs/X"},
            }
        ),
        'Unknown name "$ref"',
    ),
    Case("wrong-value-type", body(generationConfig={"temperature": "hot"}), "(TYPE_FLOAT)"),
    Case("no-contents", {}, "contents is not specified"),
    Case("empty-parts", body(contents=[{"role": "user", "parts": []}]), "must not be empty"),
    Case(
        "bad-role",
        body(contents=[{"role": "assistant", "parts": [{"text": "x"}]}]),
        "Please use a valid role: user, model.",
    ),
    Case(
        "part-without-data", body(contents=[user({"thought": True})]), "required oneof field 'data'"
    ),
    Case(
        "part-with-two-data-fields",
        body(
            contents=[user({"text": "x", "inlineData": {"mimeType": "image/png", "data": "AA=="}})]
        ),
        "Oneof field 'data' is already set",
    ),
    Case(
        "bad-base64",
        body(contents=[user({"inlineData": {"mimeType": "image/png", "data": "%%%"}})]),
        "Base64 decoding failed",
    ),
    Case(
        "call-turn-first",
        body(contents=[model(call()), user(result())], tools=TOOLS),
        "function call turn comes immediately after a user turn",
    ),
    Case(
        "response-without-call",
        body(contents=[user(), user(result())], tools=TOOLS),
        "function response turn comes immediately after a function call turn",
    ),
    Case(
        "response-count",
        body(contents=[user(), model(call(), call()), user(result())], tools=TOOLS),
        "number of function response parts is equal to the number of function call parts",
    ),
    Case(
        "missing-signature-on-gemini-3",
        body(contents=[user(), model(call()), user(result())], tools=TOOLS),
        "Function call is missing a thought_signature in functionCall parts",
        PRO3,
    ),
    Case(
        "forged-signature",
        body(contents=[user(), model(call(signature="Zm9yZ2VyeQ==")), user(result())], tools=TOOLS),
        "Corrupted thought signature.",
        PRO3,
    ),
    Case(
        "schema-without-json-mime-type",
        body(generationConfig={"responseJsonSchema": {"type": "object"}}),
        "only supported with response_mime_type application/json",
    ),
    Case(
        "both-schemas",
        body(
            generationConfig={
                "responseMimeType": "application/json",
                "responseJsonSchema": {"type": "object"},
                "responseSchema": {"type": "OBJECT", "properties": {"a": {"type": "STRING"}}},
            }
        ),
        "cannot both be set",
    ),
    Case(
        "unknown-mime-type",
        body(generationConfig={"responseMimeType": "text/html"}),
        "allowed mimetypes",
    ),
    Case(
        "empty-object-properties",
        body(
            tools=[
                {
                    "functionDeclarations": [
                        {"name": "f", "parameters": {"type": "OBJECT", "properties": {}}}
                    ]
                }
            ]
        ),
        "should be non-empty for OBJECT type",
    ),
    Case(
        "bad-function-name",
        body(tools=[{"functionDeclarations": [{"name": "1-add"}]}]),
        "Invalid function name",
    ),
    Case(
        "both-parameter-forms",
        body(
            tools=[
                {
                    "functionDeclarations": [
                        {"name": "f", "parameters": {"type": "STRING"}, "parametersJsonSchema": {}}
                    ]
                }
            ]
        ),
        "cannot both be set",
    ),
    Case(
        "allowed-names-with-auto",
        body(
            tools=TOOLS,
            toolConfig={"functionCallingConfig": {"mode": "AUTO", "allowedFunctionNames": ["add"]}},
        ),
        "only be set when mode is ANY",
    ),
    Case(
        "allowed-name-not-declared",
        body(
            tools=TOOLS,
            toolConfig={"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["mul"]}},
        ),
        "Function mul is not declared",
    ),
    Case(
        "thinking-level-on-2.5",
        body(generationConfig={"thinkingConfig": {"thinkingLevel": "low"}}),
        "Thinking level is not supported",
    ),
    Case(
        "unknown-model-kind",
        BASE,
        "models/gemini-embedding-001 is not found for API version v1beta, or is not supported for generateContent",
        "/v1beta/models/gemini-embedding-001:generateContent",
        404,
    ),
    Case(
        "batch-over-100",
        {
            "requests": [
                {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "x"}]}}
            ]
            * 101
        },
        "at most 100 requests",
        "/v1beta/models/gemini-embedding-001:batchEmbedContents",
    ),
    Case(
        "batch-model-mismatch",
        {
            "requests": [
                {"model": "models/text-embedding-004", "content": {"parts": [{"text": "x"}]}}
            ]
        },
        "does not match the model in the URL",
        "/v1beta/models/gemini-embedding-001:batchEmbedContents",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_rejected_like_the_real_api(
    http: httpx2.Client, server: FakeProviderServer, case: Case
) -> None:
    server.script(["never sent"])
    r = http.post(case.path, json=case.body)
    assert r.status_code == case.status, r.text
    error = r.json()["error"]
    assert error["code"] == case.status
    assert error["status"] == ("INVALID_ARGUMENT" if case.status == 400 else "NOT_FOUND")
    assert case.message in error["message"]
    assert server.requests[-1].status == case.status
    assert server.errors == []


def test_signatures_it_issued_and_the_placeholder_pass(
    http: httpx2.Client, server: FakeProviderServer
) -> None:
    server.script(["ok", "ok"])
    for signature in (issue("add"), "skip_thought_signature_validator"):
        history = [user(), model(call(signature=signature), call()), user(result(), result())]
        r = http.post(PRO3, json=body(contents=history, tools=TOOLS))
        assert r.status_code == 200, r.text


def test_snake_case_names_are_read_too(http: httpx2.Client, server: FakeProviderServer) -> None:
    seen: list[Request] = []

    def script(request: Request) -> str:
        seen.append(request)
        return "ok"

    server.script(script)
    r = http.post(
        FLASH,
        json={
            "system_instruction": {"parts": [{"text": "Be brief."}]},
            "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
            "generation_config": {"max_output_tokens": 5, "top_k": 3},
        },
    )
    assert r.status_code == 200, r.text
    (request,) = seen
    assert request.messages[0].text == "Be brief." and request.max_tokens == 5
    assert request.extra == {"generationConfig": {"topK": 3}}


def test_auth(server: FakeProviderServer) -> None:
    with httpx2.Client(base_url=server.url, timeout=10) as bare:
        r = bare.post(FLASH, json=BASE)
        assert r.status_code == 403 and r.json()["error"]["status"] == "PERMISSION_DENIED"
        assert "unregistered callers" in r.json()["error"]["message"]
        server.script(["via query key"])
        assert bare.post(FLASH + "?key=k", json=BASE).status_code == 200
    with FakeProviderServer(api_key="right") as strict:
        r = httpx2.post(strict.url + FLASH, json=BASE, headers={"x-goog-api-key": "wrong"})
        error = r.json()["error"]
        assert r.status_code == 400 and error["details"][0]["reason"] == "API_KEY_INVALID"


def test_body_that_is_not_json(http: httpx2.Client) -> None:
    r = http.post(FLASH, content=b"{nope", headers={"content-type": "application/json"})
    assert r.status_code == 400 and "Invalid JSON payload received" in r.json()["error"]["message"]


def test_stream_framing_and_usage_on_every_chunk(
    http: httpx2.Client, server: FakeProviderServer
) -> None:
    server.script(["one two three four five six seven"])
    path = "/v1/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    r = http.post(path, json=BASE)
    assert r.headers["content-type"].startswith("text/event-stream")
    events = [e for e in r.content.split(b"\r\n\r\n") if e]
    chunks = [json.loads(e.removeprefix(b"data: ")) for e in events]
    assert ["".join(p["text"] for p in c["candidates"][0]["content"]["parts"]) for c in chunks] == [
        "one two three ",
        "four five six ",
        "seven",
    ]
    assert all("usageMetadata" in c for c in chunks)
    assert "candidatesTokenCount" in chunks[-1]["usageMetadata"]
    assert "finishReason" not in chunks[0]["candidates"][0]
    assert chunks[-1]["candidates"][0]["finishReason"] == "STOP"


def test_calls_carry_a_signature_on_gemini_3_only(
    http: httpx2.Client, server: FakeProviderServer
) -> None:
    server.script([[tool_call("add"), tool_call("add")], [tool_call("add")]])
    parts = http.post(PRO3, json=body(tools=TOOLS)).json()["candidates"][0]["content"]["parts"]
    assert "thoughtSignature" in parts[0] and "thoughtSignature" not in parts[1]
    assert "id" not in parts[0]["functionCall"]  # the script gave no id
    parts = http.post(FLASH, json=body(tools=TOOLS)).json()["candidates"][0]["content"]["parts"]
    assert "thoughtSignature" not in parts[0]


def test_models_list_and_embed_content(http: httpx2.Client, server: FakeProviderServer) -> None:
    names = [m["name"] for m in http.get("/v1beta/models").json()["models"]]
    assert "models/gemini-2.5-flash" in names
    # /v1/models belongs to the OpenAI protocol unless a Gemini key comes with it.
    assert "models" in http.get("/v1/models").json()
    openai = httpx2.get(server.url + "/v1/models", headers={"authorization": "Bearer k"})
    assert openai.json()["object"] == "list"
    r = http.post(
        "/v1beta/models/gemini-embedding-001:embedContent",
        json={"content": {"parts": [{"text": "hi"}]}, "outputDimensionality": 4},
    )
    assert len(r.json()["embedding"]["values"]) == 4

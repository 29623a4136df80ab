"""OpenAI-compatible servers: what each is sent, against the fake server's llama.cpp routes.

The fake's ``llamacpp_base_url`` refuses what llama.cpp's server refuses (a null
``content`` beside tool calls, a ``json_schema`` response format), ignores
``max_completion_tokens`` and cuts answers at ``max_tokens``.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from pydantic import BaseModel

import llmkit
from llmkit import Agent, Message, Request, tool
from llmkit.events import ModelResponse
from llmkit.providers import Capabilities
from llmkit.providers._presets import PRESETS
from llmkit.providers._profiles.openai import OpenAIProfile, openai_profile
from llmkit.providers.openai import OpenAIModel
from llmkit.testing import FakeProviderServer, tool_call

# Every test runs once per HTTP transport (the fixture sets LLMKIT_TRANSPORT).
pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("transport")]

KEY = "sk-test-0123456789"
LONG = "This answer goes on and on, far longer than the caller allowed it to."


class Invoice(BaseModel):
    total: float
    currency: str


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@pytest.fixture
def server(llmkit_fake_server: FakeProviderServer) -> FakeProviderServer:
    return llmkit_fake_server


def on_llamacpp(server: FakeProviderServer, name: str) -> OpenAIModel:
    """``name`` ("openai/<id>" or "llamacpp/<id>") pointed at the fake llama.cpp server."""
    model = llmkit.model(name, base_url=server.llamacpp_base_url, max_retries=0)
    assert isinstance(model, OpenAIModel)
    return model


VIA = ["openai/gemma-3-270m", "llamacpp/gemma-3-270m"]


# ----------------------------------------------------------------- token limit


@pytest.mark.parametrize("name", VIA)
async def test_compatible_server_gets_max_tokens_and_the_answer_stops_there(
    server: FakeProviderServer, name: str
) -> None:
    server.script([LONG, LONG])
    model = on_llamacpp(server, name)
    response = await model.generate(Request([Message.user("hi")], max_tokens=3))
    assert response.finish_reason == "length"
    assert response.text == LONG[:12]
    events = [e async for e in model.stream(Request([Message.user("hi")], max_tokens=3))]
    streamed = events[-1]
    assert isinstance(streamed, ModelResponse) and streamed.response.text == LONG[:12]
    for sent in server.requests:
        assert sent.json["max_tokens"] == 3
        assert "max_completion_tokens" not in sent.json


def test_which_token_limit_each_model_is_sent() -> None:
    openai = PRESETS["openai"]

    def limit(model_id: str, preset: str = "openai", *, own: bool = True) -> str:
        profile = openai_profile(model_id, PRESETS[preset], own_address=own)
        return profile.capabilities.token_limit_param

    # OpenAI's reasoning models take only max_completion_tokens, wherever they are served.
    assert limit("o3-mini") == limit("gpt-5") == "max_completion_tokens"
    assert limit("o4-mini", own=False) == "max_completion_tokens"
    # An id OpenAI's own API serves that the table does not know yet: the newer name.
    assert limit("gpt-9-preview") == "max_completion_tokens"
    # Non-reasoning OpenAI models, compatible servers and presets: max_tokens.
    assert limit("gpt-4.1-mini") == limit("gpt-4o", own=False) == "max_tokens"
    assert limit("gemma-3-270m", own=False) == "max_tokens"
    for preset in ("llamacpp", "vllm", "lmstudio", "groq", "mistral", "deepseek"):
        assert limit("some-model", preset) == "max_tokens"
    assert openai.official


def test_an_openai_model_string_at_another_address_is_a_compatible_server() -> None:
    local = llmkit.model("openai/gemma-3-270m", base_url="http://127.0.0.1:8080/v1")
    assert isinstance(local, OpenAIModel)
    assert local.profile.tool_call_content == "empty"
    assert local.capabilities.output_mode == "prompted"
    assert local.capabilities.token_limit_param == "max_tokens"
    own = llmkit.model("openai/gemma-3-270m", api_key=KEY)
    assert isinstance(own, OpenAIModel)
    assert own.profile == OpenAIProfile(own.capabilities)
    assert own.capabilities.token_limit_param == "max_completion_tokens"


async def test_reasoning_models_still_get_max_completion_tokens_from_the_strict_server(
    server: FakeProviderServer,
) -> None:
    server.script(["ok"])
    model = llmkit.model("openai/o3-mini", base_url=server.openai_base_url, api_key=KEY)
    await model.generate(Request([Message.user("hi")], max_tokens=50))
    (sent,) = server.requests
    assert sent.status == 200 and sent.json["max_completion_tokens"] == 50


# ------------------------------------------------------------------- tool loop


@pytest.mark.parametrize("name", VIA)
async def test_a_tool_loop_finishes_on_a_server_that_refuses_null_content(
    server: FakeProviderServer, name: str
) -> None:
    server.script([tool_call("add", a=2, b=3), "The sum is 5."])
    result = await Agent(on_llamacpp(server, name), tools=[add]).run("2+3?")
    assert result.output == "The sum is 5."
    assert [r.status for r in server.requests] == [200, 200]
    assistant = server.requests[1].json["messages"][1]
    assert assistant["content"] == "" and assistant["tool_calls"][0]["function"]["name"] == "add"


async def test_openai_itself_keeps_null_content_beside_tool_calls(
    server: FakeProviderServer,
) -> None:
    server.script([tool_call("add", a=2, b=3), "5"])
    # OpenAI's own address (the fake server stands in for it with OpenAI's profile).
    own = openai_profile("gpt-4.1-mini", PRESETS["openai"], own_address=True)
    assert own.tool_call_content == "null"
    model = OpenAIModel("gpt-4.1-mini", base_url=server.openai_base_url, api_key=KEY, profile=own)
    assert (await Agent(model, tools=[add]).run("2+3?")).output == "5"
    assert server.requests[1].json["messages"][1]["content"] is None


ALIASES = ["openai/gpt-4o-mini", "openai/gpt-3.5-turbo", "openai/o3-mini"]


@pytest.mark.parametrize("name", ALIASES)
async def test_a_local_model_under_an_openai_name_finishes_a_tool_loop(
    server: FakeProviderServer, name: str
) -> None:
    server.script([tool_call("add", a=2, b=3), "The sum is 5."])
    model = on_llamacpp(server, name)
    assert model.profile.tool_call_content == "empty"
    result = await Agent(model, tools=[add]).run("2+3?")
    assert result.output == "The sum is 5."
    assert [r.status for r in server.requests] == [200, 200]
    assert server.requests[1].json["messages"][1]["content"] == ""


async def test_an_openai_model_at_another_address_keeps_what_its_id_says(
    server: FakeProviderServer,
) -> None:
    # Most often a gateway in front of OpenAI (here the strict OpenAI routes): the empty
    # content is accepted there too, and structured output stays native json_schema.
    server.script([tool_call("add", a=2, b=3), "5", json.dumps({"total": 12.5, "currency": "EUR"})])
    model = llmkit.model("openai/gpt-4.1-mini", base_url=server.openai_base_url, api_key=KEY)
    assert (await Agent(model, tools=[add]).run("2+3?")).output == "5"
    assert server.requests[1].json["messages"][1]["content"] == ""
    result = await Agent(model, output_type=Invoice).run("Invoice: 12.50 EUR")
    assert result.output == Invoice(total=12.5, currency="EUR")
    assert server.requests[2].json["response_format"]["type"] == "json_schema"
    assert [r.status for r in server.requests] == [200, 200, 200]
    reasoning = llmkit.model("openai/o3-mini", base_url=server.openai_base_url, api_key=KEY)
    assert reasoning.capabilities.token_limit_param == "max_completion_tokens"


# ----------------------------------------------------------- structured output


def answer_invoice(request: Request) -> str:
    return json.dumps({"total": 12.5, "currency": "EUR"})


async def test_llamacpp_preset_asks_for_json_object_with_the_schema(
    server: FakeProviderServer,
) -> None:
    server.script(answer_invoice)
    model = on_llamacpp(server, "llamacpp/gemma-3-270m")
    result = await Agent(model, output_type=Invoice).run("Invoice: 12.50 EUR")
    assert result.output == Invoice(total=12.5, currency="EUR")
    (sent,) = server.requests
    fmt = sent.json["response_format"]
    assert fmt["type"] == "json_object"
    assert fmt["schema"]["properties"]["total"] == {"type": "number"}


async def test_unknown_compatible_server_gets_structured_output_by_prompt(
    server: FakeProviderServer,
) -> None:
    server.script(answer_invoice)
    model = on_llamacpp(server, "openai/gemma-3-270m")
    result = await Agent(model, output_type=Invoice).run("Invoice: 12.50 EUR")
    assert result.output == Invoice(total=12.5, currency="EUR")
    (sent,) = server.requests
    assert sent.status == 200
    assert "response_format" not in sent.json and "tools" not in sent.json
    assert "JSON schema" in json.dumps(sent.json["messages"])


async def test_output_mode_and_capabilities_override_what_auto_picks(
    server: FakeProviderServer,
) -> None:
    server.script([tool_call("final_result", total=1, currency="EUR")] * 2)
    # The agent's output_mode wins over the model's default ...
    model = on_llamacpp(server, "openai/gemma-3-270m")
    result = await Agent(model, output_type=Invoice, output_mode="tool").run("x")
    assert result.output == Invoice(total=1, currency="EUR")
    assert server.requests[-1].json["tools"][0]["function"]["name"] == "final_result"
    # ... and capabilities= changes what "auto" picks for a model.
    caps = dataclasses.replace(model.capabilities, output_mode="tool")
    tuned = llmkit.model(
        "openai/gemma-3-270m", base_url=server.llamacpp_base_url, capabilities=caps
    )
    assert (await Agent(tuned, output_type=Invoice).run("x")).output.currency == "EUR"
    assert server.requests[-1].json["tools"][0]["function"]["name"] == "final_result"


def test_presets_say_how_their_server_takes_a_schema() -> None:
    def profile(preset: str) -> OpenAIProfile:
        return openai_profile("m", PRESETS[preset], own_address=True)

    assert profile("llamacpp").schema_format == "json_object"
    assert profile("llamacpp").capabilities.structured_output
    for preset in ("vllm", "lmstudio", "mistral", "xai", "cerebras", "fireworks"):
        assert profile(preset).schema_format == "json_schema"
        assert profile(preset).capabilities.structured_output
    # Gateways and hosts whose models differ: structured output by tool call.
    for preset in ("openrouter", "groq", "together", "deepseek"):
        assert not profile(preset).capabilities.structured_output
    assert Capabilities().output_mode is None


def test_a_fallback_over_an_unknown_server_asks_for_output_in_the_prompt() -> None:
    unknown = llmkit.model("openai/gemma-3-270m", base_url="http://127.0.0.1:8080/v1")
    known = llmkit.model("openai/gpt-4.1-mini", api_key=KEY)
    assert llmkit.fallback(known, unknown).capabilities.output_mode == "prompted"
    assert llmkit.fallback(known, known).capabilities.output_mode is None

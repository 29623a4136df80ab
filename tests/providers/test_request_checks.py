"""A model call with something other than a Request: a UsageError that says what to pass, nothing sent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import llmkit
from llmkit import Agent, Message, Request
from llmkit._recording.replay import ReplayModel
from llmkit.errors import UsageError
from llmkit.hooks import with_hooks
from llmkit.providers import Model
from llmkit.recording import Recording, record
from llmkit.testing import FakeProviderServer, FunctionModel, ScriptedModel, TestModel
from llmkit.types import Response

pytestmark = pytest.mark.anyio


class PlainModel(Model):
    """A user's own model: only ``generate``; the sync twins and ``stream`` come from Model."""

    def __init__(self) -> None:
        self.calls = 0

    async def generate(self, request: Request) -> Response:
        self.calls += 1
        return await ScriptedModel(["ok"]).generate(request)


def replay_model(tmp_path: Path) -> Model:
    path = tmp_path / "run.jsonl"
    with record(path):
        Agent(ScriptedModel(["recorded"]), name="rec").run_sync("hi")
    return ReplayModel.for_run(path, Recording.load(path).run())


def http_models(server: FakeProviderServer) -> dict[str, Model]:
    key = {"api_key": "sk-test-0123456789", "max_retries": 0}
    return {
        "openai": llmkit.model("openai/gpt-4.1-mini", base_url=server.openai_base_url, **key),
        "anthropic": llmkit.model(
            "anthropic/claude-sonnet-4-5", base_url=server.anthropic_base_url, **key
        ),
        "gemini": llmkit.model("gemini/gemini-2.5-flash", base_url=server.gemini_base_url, **key),
        "ollama": llmkit.model("ollama/llama3.2", base_url=server.ollama_base_url, max_retries=0),
    }


MAKERS: dict[str, Callable[[FakeProviderServer, Path], Model]] = {
    "openai": lambda s, _: http_models(s)["openai"],
    "anthropic": lambda s, _: http_models(s)["anthropic"],
    "gemini": lambda s, _: http_models(s)["gemini"],
    "ollama": lambda s, _: http_models(s)["ollama"],
    "fallback": lambda s, _: llmkit.fallback(*list(http_models(s).values())[:2]),
    "race": lambda s, _: llmkit.race(*list(http_models(s).values())[:2]),
    "consensus": lambda s, _: llmkit.consensus(*http_models(s).values()),
    "hooked": lambda s, _: with_hooks(http_models(s)["openai"], []),
    "scripted": lambda s, _: ScriptedModel(["unused"]),
    "function": lambda s, _: FunctionModel(lambda r: "unused", stream_fn=lambda r: iter(["x"])),
    "test": lambda s, _: TestModel(),
    "replay": lambda s, tmp: replay_model(tmp),
    "plain": lambda s, _: PlainModel(),
}

WRONG: list[tuple[Any, str]] = [
    ("hi", "pass Request([Message.user(text)])"),
    (Message.user("hi"), "wrap it: Request([message])"),
    ([Message.user("hi")], "wrap the messages: Request(messages)"),
    ({"messages": []}, "build one with Request([Message.user('...')])"),
]


@pytest.fixture(params=list(MAKERS))
def model(
    request: pytest.FixtureRequest, llmkit_fake_server: FakeProviderServer, tmp_path: Path
) -> Model:
    return MAKERS[request.param](llmkit_fake_server, tmp_path)


@pytest.mark.parametrize(("wrong", "hint"), WRONG)
async def test_generate_and_stream_refuse_what_is_not_a_request(
    model: Model, wrong: Any, hint: str, llmkit_fake_server: FakeProviderServer
) -> None:
    if not isinstance(model, PlainModel):  # a user's own generate checks what it likes
        with pytest.raises(UsageError, match=r"generate\(\) takes a Request") as info:
            await model.generate(wrong)
        assert hint in str(info.value)
    with pytest.raises(UsageError, match=r"stream\(\) takes a Request") as info:
        async for _ in model.stream(wrong):
            pass
    assert hint in str(info.value)
    assert llmkit_fake_server.requests == []  # nothing was sent
    if isinstance(model, ScriptedModel | FunctionModel | TestModel):
        assert model.requests == []  # no turn of the script was used up
    if isinstance(model, PlainModel):
        assert model.calls == 0


@pytest.mark.parametrize(("wrong", "hint"), WRONG)
def test_the_sync_twins_refuse_what_is_not_a_request(
    model: Model, wrong: Any, hint: str, llmkit_fake_server: FakeProviderServer
) -> None:
    with pytest.raises(UsageError, match=r"generate_sync\(\) takes a Request") as info:
        model.generate_sync(wrong)
    assert hint in str(info.value) and "Agent(model).run_sync" in str(info.value)
    with pytest.raises(UsageError, match=r"stream_sync\(\) takes a Request"):
        model.stream_sync(wrong)
    assert llmkit_fake_server.requests == []


def test_a_request_still_goes_through() -> None:
    model = ScriptedModel(["fine"])
    assert model.generate_sync(Request([Message.user("hi")])).text == "fine"
    assert PlainModel().generate_sync(Request([Message.user("hi")])).text == "ok"


@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini", "ollama"])
@pytest.mark.parametrize("stray", [{"role": "user", "content": "hi"}, "hi", None])
async def test_an_item_that_is_not_a_message_in_a_long_request_is_named_before_sending(
    llmkit_fake_server: FakeProviderServer, provider: str, stray: Any
) -> None:
    # A request looks only at the ends of a long list; the provider names the rest.
    messages: list[Any] = [Message.user(f"q{i}") for i in range(60)]
    messages[30] = stray
    request = Request(messages)
    model = http_models(llmkit_fake_server)[provider]
    with pytest.raises(UsageError, match=f"item 30 is a {type(stray).__name__}"):
        await model.generate(request)
    with pytest.raises(UsageError, match="item 30"):
        async for _ in model.stream(request):
            pass
    assert llmkit_fake_server.requests == []


@pytest.mark.parametrize("provider", ["openai", "gemini", "ollama"])
async def test_embed_refuses_a_single_string_before_sending(
    llmkit_fake_server: FakeProviderServer, provider: str
) -> None:
    # A str is a sequence of characters: taken as is, it would embed one vector per character.
    model = http_models(llmkit_fake_server)[provider]
    with pytest.raises(UsageError, match="wrap a single text in a list"):
        await model.embed("hello")
    assert llmkit_fake_server.requests == []


@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini", "ollama"])
async def test_an_http_model_s_stream_checks_and_sends_at_its_first_step(
    provider: str, llmkit_fake_server: FakeProviderServer
) -> None:
    llmkit_fake_server.script(["streamed"])
    model = http_models(llmkit_fake_server)[provider]
    wrong: Any = "hi"
    events = model.stream(wrong)
    assert llmkit_fake_server.requests == []  # building the stream sends nothing
    with pytest.raises(UsageError, match=r"stream\(\) takes a Request"):
        await events.__anext__()
    good = model.stream(Request([Message.user("hi")]))
    assert llmkit_fake_server.requests == []
    assert [type(e).__name__ for e in [e async for e in good]][-1] == "ModelResponse"
    assert len(llmkit_fake_server.requests) == 1

"""Sessions and durable runs with ``memory=`` and ``knowledge=``, on a SQLite file.

The session keeps the whole conversation; each request, as the fake provider
server received it, fits the budget and holds the passages; the session
never holds them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from llmkit import Agent, Message, Request, tool
from llmkit.durable import SQLiteStore
from llmkit.memory import ConversationMemory, ModelEmbedder, VectorMemory, count_tokens
from llmkit.testing import FakeProviderServer, fake_model, tool_call

pytestmark = pytest.mark.anyio

BUDGET = 250
MODEL = "openai/gpt-4.1-mini"


class Meter:
    """Innermost hook (priority 0, memory is 10): the tokens of each request as it is sent."""

    priority = 0

    def __init__(self) -> None:
        self.sent: list[int] = []

    def before_model(self, ctx: object, request: Request) -> None:
        self.sent.append(count_tokens(MODEL, request))


def chats(server: FakeProviderServer) -> list[list[dict[str, Any]]]:
    return [r.json["messages"] for r in server.requests if r.path.endswith("/chat/completions")]


@pytest.fixture
async def store(tmp_path: Path) -> Any:
    made = SQLiteStore(tmp_path / "chat.db")
    yield made
    await made.close()


def answer(request: Request) -> str:
    return f"About {request.messages[-1].text[:20]}: " + "the tide turns twice a day. " * 6


async def test_a_session_keeps_every_turn_while_each_request_fits_the_budget(
    store: SQLiteStore, tmp_path: Path
) -> None:
    meter = Meter()
    with FakeProviderServer(answer) as server:
        agent = Agent(
            fake_model(server, model_id="gpt-4.1-mini"),
            instructions="Answer questions on tides.",
            memory=ConversationMemory(max_tokens=BUDGET),
            hooks=[meter],
        )
        for turn in range(10):
            await agent.run(
                f"Question {turn} about the tides, in detail?", session=store.session("u")
            )
        sent = chats(server)
    # Another process opening the file sees the whole conversation.
    async with SQLiteStore(tmp_path / "chat.db") as again:
        kept = await again.session("u").messages()
    assert len(kept) == 20
    assert [m.text for m in kept[::2]] == [
        f"Question {t} about the tides, in detail?" for t in range(10)
    ]
    assert count_tokens(MODEL, kept) > 2 * BUDGET
    assert len(meter.sent) == 10 and max(meter.sent) <= BUDGET
    assert len(sent[-1]) < len(kept)  # the last request was trimmed ...
    assert sent[-1][-1]["content"] == kept[-2].text  # ... and ends with its question


async def test_a_session_with_knowledge_gets_the_passages_and_never_stores_them(
    store: SQLiteStore, llmkit_fake_server: FakeProviderServer
) -> None:
    server = llmkit_fake_server
    kb = VectorMemory(embedder=ModelEmbedder(fake_model(server, model_id="text-embedding-3-small")))
    await kb.add(
        ["Spring tides come at full and new moon."],
        ids=["spring"],
        metadata=[{"source": "tides.md"}],
    )
    server.reset()
    server.script(["At full and new moon [spring].", "Twice a month [spring]."])
    agent = Agent(fake_model(server), knowledge=kb, retrieve_k=1)
    await agent.run("When are spring tides?", session=store.session("u"))
    await agent.run("How often is that?", session=store.session("u"))
    second = chats(server)[1]
    assert [m["role"] for m in second] == ["user", "assistant", "system", "user"]
    assert "[spring] (source: tides.md)" in second[2]["content"]
    kept = await store.session("u").messages()
    assert [m.role for m in kept] == ["user", "assistant", "user", "assistant"]
    assert not any("tides.md" in m.text for m in kept)


@tool
def tide(port: str) -> str:
    """The next high tide at a port."""
    raise KeyboardInterrupt  # the process dies in the call


@tool(name="tide", idempotent=True)
def tide_again(port: str) -> str:
    """The next high tide at a port."""
    return f"High tide at {port}: 14:05."


async def test_a_durable_run_with_memory_resumes_within_the_budget(
    store: SQLiteStore, llmkit_fake_server: FakeProviderServer
) -> None:
    server = llmkit_fake_server
    server.script([tool_call("tide", port="Brest"), "At 14:05."])
    memory = ConversationMemory(max_tokens=BUDGET)
    history = [
        message
        for turn in range(15)
        for message in (
            Message.user(f"Earlier question {turn}? " + "more words " * 10),
            Message.assistant(f"Earlier answer {turn}. " + "more words " * 10),
        )
    ]
    first = Agent(fake_model(server), name="tides", tools=[tide], memory=memory)
    with pytest.raises(KeyboardInterrupt):
        await first.run("High tide in Brest?", message_history=history, store=store, run_id="t")
    meter = Meter()
    second = Agent(
        fake_model(server), name="tides", tools=[tide_again], memory=memory, hooks=[meter]
    )
    result = await second.resume("t", store=store)
    assert result.output == "At 14:05."
    assert result.messages[: len(history)] == history and len(result.messages) == len(history) + 4
    assert len(meter.sent) == 1 and meter.sent[0] <= BUDGET
    assert all(len(body) < len(history) // 2 for body in chats(server))

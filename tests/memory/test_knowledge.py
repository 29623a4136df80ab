"""Agents use a vector store: the Knowledge hook, and the remember / recall tools.

Everything runs over real HTTP against the fake provider server (chat and embeddings); its
request log shows what reached the model.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from llmkit import Agent, tool
from llmkit.errors import UsageError
from llmkit.memory import Knowledge, ModelEmbedder, SQLiteVectorStore, VectorMemory
from llmkit.testing import FakeProviderServer, fake_model, tool_call

pytestmark = pytest.mark.anyio

FACTS = [
    "Paris is the capital of France.",
    "Berlin is the capital of Germany.",
    "The Nile is the longest river in Africa.",
]


@pytest.fixture
def server(llmkit_fake_server: FakeProviderServer) -> FakeProviderServer:
    return llmkit_fake_server


@pytest.fixture
async def store(server: FakeProviderServer, tmp_path: Path) -> SQLiteVectorStore:
    embed = fake_model(server, "openai", model_id="text-embedding-3-small")
    made = SQLiteVectorStore(tmp_path / "kb.db", embedder=ModelEmbedder(embed))
    await made.add(FACTS, ids=["paris", "berlin", "nile"], metadata=[{"source": "atlas"}] * 3)
    server.reset()
    return made


def chats(server: FakeProviderServer) -> list[dict]:
    return [r.json for r in server.requests if r.path.endswith("/chat/completions")]


def embeddings(server: FakeProviderServer) -> list[dict]:
    return [r.json for r in server.requests if r.path.endswith("/embeddings")]


@tool
def weather(city: str) -> str:
    """The weather in a city."""
    return f"Sunny in {city}."


async def test_passages_reach_the_model_before_the_question_with_ids_and_sources(
    server: FakeProviderServer, store: SQLiteVectorStore
) -> None:
    server.script(["Paris [paris]."])
    agent = Agent(fake_model(server), instructions="Be brief.", hooks=[Knowledge(store, k=2)])
    result = await agent.run(FACTS[1])
    sent = chats(server)[0]["messages"]
    assert [m["role"] for m in sent] == ["system", "system", "user"]
    passages = sent[1]["content"]
    assert "[berlin] (source: atlas)\nBerlin is the capital of Germany." in passages
    assert passages.split("\n\n[")[1].startswith("berlin]")  # the best passage first
    assert passages.count("(source: atlas)") == 2
    assert sent[2]["content"] == FACTS[1]
    # Only the request changed: the run's messages hold no passages.
    assert [m.role for m in result.messages] == ["user", "assistant"]
    assert not any("(source: atlas)" in m.text for m in result.messages)


async def test_the_search_runs_once_per_run_and_every_model_call_gets_the_passages(
    server: FakeProviderServer, store: SQLiteVectorStore
) -> None:
    server.script([tool_call("weather", city="Paris"), "Sunny, and it is the capital."])
    agent = Agent(fake_model(server), tools=[weather], hooks=[Knowledge(store, k=1)])
    await agent.run(FACTS[0])
    assert len(embeddings(server)) == 1
    for body in chats(server):
        roles = [m["role"] for m in body["messages"]]
        at = roles.index("user")
        assert roles[at - 1] == "system" and "[paris]" in body["messages"][at - 1]["content"]


async def test_a_follow_up_run_searches_for_its_own_question(
    server: FakeProviderServer, store: SQLiteVectorStore
) -> None:
    server.script(["one", "two"])
    agent = Agent(fake_model(server), hooks=[Knowledge(store, k=1)])
    first = await agent.run(FACTS[0])
    await agent.run(FACTS[2], message_history=first.messages)
    last = chats(server)[1]["messages"]
    assert [m["role"] for m in last] == ["user", "assistant", "system", "user"]
    assert "[nile]" in last[2]["content"]
    assert len(embeddings(server)) == 2


async def test_nothing_is_added_when_no_passage_scores_high_enough(
    server: FakeProviderServer, store: SQLiteVectorStore
) -> None:
    server.script(["ok"])
    agent = Agent(fake_model(server), hooks=[Knowledge(store, k=2, min_score=0.999)])
    await agent.run("a question that matches nothing exactly")
    assert [m["role"] for m in chats(server)[0]["messages"]] == ["user"]


async def test_where_limits_the_passages(
    server: FakeProviderServer, store: SQLiteVectorStore
) -> None:
    await store.add(["Lyon is in France."], ids=["lyon"], metadata=[{"source": "guide"}])
    server.reset()
    server.script(["ok"])
    agent = Agent(fake_model(server), hooks=[Knowledge(store, k=3, where={"source": "guide"})])
    await agent.run(FACTS[0])
    passages = chats(server)[0]["messages"][0]["content"]
    assert "[lyon]" in passages and "[paris]" not in passages


def test_knowledge_refuses_what_is_not_a_store() -> None:
    with pytest.raises(UsageError, match="vector store"):
        Knowledge("knowledge.db")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="positive int"):
        Knowledge(VectorMemory(embedder="openai/text-embedding-3-small"), k=0)


async def test_the_model_remembers_and_recalls_with_the_store_tools(
    server: FakeProviderServer, tmp_path: Path
) -> None:
    embed = fake_model(server, "openai", model_id="text-embedding-3-small")
    store = VectorMemory(embedder=ModelEmbedder(embed))
    tools = store.tools()
    assert [t.name for t in tools] == ["remember", "recall"]
    server.script(
        [
            tool_call("remember", text="Ada's favourite colour is green.", source="user"),
            tool_call("recall", query="Ada's favourite colour is green.", k=2),
            "Green.",
        ]
    )
    result = await Agent(fake_model(server), tools=tools).run("Remember and tell me.")
    assert result.output == "Green."
    remembered, recalled = (m.tool_results[0].text for m in result.messages if m.role == "tool")
    assert remembered.startswith("Remembered as [")
    assert "(source: user) score 1.00\nAda's favourite colour is green." in recalled
    assert await store.count() == 1

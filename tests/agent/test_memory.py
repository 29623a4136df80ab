"""``Agent(memory=, knowledge=, retrieve_k=)``: what reaches the model, over real HTTP.

The fake provider server's request log shows what each model call received
(the trimmed history, the passages); ``result.messages`` must keep everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from pydantic import BaseModel

from llmkit import Agent, Message, tool
from llmkit.errors import UsageError
from llmkit.hooks import Hook
from llmkit.memory import ConversationMemory, Knowledge, ModelEmbedder, VectorMemory
from llmkit.memory._vector_hit import Hit
from llmkit.testing import FakeProviderServer, fake_model, tool_call

pytestmark = pytest.mark.anyio

FACTS = [
    "Paris is the capital of France.",
    "Berlin is the capital of Germany.",
    "The Nile is the longest river in Africa.",
]


def past(turns: int) -> list[Message]:
    """A long earlier conversation."""
    out: list[Message] = []
    for i in range(turns):
        out += [
            Message.user(f"Question {i} about the harbour? " + "tell me more " * 8),
            Message.assistant(f"Answer {i}: the tide is high. " + "and so on " * 8),
        ]
    return out


def chats(server: FakeProviderServer) -> list[list[dict[str, Any]]]:
    """The messages of every chat request the server received, in order."""
    return [r.json["messages"] for r in server.requests if r.path.endswith("/chat/completions")]


@pytest.fixture
def server(llmkit_fake_server: FakeProviderServer) -> FakeProviderServer:
    return llmkit_fake_server


@pytest.fixture
async def store(server: FakeProviderServer) -> VectorMemory:
    embed = fake_model(server, "openai", model_id="text-embedding-3-small")
    made = VectorMemory(embedder=ModelEmbedder(embed))
    await made.add(FACTS, ids=["paris", "berlin", "nile"], metadata=[{"source": "atlas"}] * 3)
    server.reset()
    return made


class Place(BaseModel):
    city: str


@tool
def weather(city: str) -> str:
    """The weather in a city."""
    return f"Sunny in {city}."


class Watch(Hook):
    def before_run(self, ctx: Any) -> None:
        return None


def test_memory_and_knowledge_are_hooks_of_the_agent_after_its_own() -> None:
    memory = ConversationMemory(max_tokens=500)
    store = VectorMemory(embedder="openai/text-embedding-3-small")
    other = Watch()
    agent = Agent("openai/gpt-4.1-mini", hooks=[other], memory=memory, knowledge=store)
    assert agent.memory is memory
    assert isinstance(agent.knowledge, Knowledge)
    assert agent.knowledge.store is store and agent.knowledge.k == 4
    assert agent.hooks == [other, memory, agent.knowledge]
    assert Agent("openai/gpt-4.1-mini", knowledge=store, retrieve_k=2).knowledge.k == 2  # type: ignore[union-attr]  # knowledge= given
    plain = Agent("openai/gpt-4.1-mini")
    assert plain.memory is None and plain.knowledge is None and plain.hooks == []


def test_a_knowledge_hook_is_taken_as_it_is() -> None:
    hook = Knowledge(VectorMemory(embedder="openai/text-embedding-3-small"), k=3, min_score=0.5)
    assert Agent("openai/gpt-4.1-mini", knowledge=hook).knowledge is hook


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"memory": [Message.user("hi")]}, "memory= takes a llmkit.memory.ConversationMemory"),
        ({"memory": "8000"}, "message_history="),
        ({"knowledge": ["Paris is the capital."]}, "knowledge= takes a vector store"),
        ({"knowledge": ConversationMemory(max_tokens=10)}, "store.add_sync"),
        ({"retrieve_k": 4}, "pass knowledge=store too"),
        ({"knowledge": "STORE", "retrieve_k": 0}, "retrieve_k must be an integer of at least 1"),
        ({"knowledge": "STORE", "retrieve_k": True}, "retrieve_k must be an integer"),
        ({"knowledge": "STORE", "retrieve_k": 2.5}, "retrieve_k must be an integer"),
        ({"knowledge": "HOOK", "retrieve_k": 2}, r"Knowledge\(store, k=2\)"),
    ],
)
def test_wrong_memory_options_are_usage_errors_that_say_what_to_pass(
    options: dict[str, Any], message: str
) -> None:
    store = VectorMemory(embedder="openai/text-embedding-3-small")
    given = {
        key: store if value == "STORE" else Knowledge(store) if value == "HOOK" else value
        for key, value in options.items()
    }
    with pytest.raises(UsageError, match=message):
        Agent("openai/gpt-4.1-mini", **given)


def test_a_memory_store_passed_as_memory_points_to_knowledge() -> None:
    store = VectorMemory(embedder="openai/text-embedding-3-small")
    with pytest.raises(UsageError, match="a vector store in knowledge="):
        Agent("openai/gpt-4.1-mini", memory=store)  # type: ignore[arg-type]  # the mistake tested


def test_a_model_free_agent_takes_no_memory() -> None:
    runner = Agent.from_tool(weather)
    assert runner.memory is None and runner.knowledge is None
    with pytest.raises(TypeError, match="memory"):
        Agent.from_tool(weather, memory=ConversationMemory(max_tokens=100))  # type: ignore[call-arg]  # no such option


def test_building_an_agent_imports_llmkit_memory_only_when_it_is_given() -> None:
    def loaded(code: str) -> bool:
        script = f"import sys; {code}; print('llmkit.memory' in sys.modules)"
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout.lower())  # type: ignore[no-any-return]  # a bool

    assert not loaded("from llmkit import Agent; Agent('openai/gpt-4.1-mini')")
    assert not loaded("from llmkit import Agent; Agent('openai/gpt-4.1-mini', retrieve_k=None)")
    with_memory = "from llmkit.memory import ConversationMemory as M; from llmkit import Agent"
    assert loaded(f"{with_memory}; Agent('openai/gpt-4.1-mini', memory=M(max_tokens=9))")


async def test_the_request_holds_the_passages_and_a_trimmed_history_the_result_all_of_it(
    server: FakeProviderServer, store: VectorMemory
) -> None:
    server.script(["Berlin [berlin]."])
    agent = Agent(
        fake_model(server),
        instructions="Be brief.",
        memory=ConversationMemory(max_tokens=400),
        knowledge=store,
        retrieve_k=2,
    )
    history = past(20)
    result = await agent.run(FACTS[1], message_history=history)
    sent = chats(server)[0]
    roles = [m["role"] for m in sent]
    assert roles[0] == "system" and sent[0]["content"] == "Be brief."
    # The passages sit right before the question, and were kept when the history was cut.
    assert roles[-2:] == ["system", "user"] and sent[-1]["content"] == FACTS[1]
    assert "[berlin] (source: atlas)" in sent[-2]["content"]
    assert sent[-2]["content"].count("(source: atlas)") == 2
    assert 2 < len(sent) < len(history) // 2
    assert sent[1]["role"] == "user"  # whole turns went, oldest first
    # The run keeps every message, and never the passages.
    assert result.messages[: len(history)] == history
    assert [m.text for m in result.messages[len(history) :]] == [FACTS[1], "Berlin [berlin]."]
    assert not any("(source: atlas)" in m.text for m in result.messages)


async def test_every_model_call_of_a_run_fits_the_budget_after_tool_calls(
    server: FakeProviderServer,
) -> None:
    server.script([tool_call("weather", city="Oslo"), "Sunny in Oslo."])
    agent = Agent(fake_model(server), tools=[weather], memory=ConversationMemory(max_tokens=400))
    result = await agent.run("Weather in Oslo?", message_history=past(20))
    bodies = chats(server)
    assert len(bodies) == 2
    assert all(len(body) < 20 for body in bodies)
    assert [m["role"] for m in bodies[1][-3:]] == ["user", "assistant", "tool"]
    assert len(result.messages) == 40 + 4


async def test_memory_applies_to_streams_and_stream_output(server: FakeProviderServer) -> None:
    server.script(["One.", '{"city": "Oslo"}'])
    agent = Agent(fake_model(server), memory=ConversationMemory(max_tokens=300))
    history = past(20)
    events = [e async for e in agent.stream("And now?", message_history=history)]
    assert events[-1].result.messages[: len(history)] == history  # type: ignore[attr-defined]  # run.end
    streamed = agent.stream_output("And now?", message_history=history, output_type=Place)
    outputs = [o async for o in streamed]
    assert outputs[-1] == Place(city="Oslo")
    assert [len(body) < 15 for body in chats(server)] == [True, True]


async def test_memory_and_knowledge_stay_under_override(
    server: FakeProviderServer, store: VectorMemory
) -> None:
    server.script(["Paris."])
    agent = Agent("openai/not-called", memory=ConversationMemory(max_tokens=400), knowledge=store)
    with agent.override(model=fake_model(server)):
        await agent.run(FACTS[0], message_history=past(20))
    sent = chats(server)[0]
    assert len(sent) < 20 and "[paris]" in sent[-2]["content"]


async def test_an_agent_used_as_a_tool_runs_with_its_memory_and_knowledge(
    server: FakeProviderServer, store: VectorMemory
) -> None:
    expert = Agent(
        fake_model(server),
        name="geography",
        description="Answers geography questions.",
        knowledge=store,
        retrieve_k=1,
    )
    boss = Agent(fake_model(server), tools=[expert.as_tool()])
    server.script([tool_call("geography", input=FACTS[2]), "The Nile [nile].", "The Nile."])
    result = await boss.run("Which is the longest river in Africa?")
    assert result.output == "The Nile."
    first, inner, last = chats(server)
    assert not any("source: atlas" in str(m.get("content")) for m in first + last)
    assert [m["role"] for m in inner] == ["system", "user"] and "[nile]" in inner[0]["content"]


async def test_the_memory_of_the_first_agent_stays_in_force_after_a_handoff(
    server: FakeProviderServer, store: VectorMemory
) -> None:
    billing = Agent(fake_model(server), name="billing", description="Invoices.")
    triage = Agent(
        fake_model(server),
        name="triage",
        handoffs=[billing],
        memory=ConversationMemory(max_tokens=500),
        knowledge=store,
        retrieve_k=1,
    )
    assert triage.reachable_agents() == [triage, billing]
    server.script([tool_call("transfer_to_billing"), "Your invoice is on its way."])
    history = past(20)
    result = await triage.run(FACTS[0], message_history=history)
    assert result.output == "Your invoice is on its way."
    before, after = chats(server)
    for sent in (before, after):
        assert len(sent) < 20
        assert any("[paris]" in str(m.get("content")) for m in sent)
    assert result.messages[: len(history)] == history


class Glossary:
    """A retriever of its own: any object with an async search."""

    def __init__(self) -> None:
        self.queries: list[tuple[str, int]] = []

    async def search(self, query: str, *, k: int = 4, where: Any = None) -> list[Hit]:
        self.queries.append((query, k))
        return [
            Hit(id="tide", text="A tide is the rise and fall of the sea.", score=0.9, metadata={})
        ]


async def test_knowledge_takes_any_object_with_a_search(server: FakeProviderServer) -> None:
    glossary = Glossary()
    server.script(["The rise and fall of the sea [tide]."])
    agent = Agent(fake_model(server), knowledge=glossary, retrieve_k=1)
    await agent.run("What is a tide?")
    assert glossary.queries == [("What is a tide?", 1)]
    assert "[tide]" in chats(server)[0][0]["content"]


def test_a_custom_memory_hook_is_accepted() -> None:
    class LastTwo(Hook):
        def before_model(self, ctx: Any, request: Any) -> Any:
            return None

    memory = LastTwo()
    assert Agent("openai/gpt-4.1-mini", memory=memory).hooks == [memory]

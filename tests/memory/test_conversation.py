"""ConversationMemory: what reaches the model fits the budget, in whole turns; the run keeps all."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import pytest

from llmkit import Agent, tool
from llmkit.errors import HookError, UsageError
from llmkit.memory import ConversationMemory, count_tokens
from llmkit.providers.base import Capabilities
from llmkit.testing import FunctionModel, ScriptedModel, tool_call
from llmkit.types import Message, ReasoningPart, Request, ToolCall, ToolResult

pytestmark = pytest.mark.anyio


def chat(turns: int, *, words: int = 30, start: int = 0) -> list[Message]:
    """A history of ``turns`` question/answer turns (numbered from ``start``), about ``words`` words each."""
    history: list[Message] = []
    for i in range(start, start + turns):
        history.append(
            Message.user(f"Question {i}: " + "tell me about the harbour " * (words // 5))
        )
        history.append(
            Message.assistant(f"Answer {i}: " + "the boats come back early " * (words // 5))
        )
    return history


def tool_turn(i: int, *, reasoning: bool = False) -> list[Message]:
    """A turn whose answer calls a tool: user, assistant (call), tool (result), assistant."""
    thought = [ReasoningPart(f"thinking about {i}", signature=f"sig{i}")] if reasoning else []
    return [
        Message.user(f"What is the weather in town {i}? " + "please be precise " * 5),
        Message.assistant(
            tool_calls=[ToolCall(f"call_{i}", "weather", {"town": i})], reasoning=thought
        ),
        Message.tool(ToolResult(f"call_{i}", "sunny and mild " * 6)),
        Message.assistant(f"It is sunny in town {i}."),
    ]


def check_well_formed(messages: list[Message]) -> None:
    """Every call has its result, every result its call, and the talk starts with a user."""
    calls = [c.id for m in messages for c in m.tool_calls]
    results = [r.call_id for m in messages for r in m.tool_results]
    assert sorted(calls) == sorted(results)
    talk = [m for m in messages if m.role != "system"]
    assert talk[0].role == "user"


async def test_a_conversation_that_fits_is_sent_as_it_is() -> None:
    model = ScriptedModel(["ok"])
    history = chat(3)
    agent = Agent(model, hooks=[ConversationMemory(max_tokens=100_000)])
    await agent.run("last question", message_history=history)
    assert model.requests[0].messages == [*history, Message.user("last question")]


async def test_a_long_conversation_is_trimmed_to_the_budget_and_the_result_keeps_it_all() -> None:
    model = ScriptedModel(["ok"])
    history = chat(40)
    memory = ConversationMemory(max_tokens=600)
    agent = Agent(model, instructions="Be brief.", hooks=[memory])
    result = await agent.run("last question", message_history=history)
    sent = model.requests[0]
    assert count_tokens(model, sent) <= 600
    assert sent.messages[0] == Message.system("Be brief.")
    assert sent.messages[-1] == Message.user("last question")
    assert len(sent.messages) < len(history)
    check_well_formed(sent.messages)
    # Whole turns, the newest ones: the sent talk is a suffix of the history.
    talk = sent.messages[1:-1]
    assert talk == history[len(history) - len(talk) :]
    # Only what reached the model changed.
    assert result.messages[: len(history)] == history
    assert len(result.messages) == len(history) + 2
    assert len(history) == 80


async def test_tool_calls_stay_with_their_results_and_reasoning_with_its_turn() -> None:
    model = ScriptedModel(["ok"])
    history = [m for i in range(12) for m in tool_turn(i, reasoning=True)]
    memory = ConversationMemory(max_tokens=400)
    await Agent(model, hooks=[memory]).run("and now?", message_history=history)
    sent = model.requests[0].messages
    check_well_formed(sent)
    assert len(sent) < len(history)
    for index, message in enumerate(sent):
        if message.reasoning:
            # The assistant message with reasoning comes with its turn: the user before it,
            # its tool result and the answer after it.
            assert sent[index - 1].role == "user"
            assert sent[index + 1].role == "tool"
            assert sent[index + 2].role == "assistant"


async def test_an_agent_run_with_tool_calls_is_trimmed_at_every_step() -> None:
    @tool
    def weather(town: int) -> str:
        """The weather in a town."""
        return "sunny " * 20

    model = ScriptedModel([tool_call("weather", town=1), tool_call("weather", town=2), "done"])
    memory = ConversationMemory(max_tokens=500)
    history = chat(30)
    result = await Agent(model, tools=[weather], hooks=[memory]).run(
        "weather?", message_history=history
    )
    assert result.output == "done"
    for request in model.requests:
        assert count_tokens(model, request) <= 500
        check_well_formed(request.messages)
    # The current turn (the question and both tool calls) is never cut.
    last = model.requests[-1].messages
    assert [m.role for m in last[-5:]] == ["user", "assistant", "tool", "assistant", "tool"]
    assert len(result.messages) == len(history) + 6


async def test_keep_last_and_pinned_turns_are_kept() -> None:
    model = ScriptedModel(["ok"])
    facts = Message(
        "user", [*Message.user("My name is Ada and I live in Vigo.").parts], name="facts"
    )
    history = [facts, Message.assistant("Noted."), *chat(30)]
    memory = ConversationMemory(max_tokens=700, keep_last=6, pin=lambda m: m.name == "facts")
    await Agent(model, hooks=[memory]).run("What is my name?", message_history=history)
    sent = model.requests[0].messages
    assert sent[:2] == [facts, Message.assistant("Noted.")]
    assert sent[-7:-1] == history[-6:]
    assert len(sent) < len(history)


async def test_keep_last_wins_over_the_budget_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    model = ScriptedModel(["ok", "ok"])
    history = chat(10)
    memory = ConversationMemory(max_tokens=200, keep_last=8)
    agent = Agent(model, hooks=[memory])
    with caplog.at_level(logging.WARNING, logger="llmkit.memory"):
        await agent.run("q1", message_history=history)
        await agent.run("q2", message_history=history)
    assert model.requests[0].messages[-9:-1] == history[-8:]
    overflow = [r for r in caplog.records if "over its budget" in r.getMessage()]
    assert len(overflow) == 1


async def test_a_last_message_larger_than_the_budget_is_sent_or_refused_by_policy() -> None:
    huge = "word " * 2000
    model = ScriptedModel(["ok"])
    result = await Agent(model, hooks=[ConversationMemory(max_tokens=300)]).run(
        huge, message_history=chat(5)
    )
    assert model.requests[0].messages == [Message.user(huge)]
    assert result.output == "ok"

    strict = ConversationMemory(max_tokens=300, on_overflow="raise")
    history = chat(5)
    with pytest.raises(HookError) as caught:
        await Agent(ScriptedModel(["ok"]), hooks=[strict]).run(huge, message_history=history)
    assert isinstance(caught.value.__cause__, UsageError)
    assert "over its budget of 300" in str(caught.value.__cause__)
    assert caught.value.messages[: len(history)] == history  # nothing lost


class Knowledge:
    """A stand-in for a retrieval hook: a system message of passages before the last user one."""

    priority = 20

    def before_model(self, ctx: Any, request: Request) -> Request:
        passages = Message.system("Passages: [1] Vigo is a harbour town. " + "fact " * 40)
        messages = [*request.messages[:-1], passages, request.messages[-1]]
        return Request(messages, tools=request.tools)


async def test_memory_runs_inside_a_knowledge_hook_and_keeps_its_passages() -> None:
    model = ScriptedModel(["ok"])
    memory = ConversationMemory(max_tokens=500)
    assert memory.priority < Knowledge.priority
    await Agent(model, hooks=[memory, Knowledge()]).run("Where?", message_history=chat(30))
    sent = model.requests[0]
    assert sent.messages[-2].role == "system"
    assert sent.messages[-2].text.startswith("Passages:")
    assert count_tokens(model, sent) <= 500  # the passages were counted


async def test_the_default_budget_is_a_share_of_the_context_window() -> None:
    model = ScriptedModel(["ok"], capabilities=Capabilities(max_context=1000))
    await Agent(model, hooks=[ConversationMemory()]).run("q", message_history=chat(40))
    assert count_tokens(model, model.requests[0]) <= 750
    assert len(model.requests[0].messages) > 3


async def test_an_unknown_context_window_needs_max_tokens() -> None:
    with pytest.raises(HookError) as caught:
        await Agent(ScriptedModel(["ok"]), hooks=[ConversationMemory()]).run("q")
    assert isinstance(caught.value.__cause__, UsageError)
    assert "max_tokens=" in str(caught.value.__cause__)


async def test_streaming_runs_are_trimmed_too() -> None:
    model = ScriptedModel(["streamed answer"])
    agent = Agent(model, hooks=[ConversationMemory(max_tokens=400)])
    history = chat(30)
    events = [e async for e in agent.stream("q", message_history=history)]
    assert events[-1].topic == "run.end"
    assert count_tokens(model, model.requests[0]) <= 400
    assert len(model.requests[0].messages) < len(history)


# ---------------------------------------------------------------------- summarising


class Summarizer(FunctionModel):
    """Summarises by naming the first and last question it saw; counts its calls."""

    def __init__(self, fail: bool = False) -> None:
        super().__init__(self.answer)
        self.fail = fail
        self.transcripts: list[str] = []
        self.lock = threading.Lock()

    def answer(self, request: Request) -> str:
        if self.fail:
            raise RuntimeError("summariser is down")
        text = request.messages[-1].text
        with self.lock:
            self.transcripts.append(text)
        questions = [line.split(":")[1].strip() for line in text.splitlines() if "Question" in line]
        return f"Talked about questions {questions[0]} to {questions[-1]}."


async def test_old_turns_are_replaced_by_a_summary_that_is_counted() -> None:
    model = ScriptedModel(["ok"])
    summarizer = Summarizer()
    memory = ConversationMemory(max_tokens=800, summarize_with=summarizer)
    history = chat(40)
    result = await Agent(model, instructions="Be brief.", hooks=[memory]).run(
        "q", message_history=history
    )
    sent = model.requests[0].messages
    assert sent[0] == Message.system("Be brief.")
    assert sent[1].role == "system"
    assert sent[1].text.startswith("Summary of the earlier conversation:")
    assert "questions Question 0" in sent[1].text
    assert sent[2].role == "user"
    assert count_tokens(model, model.requests[0]) <= 800
    check_well_formed(sent)
    assert result.messages[: len(history)] == history
    assert len(summarizer.transcripts) == 1


async def test_the_summary_is_cached_across_the_model_calls_of_a_run() -> None:
    @tool
    def weather(town: int) -> str:
        """The weather in a town."""
        return "sunny"

    turns: list[Any] = [tool_call("weather", town=i) for i in range(4)]
    model = ScriptedModel([*turns, "done"])
    summarizer = Summarizer()
    memory = ConversationMemory(max_tokens=900, summarize_with=summarizer)
    await Agent(model, tools=[weather], hooks=[memory]).run("go", message_history=chat(40))
    assert len(model.requests) == 5
    assert len(summarizer.transcripts) == 1
    for request in model.requests:
        assert request.messages[0].text.startswith("Summary of the earlier conversation:")


async def test_a_later_summary_extends_the_cached_one() -> None:
    model = ScriptedModel(["ok", "ok"])
    summarizer = Summarizer()
    memory = ConversationMemory(max_tokens=800, summarize_with=summarizer)
    agent = Agent(model, hooks=[memory])
    history = chat(40)
    await agent.run("q", message_history=history)
    await agent.run("q", message_history=[*history, *chat(30, start=40)])
    assert len(summarizer.transcripts) == 2
    # The second call summarises only what the first summary did not cover, after that summary.
    assert summarizer.transcripts[1].startswith("(Summary of what came before: ")
    assert "Question 0:" not in summarizer.transcripts[1]


async def test_summarize_at_starts_compaction_below_the_budget() -> None:
    model = ScriptedModel(["ok"])
    memory = ConversationMemory(max_tokens=100_000, summarize_with=Summarizer(), summarize_at=500)
    await Agent(model, hooks=[memory]).run("q", message_history=chat(20))
    assert model.requests[0].messages[0].text.startswith("Summary of the earlier conversation:")


async def test_a_failing_summariser_falls_back_to_whole_turns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    model = ScriptedModel(["ok"])
    memory = ConversationMemory(max_tokens=600, summarize_with=Summarizer(fail=True))
    history = chat(30)
    with caplog.at_level(logging.WARNING, logger="llmkit.memory"):
        result = await Agent(model, hooks=[memory]).run("q", message_history=history)
    assert result.output == "ok"
    sent = model.requests[0].messages
    assert not any(m.role == "system" for m in sent)
    assert sent[:-1] == history[len(history) - len(sent) + 1 :]
    assert count_tokens(model, model.requests[0]) <= 600
    assert any("could not summarise" in r.getMessage() for r in caplog.records)


async def test_a_failing_summariser_can_stop_the_run_with_nothing_lost() -> None:
    memory = ConversationMemory(
        max_tokens=600, summarize_with=Summarizer(fail=True), on_summary_error="raise"
    )
    history = chat(30)
    model = ScriptedModel(["ok"])
    with pytest.raises(HookError) as caught:
        await Agent(model, hooks=[memory]).run("q", message_history=history)
    assert model.requests == []
    assert caught.value.messages[: len(history)] == history


async def test_one_memory_serves_concurrent_runs_each_with_its_own_summary() -> None:
    summarizer = Summarizer()
    memory = ConversationMemory(max_tokens=800, summarize_with=summarizer)

    async def one(n: int) -> str:
        model = ScriptedModel(["ok"])
        history = [Message.user(f"Question {n}-start: hello " + "x " * 20), *chat(40)]
        await Agent(model, hooks=[memory]).run("q", message_history=history)
        return model.requests[0].messages[0].text

    summaries = await asyncio.gather(*(one(n) for n in range(8)))
    for n, summary in enumerate(summaries):
        assert f"questions Question {n}-start to" in summary
    assert len(summarizer.transcripts) == 8


def test_one_memory_serves_runs_in_several_threads() -> None:
    memory = ConversationMemory(max_tokens=600, keep_last=2)
    models = [ScriptedModel(["ok"]) for _ in range(6)]
    errors: list[BaseException] = []

    def run(model: ScriptedModel) -> None:
        try:
            Agent(model, hooks=[memory]).run_sync("q", message_history=chat(40))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(m,)) for m in models]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert (
        len({tuple(m.to_dict()["role"] for m in model.requests[0].messages) for model in models})
        == 1
    )


# ---------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_tokens": "8k"}, "max_tokens"),
        ({"keep_last": -1}, "keep_last"),
        ({"pin": "facts"}, "pin="),
        ({"summarize_with": 42}, "summarize_with"),
        ({"summarize_at": 100}, "summarize_with"),
        (
            {"max_tokens": 500, "summarize_at": 600, "summarize_with": "openai/gpt-4.1-mini"},
            "over max_tokens=500",
        ),
        ({"on_summary_error": "ignore"}, "'trim' or 'raise'"),
        ({"on_overflow": "drop"}, "'keep' or 'raise'"),
    ],
)
def test_bad_options_are_usage_errors(options: dict[str, Any], match: str) -> None:
    with pytest.raises(UsageError, match=match):
        ConversationMemory(**options)


async def test_a_summary_over_the_budget_is_not_sent_nor_cached(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[str] = []

    def wordy(request: Request) -> str:
        calls.append(request.messages[-1].text)
        return "The conversation went on and on. " * 400  # ignores its word limit

    model = ScriptedModel(["ok", "ok"])
    memory = ConversationMemory(max_tokens=800, summarize_with=FunctionModel(wordy))
    agent = Agent(model, hooks=[memory])
    history = chat(40)
    with caplog.at_level(logging.WARNING, logger="llmkit.memory"):
        await agent.run("q", message_history=history)
        await agent.run("q", message_history=history)
    for request in model.requests:
        assert count_tokens(model, request) <= 800
        assert not any(m.text.startswith("Summary of") for m in request.messages)
        check_well_formed(request.messages)
        assert request.messages[-1] == Message.user("q")
    assert len(calls) == 2  # the summary that did not fit was not reused
    assert any("does not fit the budget" in r.getMessage() for r in caplog.records)


async def test_the_token_counter_is_built_off_the_event_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from llmkit.memory import _conversation, _tokens

    threads: list[int] = []

    def recording(model: Any) -> _tokens.TokenCounter:
        threads.append(threading.get_ident())
        return _tokens.counter_for(model)

    monkeypatch.setattr(_conversation, "counter_for", recording)
    model = ScriptedModel(["ok", "ok"], model_id="gpt-4o-counter-built-in-a-thread")
    agent = Agent(model, hooks=[ConversationMemory(max_tokens=10_000)])
    await agent.run("q")
    await agent.run("q")
    assert len(threads) == 1  # built once, then reused
    assert threads[0] != threading.get_ident()

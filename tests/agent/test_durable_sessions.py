"""Sessions: a run continues a stored conversation and appends its turns when it finishes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from llmkit import Agent, tool
from llmkit.durable import MemoryStore, SQLiteStore
from llmkit.errors import ToolExecutionError
from llmkit.history import trim_history
from llmkit.hooks import Hook
from llmkit.testing import ScriptedModel, tool_call
from llmkit.types import Message, Request

pytestmark = pytest.mark.anyio


def texts(messages: list[Message]) -> list[str]:
    return [f"{m.role}: {m.text}" for m in messages]


async def test_a_second_run_sees_the_turns_of_the_first() -> None:
    store = MemoryStore()
    session = store.session("user-42")
    model = ScriptedModel(["Hello Ada.", "Your name is Ada."])
    agent = Agent(model)
    first = await agent.run("My name is Ada.", session=session)
    assert first.history_length == 0
    second = await agent.run("What is my name?", session=store.session("user-42"))
    assert texts(model.requests[1].messages) == [
        "user: My name is Ada.",
        "assistant: Hello Ada.",
        "user: What is my name?",
    ]
    assert second.history_length == 2
    assert texts(await session.messages()) == [
        "user: My name is Ada.",
        "assistant: Hello Ada.",
        "user: What is my name?",
        "assistant: Your name is Ada.",
    ]


async def test_a_failed_run_appends_nothing() -> None:
    @tool(errors="raise")
    def broken() -> str:
        """Fail."""
        raise RuntimeError("no")

    store = MemoryStore()
    session = store.session("s")
    await Agent(ScriptedModel(["Hi."])).run("Hello", session=session)
    with pytest.raises(ToolExecutionError):
        await Agent(ScriptedModel([tool_call("broken")]), tools=[broken]).run(
            "Break", session=session
        )
    assert texts(await session.messages()) == ["user: Hello", "assistant: Hi."]


async def test_a_paused_run_appends_its_turns_when_its_stored_resume_finishes() -> None:
    @tool(requires_approval=True)
    def send(to: str) -> str:
        """Send."""
        return "sent"

    store = MemoryStore()
    session = store.session("s")
    agent = Agent(ScriptedModel([tool_call("send", to="bob"), "Sent."]), tools=[send])
    paused = await agent.run("Message bob", session=session, store=store, run_id="r")
    assert paused.paused and await session.messages() == []
    done = await agent.resume("r", approvals={"call_1": True}, store=store)
    assert await session.messages() == done.messages
    assert texts(done.messages)[-1] == "assistant: Sent."


async def test_a_session_works_with_a_hook_that_trims_what_reaches_the_model() -> None:
    class Trim(Hook):
        async def before_model(self, ctx: object, request: Request) -> Request:
            return replace(request, messages=trim_history(request.messages, max_messages=1))

    store = MemoryStore()
    session = store.session("s")
    model = ScriptedModel(["one", "two", "three"])
    agent = Agent(model, hooks=[Trim()])
    for text in ("a", "b", "c"):
        await agent.run(text, session=session)
    assert texts(model.requests[2].messages) == ["user: c"]
    assert len(await session.messages()) == 6  # the session keeps everything


def test_two_processes_appending_to_one_session_keep_both_turns(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    program = textwrap.dedent(
        """
        import sys
        from llmkit import Agent
        from llmkit.durable import SQLiteStore
        from llmkit.testing import ScriptedModel

        name = sys.argv[2]
        store = SQLiteStore(sys.argv[1])
        agent = Agent(ScriptedModel([f"Hello {name}."]))
        agent.run_sync(f"I am {name}.", session=store.session("shared"))
        """
    )
    script = tmp_path / "chat.py"
    script.write_text(program)
    procs = [
        subprocess.Popen([sys.executable, str(script), str(db), name]) for name in ("Ada", "Bob")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]

    async def read() -> list[Message]:
        return await SQLiteStore(db).session("shared").messages()

    messages = asyncio.run(read())
    pairs = {tuple(texts(messages[i : i + 2])) for i in (0, 2)}
    assert pairs == {
        ("user: I am Ada.", "assistant: Hello Ada."),
        ("user: I am Bob.", "assistant: Hello Bob."),
    }

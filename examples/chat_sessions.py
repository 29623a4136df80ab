"""A chat that remembers across processes: each turn runs in a new process, on one stored session.

Every turn is a separate ``python`` process (as each web request of a chat
service might be); they share nothing but a SQLite file. The session in it
gives each run the conversation so far and keeps the run's turns when it
finishes, so the second process knows what the first was told.
Runs offline against llmkit's fake provider server.

    python examples/chat_sessions.py
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import llmkit
from llmkit import Agent, Request
from llmkit.durable import SQLiteStore


def offline_reply(request: Request) -> str:
    """A model that only remembers what is in the conversation it is sent."""
    said = " ".join(m.text for m in request.messages if m.role == "user")
    name = re.search(r"[Mm]y name is (\w+)", said)
    if "What is my name" in request.messages[-1].text:
        return f"Your name is {name.group(1)}." if name else "You have not told me."
    return f"Nice to meet you, {name.group(1)}." if name else "Hello."


def turn(db: str, base_url: str, text: str) -> None:
    """One process: one turn of the conversation of user-42."""
    model = llmkit.model("openai/gpt-4.1-mini", base_url=base_url, api_key="x")
    agent = Agent(model, instructions="Be brief.")
    session = SQLiteStore(db).session("user-42")
    result = agent.run_sync(text, session=session)
    print(f"[new process] user: {text}")
    print(f"[new process] assistant: {result.output} (history: {result.history_length} messages)")


def main() -> None:
    from llmkit.testing import FakeProviderServer

    with FakeProviderServer(offline_reply) as server, tempfile.TemporaryDirectory() as tmp:
        print("Running offline against llmkit's fake provider server.\n")
        db = str(Path(tmp) / "chat.db")
        for text in ("My name is Ada.", "What is my name?"):
            done = subprocess.run(
                [sys.executable, __file__, "--turn", db, server.openai_base_url, text],
                capture_output=True,
                text=True,
                check=False,
            )
            print(done.stdout, end="")
            if done.returncode:
                sys.exit(done.stderr)
        messages = asyncio.run(SQLiteStore(db).session("user-42").messages())
        print(f"\nthe session holds {len(messages)} messages:")
        for message in messages:
            print(f"  {message.role}: {message.text}")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--turn":
        turn(*sys.argv[2:])
    else:
        main()

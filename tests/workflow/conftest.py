"""Registries for the definition tests: the objects tests/workflow/data/*.yaml|json name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from llmkit import Agent
from llmkit.testing import TestModel
from llmkit.tools import tool
from llmkit.workflow import StepContext

DATA = Path(__file__).parent / "data"


class Doc(BaseModel):
    """The state of tests/workflow/data/everything.yaml."""

    topic: str = "tides"
    notes: str = ""
    reviews: list[Any] = []
    score: float = 0.0
    draft: str = ""
    published: str = ""
    approved: bool = False
    rounds: int = 0
    rounds_log: list[Any] = []
    chapters: list[str] = ["one", "two"]
    summaries: list[Any] = []
    parts: list[dict[str, Any]] = [{"text": "a b c"}, {"text": "d e"}]
    part_results: list[Any] = []
    verdict: str = ""
    results: str = ""
    checked: str = ""
    formatted: str = ""


class Part(BaseModel):
    """The state of each item of everything.yaml's map over parts."""

    text: str = ""
    words: int = 0


class Article(BaseModel):
    """The state of article.yaml and article.json."""

    topic: str = "tides"
    notes: str = ""
    reviews: list[str] = []
    score: float = 0.0
    draft: str = ""
    approved: bool = False


class Flaky(Exception):
    """An error class a definition names through the registry."""


class Checker:
    """A Step object."""

    name = "checker"

    async def run(self, input: Any, context: StepContext) -> str:
        return f"checked {context.path}"


def _agent(name: str) -> Agent[Any]:
    return Agent(TestModel(), name=name)


def keep_all(outputs: list[Any]) -> list[Any]:
    return list(outputs)


def score(state: Any) -> float:
    return 0.5


def is_long(state: Any) -> bool:
    return len(state.notes) > 1000


def shorten(state: Any) -> str:
    return state.notes[:100]


def approve(state: Any) -> dict[str, Any]:
    return {"approved": True}


def bump(state: Any) -> dict[str, Any]:
    return {"rounds": state.rounds + 1}


def tick(state: Any) -> None:
    return None


def count_words(state: Any) -> int:
    return len(state.text.split())


def noop(state: Any) -> None:
    return None


def pick_notes(state: Any) -> str:
    return state.notes


def fmt(notes: str) -> str:
    return f"# {notes}"


@tool
def search(topic: str) -> str:
    """Search for a topic."""
    return f"results for {topic}"


@pytest.fixture
def data() -> Path:
    """The folder of the definition files."""
    return DATA


@pytest.fixture
def everything() -> dict[str, object]:
    """The registry of everything.yaml."""
    agents = ("researcher", "critic_a", "critic_b", "rewriter", "publisher", "editor", "summariser")
    functions = (keep_all, score, is_long, shorten, approve, bump, tick, count_words, noop)
    return {
        **{name: _agent(name) for name in agents},
        **{function.__name__: function for function in (*functions, pick_notes, fmt)},
        "search": search,
        "checker": Checker(),
        "Doc": Doc,
        "Part": Part,
        "Flaky": Flaky,
    }


@pytest.fixture
def article() -> dict[str, object]:
    """The registry of article.yaml and article.json."""
    agents = ("researcher", "critic_a", "critic_b", "rewriter", "publisher", "editor")
    return {**{name: _agent(name) for name in agents}, "score": score, "Article": Article}

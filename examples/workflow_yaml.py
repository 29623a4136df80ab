"""A workflow defined in YAML: load it, run it, write it back down, draw it.

``examples/workflows/article.yaml`` names its agents, its function and its state type;
``REGISTRY`` below maps those names to the objects. The example loads the file, runs it
offline against llmkit's fake provider server, dumps the loaded flow to YAML, loads that
text again and checks that the second run gives the same result, then prints the
Mermaid diagram and what ``llmkit workflow show`` prints for the file. Needs
``pip install 'llmkit[workflow]'`` (PyYAML).

    python examples/workflow_yaml.py
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pydantic import BaseModel

from llmkit import Agent, Request
from llmkit.testing import FakeProviderServer
from llmkit.workflow import load, loads

HERE = Path(__file__).resolve().parent
DEFINITION = HERE / "workflows" / "article.yaml"


class Article(BaseModel):
    topic: str
    notes: str = ""
    reviews: list[str] = []
    score: float = 0.0
    draft: str = ""
    approved: bool = False


class Draft(BaseModel):
    draft: str


class Verdict(BaseModel):
    approved: bool


def score(state: Article) -> float:
    """Each review that asks for more costs a quarter point."""
    return 1.0 - 0.25 * sum("say" in r or "Cite" in r for r in state.reviews)


# The model string is resolved at the first call, so importing this module (as
# `llmkit workflow show --registry` does) starts nothing and needs no key.
MODEL = "openai/gpt-4.1-mini"
REGISTRY: dict[str, object] = {
    "Article": Article,
    "score": score,
    "researcher": Agent(MODEL, name="researcher", instructions="Research the topic."),
    "critic_a": Agent(MODEL, name="critic_a", instructions="Critique the clarity."),
    "critic_b": Agent(MODEL, name="critic_b", instructions="Critique the sources."),
    "rewriter": Agent(MODEL, name="rewriter", instructions="Rewrite.", output_type=Draft),
    "publisher": Agent(MODEL, name="publisher", instructions="Publish the notes."),
    "editor": Agent(MODEL, name="editor", instructions="Edit the draft.", output_type=Verdict),
}

ANSWERS = {
    "Research": "Tidal energy turns the rise and fall of the sea into electricity.",
    "Critique the clarity": "Clear, but say how much power a barrage makes.",
    "Critique the sources": "Cite the La Rance barrage (240 MW, since 1966).",
    "Rewrite": '{"draft": "Tidal energy: the La Rance barrage has made 240 MW since 1966."}',
    "Publish": "Published as it was.",
    "Edit": '{"approved": true}',
}


def answer(request: Request) -> str:
    """The fake server's reply: chosen by the first words of the agent's instructions."""
    instructions = request.messages[0].text
    return next((a for start, a in ANSWERS.items() if instructions.startswith(start)), "?")


def main() -> None:
    server = FakeProviderServer(answer).start()
    os.environ["OPENAI_BASE_URL"] = server.openai_base_url
    os.environ["OPENAI_API_KEY"] = "sk-offline"

    flow = load(DEFINITION, registry=REGISTRY)
    first = flow.run_sync({"topic": "tidal energy"})
    print(f"draft: {first.state.draft}")
    print(f"approved: {first.state.approved}")

    text = flow.dump()
    print("\n--- flow.dump() ---")
    print(text)
    again = loads(text, registry=flow.registry())
    second = again.run_sync({"topic": "tidal energy"})
    same = second.to_dict(comparable=True) == first.to_dict(comparable=True)
    print(f"round trip: {'same result' if same else 'DIFFERENT RESULT'}")

    print("\n--- flow.to_mermaid() ---")
    print(flow.to_mermaid())

    command = ["llmkit", "workflow", "show", "workflows/article.yaml"]
    command += ["--registry", "workflow_yaml.py:REGISTRY"]
    print(f"\n$ {' '.join(command)}")
    done = subprocess.run(
        [sys.executable, "-m", "llmkit", *command[1:]],
        cwd=HERE,
        capture_output=True,
        text=True,
        check=False,
    )
    print(done.stdout or done.stderr)
    server.stop()


if __name__ == "__main__":
    main()

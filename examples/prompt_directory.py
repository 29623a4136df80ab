"""A directory of prompt files used by an agent: versions, front-matter, partials, safe values.

``examples/prompts/`` holds the prompts: ``support.md`` (version 2, with its
model and settings in the front-matter), ``support@1.md`` (version 1),
``summarise.yaml`` and the partial ``_style.md`` that ``support.md``
includes. The agent's instructions are the latest ``support`` prompt,
rendered before each model request with the run's ``deps``. Runs offline
against llmkit's fake provider server; set LLMKIT_MODEL (e.g.
"openai/gpt-4.1-mini") or OPENAI_API_KEY to use a real model.

    python examples/prompt_directory.py
    llmkit prompts list examples/prompts          # the same prompts on the command line
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import llmkit
from llmkit import Agent, Model, Request
from llmkit.prompt import MissingVariableError, load_prompts

PROMPTS = Path(__file__).resolve().parent / "prompts"


@dataclass
class Customer:
    name: str
    plan: str


def offline_reply(request: Request) -> str:
    """Answers like a model would, quoting the instructions' second line to show what it got."""
    system = request.messages[0].text.splitlines()
    return f"(instructions said: {system[1]!r}) Your parcel left today. Acme support"


def pick_model(default: str) -> tuple[Model, object]:
    name = os.environ.get("LLMKIT_MODEL")
    if not name and os.environ.get("OPENAI_API_KEY"):
        name = default
    if name:
        print(f"Using {name}.\n")
        return llmkit.model(name), None
    from llmkit.testing import FakeProviderServer

    server = FakeProviderServer(offline_reply).start()
    print("Running offline against llmkit's fake provider server.\n")
    return llmkit.model(default, base_url=server.openai_base_url, api_key="x"), server


def main() -> None:
    prompts = load_prompts(PROMPTS)
    for info in prompts.infos():
        print(f"{info.key:<14} {info.description}")

    support = prompts["support"]  # the latest version
    print(f"\nsupport is version {support.version}, written for {support.model}")
    customer = Customer(name="Ada {{ admin }}", plan="pro")  # braces in data stay text
    print(support.render(shop="Acme", deps=customer))

    model, server = pick_model(support.model or "openai/gpt-4.1-mini")
    try:
        agent = Agent(model, instructions=support.bind(shop="Acme"))
        result = agent.run_sync("Where is my parcel?", deps=customer)
        print(f"[agent] {result.output}")
    finally:
        if server is not None:
            server.stop()  # type: ignore[attr-defined]

    summary = prompts["summarise@1"].render(customer="Ada", message="Order {42} is late!")
    print(f"[summarise, output type {prompts['summarise'].output}] {summary.splitlines()[1]}")
    try:
        prompts["support@1"].render()
    except MissingVariableError as error:
        print(f"[missing] {error.variable!r} in {Path(error.file or '').name}, line {error.line}")


if __name__ == "__main__":
    try:
        main()
    except llmkit.LLMKitError as exc:
        sys.exit(f"error: {exc}")

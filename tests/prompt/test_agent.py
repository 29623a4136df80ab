"""A Prompt as an agent's instructions: rendered with the run context, per request."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from llmkit import Agent
from llmkit.context import RunContext
from llmkit.prompt import MissingVariableError, Prompt
from llmkit.testing import FakeProviderServer, TestModel, fake_model

INSTRUCTIONS = Prompt(
    "You help {{ deps.name }} ({{ tier }}).{% if ctx.step > 1 %} Step {{ ctx.step }}.{% endif %}",
    variables={"tier": "gold"},
)


@dataclass
class Customer:
    name: str


def test_a_prompt_renders_with_deps_ctx_and_its_variables_on_each_request() -> None:
    model = TestModel()

    def lookup(ctx: RunContext[Customer], order: str) -> str:
        """Look an order up."""
        return f"{order} for {ctx.deps.name}"

    agent = Agent(model, instructions=INSTRUCTIONS, tools=[lookup])
    result = agent.run_sync("Where is my order?", deps=Customer("Ada {{ boss }}"))
    systems = [r.messages[0] for r in model.requests]
    assert [m.role for m in systems] == ["system", "system"]
    assert [m.text for m in systems] == [
        "You help Ada {{ boss }} (gold).",  # the customer's braces stay text
        "You help Ada {{ boss }} (gold). Step 2.",
    ]
    assert result.output


def test_a_missing_value_in_instructions_stops_the_run_with_a_typed_error() -> None:
    agent = Agent(TestModel(), instructions=Prompt("For {{ deps.plan }}."))
    with pytest.raises(MissingVariableError) as caught:
        agent.run_sync("hi", deps=Customer("Ada"))
    assert caught.value.variable == "plan"


@pytest.mark.anyio
async def test_the_rendered_instructions_reach_the_provider(
    llmkit_fake_server: FakeProviderServer,
) -> None:
    llmkit_fake_server.script(["Hello Ada."])
    agent = Agent(fake_model(llmkit_fake_server, "openai"), instructions=INSTRUCTIONS)
    result = await agent.run("hi", deps=Customer("Ada {% raw %}"))
    assert result.output == "Hello Ada."
    sent = llmkit_fake_server.requests[0].json["messages"][0]
    assert sent == {"role": "system", "content": "You help Ada {% raw %} (gold)."}

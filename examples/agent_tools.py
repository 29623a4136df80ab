"""A tool-using agent: plain Python functions become tools, the agent runs the loop.

Runs offline by default, against llmkit's fake provider server on 127.0.0.1.
Set LLMKIT_MODEL (e.g. "openai/gpt-4.1-mini") or OPENAI_API_KEY to use a real model.
The second part shows a tool that fails (a scripted model calls it): the
exception is logged on the ``llmkit`` logger and carried on the tool.result
event, and ``tool_errors="raise"`` stops the run on it instead.

    python examples/agent_tools.py
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from typing import Annotated

from pydantic import Field

import llmkit
from llmkit import Agent, Model, Request, RunContext, ToolError, tool
from llmkit.errors import ToolExecutionError
from llmkit.events import RunEnd, TextDelta, ToolCallEvent, ToolResultEvent

PRICES = {"apple": 0.5, "bread": 2.25, "coffee": 7.0}


@tool
def price(item: str) -> float:
    """The unit price of a grocery item, in euros.

    Args:
        item: The item's name, singular and lowercase (e.g. "apple").
    """
    if item not in PRICES:
        raise ToolError(f"No item {item!r}; known items: {', '.join(PRICES)}.")
    return PRICES[item]


@tool(run_in_thread=False)
def total(
    ctx: RunContext[dict[str, float]],
    amounts: Annotated[list[float], Field(description="Line totals in euros.")],
) -> str:
    """Add up line totals and apply the customer's discount."""
    discount = ctx.deps.get("discount", 0.0)
    return f"{sum(amounts) * (1 - discount):.2f} EUR after a {discount:.0%} discount"


@tool
def stock(ctx: RunContext[dict[str, int]], item: str) -> int:
    """Units of an item in the warehouse (needs deps=the stock table)."""
    return ctx.deps[item]  # with deps= forgotten: TypeError, a programming error


class PrintWarnings(logging.Handler):
    """Prints llmkit's warnings in one line (a real app would keep the traceback)."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"[log {record.levelname}] {record.getMessage()}")


async def tool_errors() -> None:
    from llmkit.testing import ScriptedModel, tool_call

    logging.getLogger("llmkit").addHandler(PrintWarnings(logging.WARNING))
    script = [tool_call("stock", item="apple"), "I could not check the stock."]
    agent = Agent(ScriptedModel(script), tools=[stock])  # deps= forgotten
    async for event in agent.stream("Are apples in stock?"):
        if isinstance(event, ToolResultEvent) and event.error is not None:
            print(f"[tool failed] {event.error.type}: {event.error.message}")
            print(f"[model reads] {event.result.text}")
        elif isinstance(event, RunEnd):
            print(f"[run] {event.result.status}: {event.result.output}")
    strict = Agent(ScriptedModel(script), tools=[stock], tool_errors="raise")
    try:
        await strict.run("Are apples in stock?")
    except ToolExecutionError as exc:
        print(f"[tool_errors='raise'] {exc} ({len(exc.messages)} messages kept)")


def offline_reply(request: Request) -> object:
    """How the fake server answers: like a cooperative model would."""
    from llmkit.testing import tool_call

    last = request.messages[-1]
    if last.role == "user":
        return [tool_call("price", item="apples"), tool_call("price", item="bread")]
    texts = [r.text for r in last.tool_results]
    if any(text.startswith("No item") for text in texts):
        return tool_call("price", item="apple")  # corrects itself after the tool's error
    if request.messages[-2].tool_calls[0].name == "price":
        return tool_call("total", amounts=[3 * 0.5, 2.25])
    return f"Three apples and a bread cost {texts[0]}."


def pick_model() -> tuple[Model, object]:
    name = os.environ.get("LLMKIT_MODEL")
    if not name and os.environ.get("OPENAI_API_KEY"):
        name = "openai/gpt-4.1-mini"
    if name:
        print(f"Using {name}.\n")
        return llmkit.model(name), None
    from llmkit.testing import FakeProviderServer

    server = FakeProviderServer(offline_reply).start()
    print("Running offline against llmkit's fake provider server.\n")
    return llmkit.model("openai/gpt-4.1-mini", base_url=server.openai_base_url, api_key="x"), server


async def main() -> None:
    model, server = pick_model()
    agent = Agent(
        model,
        instructions="You are a shop assistant. Use the tools; never guess prices.",
        tools=[price, total],
        deps={"discount": 0.1},
    )
    print("Tool schema sent to the model:", json.dumps(price.spec.parameters))
    try:
        async for event in agent.stream("What do three apples and a bread cost?"):
            if isinstance(event, ToolCallEvent):
                print(f"[tool call] {event.call.name}({event.call.arguments})")
            elif isinstance(event, ToolResultEvent):
                flag = " (error)" if event.result.is_error else ""
                print(f"[tool result{flag}] {event.result.text}")
            elif isinstance(event, TextDelta):
                print(event.text, end="", flush=True)
            elif isinstance(event, RunEnd):
                result = event.result
                print(f"\n\n{len(result.steps)} model calls, {result.usage.total_tokens} tokens.")
    finally:
        if server is not None:
            server.stop()  # type: ignore[attr-defined]
    print("\nA tool that fails:")
    await tool_errors()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except llmkit.LLMKitError as exc:
        sys.exit(f"error: {exc}")

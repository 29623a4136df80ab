"""Structured extraction: typed, validated output from free text, with a tool on the way.

Shows the native strategy (the provider enforces the schema), the prompted
one (JSON recovered from untidy text), and an invalid answer sent back to be
fixed. Runs offline against llmkit's fake provider server; set LLMKIT_MODEL
(e.g. "openai/gpt-4.1-mini") or OPENAI_API_KEY to use a real model.

    python examples/structured_extraction.py
"""

from __future__ import annotations

import datetime
import json
import os
import sys

from pydantic import BaseModel, Field

import llmkit
from llmkit import Agent, Model, Request, tool

EMAIL = """Hi, please find attached invoice INV-77 for 3 hours of consulting at
120 USD/hour, plus 45 USD travel. Payment due by 2025-07-31. Thanks, Sam"""


class Line(BaseModel):
    description: str
    amount_eur: float


class Invoice(BaseModel):
    """An invoice, converted to euros."""

    number: str
    lines: list[Line]
    total_eur: float = Field(description="Sum of the lines, in euros.")
    due: datetime.date


@tool
def usd_to_eur(amount: float) -> float:
    """Convert US dollars to euros at today's rate."""
    return round(amount * 0.9, 2)


def offline_reply(request: Request) -> object:
    """Answers like a model would, including the untidy JSON real models sometimes send."""
    from llmkit.testing import tool_call

    system = request.messages[0].text
    last = request.messages[-1]
    if "Reply with one JSON value" in system:  # prompted mode: fenced JSON with a trailing comma
        return (
            "Sure! Here is the invoice:\n```json\n"
            '{"number": "INV-77", "lines": [{"description": "consulting", "amount_eur": 324.0}, '
            '{"description": "travel", "amount_eur": 40.5},], "total_eur": 364.5, '
            '"due": "2025-07-31",}\n```'
        )
    if last.role == "user" and "not valid" in last.text:  # the retry after an invalid answer
        return json.dumps(
            {"number": "INV-77", "lines": [], "total_eur": 364.5, "due": "2025-07-31"}
        )
    if last.role == "user" and request.tools:
        return tool_call("usd_to_eur", amount=405)
    if last.role == "user":
        return '{"number": "INV-77", "total_eur": "about 360", "due": "end of July"}'
    lines = [
        {"description": "consulting", "amount_eur": 324.0},
        {"description": "travel", "amount_eur": 40.5},
    ]
    return json.dumps({"number": "INV-77", "lines": lines, "total_eur": 364.5, "due": "2025-07-31"})


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


def main() -> None:
    model, server = pick_model()
    instructions = "Extract the invoice. Convert every amount to euros with the tool."
    try:
        # 1. Native structured output, with a tool call on the way.
        agent = Agent(model, instructions=instructions, output_type=Invoice, tools=[usd_to_eur])
        result = agent.run_sync(EMAIL)
        invoice = result.output
        print(
            f"[native] {type(invoice).__name__} {invoice.number}: {invoice.total_eur} EUR, due {invoice.due}"
        )
        print(f"         {len(invoice.lines)} lines, {result.usage.requests} model calls")

        # 2. Prompted: the schema goes into the instructions, the JSON is recovered from text.
        prompted = Agent(
            model, instructions="Extract the invoice.", output_type=Invoice, output_mode="prompted"
        )
        invoice = prompted.run_sync(EMAIL).output
        print(f"[prompted] recovered from fenced JSON: {invoice.number}, {invoice.total_eur} EUR")

        # 3. An invalid answer is sent back with the validation errors, then fixed.
        strict = Agent(model, instructions="Extract the invoice.", output_type=Invoice)
        result = strict.run_sync(EMAIL)
        print(
            f"[retry] fixed after {result.usage.requests} model calls: {result.output.total_eur} EUR"
        )
        print(f"        what the model was told: {result.messages[2].text.splitlines()[1]}")

        # The result has a JSON form; the output is validated again when loaded.
        again = strict.load_result(json.loads(json.dumps(result.to_dict())))
        print(f"[json] round trip equal: {again.output == result.output}")
    finally:
        if server is not None:
            server.stop()  # type: ignore[attr-defined]


if __name__ == "__main__":
    try:
        main()
    except llmkit.LLMKitError as exc:
        sys.exit(f"error: {exc}")

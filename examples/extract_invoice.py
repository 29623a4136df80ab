"""Extracting an invoice from a model's messy answer: JSON, YAML or XML, found, repaired, validated.

Models asked for data without a schema the provider enforces answer in many
ways: XML with prose around it, YAML indented with tabs, JSON cut off part-way.
``llmkit.output.extract`` finds the data, repairs it, coerces it where the
schema makes the intent plain ("360.00" for a number, "no" for a boolean), and
validates it. Runs offline against llmkit's fake provider server; set
LLMKIT_MODEL (e.g. "openai/gpt-4.1-mini") or OPENAI_API_KEY to use a real model.

    pip install 'llmkit[output]'
    python examples/extract_invoice.py
"""

from __future__ import annotations

import datetime
import os
import sys

from pydantic import BaseModel

import llmkit
from llmkit import Message, Model, Request
from llmkit.errors import ExtractionError, UnsafeDocumentError
from llmkit.output import detect_format, extract

EMAIL = """Hi, invoice INV-77: 3 hours of consulting at 120 USD/hour, plus 45 USD
travel. Already paid? No. Payment due by 2025-07-31. Thanks, Sam"""

FORMATS = ("XML", "YAML", "JSON")

# What a model may answer when asked for each format (the fake server's answers).
OFFLINE = {
    "XML": """Sure! Here is the invoice as XML:
<invoice number="INV-77">
  <lines>
    <line><description>Consulting</description><amount>360.00</amount></line>
    <line><description>Travel</description><amount>45</amount></line>
  </lines>
  <paid>no</paid>
  <due>2025-07-31</due>
</invoice>
Let me know if anything is missing!""",
    "YAML": """```yaml
number: INV-77
lines:
\t- description: Consulting
\t  amount: 360
\t- description: Travel
\t  amount: 45
paid: no
due: 2025-07-31
```""",
    "JSON": """{"number": "INV-77", "lines": [{"description": "Consulting", "amount": "360"},
{"description": "Travel", "amount": 45},], "paid": false, "due": "2025-07-31\"""",
}


class Line(BaseModel):
    description: str
    amount: float


class Invoice(BaseModel):
    """An invoice read from an e-mail."""

    number: str
    lines: list[Line]
    paid: bool
    due: datetime.date


def offline_reply(request: Request) -> str:
    asked = request.messages[-1].text
    return next(answer for name, answer in OFFLINE.items() if f"as {name}" in asked)


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
    try:
        for name in FORMATS:
            ask = f"Give the invoice in this e-mail as {name} (number, lines, paid, due):\n{EMAIL}"
            answer = model.generate_sync(Request(messages=[Message.user(ask)])).text
            invoice = extract(Invoice, answer)
            total = sum(line.amount for line in invoice.lines)
            print(
                f"[{detect_format(answer)}] {invoice.number}: {len(invoice.lines)} lines, "
                f"{total} USD, paid={invoice.paid}, due {invoice.due}"
            )
    finally:
        if server is not None:
            server.stop()  # type: ignore[attr-defined]

    # An answer that does not fit: every error with its path, and the text.
    try:
        extract(Invoice, '{"number": "INV-78", "lines": [{"description": "Fee", "amount": "TBD"}]}')
    except ExtractionError as error:
        print(f"[invalid] {len(error.errors)} errors:")
        print("\n".join(str(error).splitlines()[1:4]))

    # A text that would harm the process is refused unread.
    bomb = '<!DOCTYPE i [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;">]><invoice>&b;</invoice>'
    try:
        extract(Invoice, bomb)
    except UnsafeDocumentError as error:
        print(f"[refused] {str(error).split(',')[0]}")


if __name__ == "__main__":
    try:
        main()
    except llmkit.LLMKitError as exc:
        sys.exit(f"error: {exc}")

"""Map-reduce: summarise eight chapters concurrently, then join the summaries in one agent call.

``map_each`` runs the summariser once per chapter (up to eight at a time) and writes the
summaries in chapter order, whatever order they finish in; a reduce agent then reads
them all. The fake provider server on 127.0.0.1 answers from the request (the first
sentence of each chapter), so it runs offline.

    python examples/workflow_map_reduce.py
"""

from __future__ import annotations

import llmkit
from llmkit import Agent, Request
from llmkit.testing import FakeProviderServer
from llmkit.workflow import map_each, sequence, step

CHAPTERS = [
    "The moon pulls the sea. Twice a day the water rises.",
    "Old mills used the tide. Some ground grain for centuries.",
    "A barrage dams an estuary. Turbines run as the water flows back.",
    "La Rance opened in 1966. It still makes 240 MW.",
    "Tidal streams need no dam. Underwater rotors turn like windmills.",
    "Salt water eats metal. Maintenance costs more than at sea level.",
    "Fish pass through slow rotors. Studies watch them closely.",
    "Tides are predictable for centuries. That is their best feature.",
]


def answer(request: Request) -> str:
    """The fake server's reply: a chapter's first sentence, or the joined summaries."""
    text = request.messages[-1].text
    if request.messages[0].text.startswith("Summarise"):
        return text.split(". ")[0] + "."
    return "In short: " + " ".join(line.strip("- ") for line in text.splitlines())


server = FakeProviderServer(answer).start()
model = llmkit.model("openai/gpt-4.1-mini", base_url=server.openai_base_url, api_key="x")
summariser = Agent(model, name="summariser", instructions="Summarise the chapter in one sentence.")
editor = Agent(model, name="editor", instructions="Join the summaries into one paragraph.")

flow = sequence(
    map_each(step(summariser), over="chapters", output="summaries", max_concurrency=8),
    step(editor, input=lambda s: "\n".join(f"- {x}" for x in s["summaries"]), output="summary"),
    name="book",
)

result = flow.run_sync({"chapters": CHAPTERS})
print(f"{len(result.state['summaries'])} chapters summarised")
print(result.state["summary"])
print()
for record in result.trace:
    print(f"{record.path:<28} {record.usage.total_tokens:>4} tokens")
server.stop()

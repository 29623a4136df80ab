"""A long chat that stays inside a small token budget: ConversationMemory trims and summarises.

The conversation (``result.messages``) grows every turn; what is sent to the
model does not grow past the budget. Once the chat is over the budget the
oldest turns are replaced by a summary (made by a model, here the same fake
one), which later turns reuse until it, too, needs refreshing. Token counts
are exact for OpenAI models (``pip install 'llmkit[tokens]'``). The fake
provider server on 127.0.0.1 answers, so it runs offline.

    python examples/memory_long_chat.py
"""

from __future__ import annotations

import llmkit
from llmkit import Agent, Request
from llmkit.memory import ConversationMemory, count_tokens
from llmkit.testing import FakeProviderServer

BUDGET = 600
TOPICS = ["tides", "mills", "barrages", "turbines", "rotors", "salt", "fish", "forecasts"]
TOPICS += ["estuaries", "grids", "storage", "costs"]
summaries: list[str] = []


def answer(request: Request) -> str:
    """The fake server's reply: a summary for the summariser, else an answer to the question."""
    if request.messages[0].text.startswith("You condense conversations"):
        summaries.append(request.messages[-1].text)
        return f"The user asked about tidal power, {len(summaries)} summaries so far."
    question = request.messages[-1].text
    return f"About {question.split()[2]}: " + "the sea rises and falls twice a day. " * 6


class Meter:
    """Innermost hook (priority 0, memory is 10): sees the request exactly as it is sent."""

    priority = 0

    def __init__(self) -> None:
        self.sent: list[int] = []

    def before_model(self, ctx: object, request: Request) -> None:
        self.sent.append(count_tokens("openai/gpt-4.1-mini", request))


server = FakeProviderServer(answer).start()
model = llmkit.model("openai/gpt-4.1-mini", base_url=server.openai_base_url, api_key="x")
memory = ConversationMemory(max_tokens=BUDGET, keep_last=2, summarize_with=model)
meter = Meter()
agent = Agent(model, instructions="Answer questions on tidal power.", memory=memory, hooks=[meter])

history: list[llmkit.Message] = []
for turn, topic in enumerate(TOPICS, 1):
    question = f"Tell me about {topic} and how they relate to tidal power, in detail please."
    result = agent.run_sync(question, message_history=history)
    history = result.messages
    full = count_tokens("openai/gpt-4.1-mini", history)
    print(
        f"turn {turn}: history {len(history):>2} messages, {full:>4} tokens; sent {meter.sent[-1]}"
    )

print(f"every request fit the budget of {BUDGET}: {max(meter.sent) <= BUDGET}")
print(f"the summariser was called {len(summaries)} times in {len(TOPICS)} turns")
print(f"the history kept every message: {len(history) == 2 * len(TOPICS)}")
server.stop()

"""The article pipeline: research, two critics in parallel, a score, a branch and an editor loop.

Every agent runs against llmkit's fake provider server on 127.0.0.1, which answers
each agent by its instructions, so the whole workflow runs offline. The flow is the
one from llmkit's workflow docs: a typed state, agents and a function as steps, a
parallel with declared-order results, a branch on the score, a loop until the editor
approves, and a retry policy on the whole sequence.

    python examples/workflow_article.py
"""

from __future__ import annotations

from pydantic import BaseModel

import llmkit
from llmkit import Agent, Request
from llmkit.errors import RateLimitError, ServerError
from llmkit.testing import FakeProviderServer
from llmkit.workflow import Retry, branch, loop, parallel, sequence, step, when


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
    for start, reply in ANSWERS.items():
        if instructions.startswith(start):
            return reply
    return "I have nothing to add."


server = FakeProviderServer(answer).start()
model = llmkit.model("openai/gpt-4.1-mini", base_url=server.openai_base_url, api_key="x")

researcher = Agent(model, name="researcher", instructions="Research the topic in one sentence.")
critic_a = Agent(model, name="critic_a", instructions="Critique the clarity of the notes.")
critic_b = Agent(model, name="critic_b", instructions="Critique the sources of the notes.")
rewriter = Agent(model, name="rewriter", instructions="Rewrite the notes.", output_type=Draft)
publisher = Agent(model, name="publisher", instructions="Publish the notes.")
editor = Agent(model, name="editor", instructions="Edit the draft.", output_type=Verdict)


@step(output="score")
def score(state: Article) -> float:
    """Each review that asks for more costs a quarter point."""
    return 1.0 - 0.25 * sum("say" in r or "Cite" in r for r in state.reviews)


flow = sequence(
    step(researcher, input=lambda s: s.topic, output="notes"),
    parallel(critic_a, critic_b, output="reviews", max_concurrency=4, timeout=60),
    score,
    branch(when(lambda s: s.score < 0.8, rewriter), otherwise=publisher),
    loop(editor, until=lambda s: s.approved, max_iterations=3),
    name="article",
    retry=Retry(attempts=3, backoff="exponential", on=(RateLimitError, ServerError)),
)

print(flow.tree())
print()
result = flow.run_sync(Article(topic="tidal energy"))
state = result.state
print(f"notes: {state.notes}")
for number, review in enumerate(state.reviews, 1):
    print(f"review {number}: {review}")
print(f"score: {state.score}")
print(f"draft: {state.draft}")
print(f"approved: {state.approved}")
used = result.usage
print(f"usage: {used.requests} requests, {used.input_tokens} tokens in, {used.output_tokens} out")
print()
print("trace:")
for record in result.trace:
    tokens = record.usage.total_tokens
    print(f"  {record.path:<28} {record.status:<7} {record.kind:<9} {tokens} tokens")
server.stop()

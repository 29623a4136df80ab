"""Retries and a circuit breaker around agent steps, with faults injected by the fake server.

First, a forecast agent is rate-limited twice (HTTP 429) and answers the third time:
its model makes no retries of its own (``max_retries=0``), so the step's ``Retry``
does the work, and each failed attempt shows as a ``workflow.step.retry`` event.

Then a provider that keeps failing (HTTP 503): a ``CircuitBreaker`` opens after two
failures in a row, later runs are refused at once without a request, and the step's
``fallback`` answers meanwhile. The breakers' clock is injected, so the example moves
time forward instead of sleeping; after ``reset_timeout`` one probe goes through and,
the provider being back, closes the circuit.

    python examples/workflow_retry_breaker.py
"""

from __future__ import annotations

import logging
import sys

import llmkit
from llmkit import Agent, Request
from llmkit.hooks import HookContext
from llmkit.testing import FakeProviderServer, Fault
from llmkit.workflow import Breakers, CircuitBreaker, Retry, sequence, step, use_breakers

# Breakers log each change of a circuit on the "llmkit.workflow" logger.
logging.basicConfig(level=logging.WARNING, format="  [log] %(message)s", stream=sys.stdout)

# ---------------------------------------------------------------- retries

rate_limited = FakeProviderServer(
    [Fault.status(429, retry_after=0), Fault.status(429, retry_after=0), "Sunny, 18 °C."]
).start()
model = llmkit.model(
    "openai/gpt-4.1-mini", base_url=rate_limited.openai_base_url, api_key="x", max_retries=0
)
forecaster = Agent(model, name="forecaster", instructions="Give the forecast.")
flow = sequence(
    step(forecaster, output="forecast", retry=Retry(attempts=3, delay=0.01)), name="weather"
)

for event in flow.stream_sync({"city": "Paris"}):
    if event.topic == "workflow.step.retry":
        print(f"attempt {event.attempt} failed: {event.error_type}")
    elif event.topic == "workflow.end":
        print(f"forecast: {event.result.state['forecast']}")
print(f"requests sent: {len(rate_limited.requests)}")
rate_limited.stop()
print()

# ---------------------------------------------------------------- circuit breaker

provider_down = True


def answer(request: Request) -> object:
    """503 while the provider is down, then a normal answer."""
    return Fault.status(503) if provider_down else "Fresh headlines."


flaky_server = FakeProviderServer(answer).start()
flaky_model = llmkit.model(
    "openai/gpt-4.1-mini", base_url=flaky_server.openai_base_url, api_key="x", max_retries=0
)
news = Agent(flaky_model, name="news", instructions="Give today's headlines.")


def cached_headlines(state: dict[str, object]) -> str:
    """The fallback: yesterday's headlines, from a cache."""
    return "Yesterday's headlines (cached)."


breaker = CircuitBreaker("flaky", failure_threshold=2, reset_timeout=30)
headlines = sequence(
    step(news, output="headlines", breaker=breaker, fallback=step(cached_headlines)),
    name="headlines",
)


class ShowFailures:
    """A hook: print each failed step attempt (the fallback hides it from the result)."""

    def on_error(self, ctx: HookContext, error: BaseException) -> None:
        if ctx.kind == "step":
            print(f"  {ctx.path} attempt {ctx.attempt} failed: {type(error).__name__}: {error}")


now = [0.0]
registry = Breakers(clock=lambda: now[0])
with use_breakers(registry):
    for run in range(1, 5):
        if run == 4:
            now[0] += 31  # past reset_timeout: the next call is a probe
            provider_down = False
        before = len(flaky_server.requests)
        result = headlines.run_sync({}, hooks=[ShowFailures()])
        sent = len(flaky_server.requests) - before
        news_step = next(r for r in result.trace if r.path == "headlines/news")
        answered = "fallback answered" if news_step.reason == "fallback" else "news answered"
        print(f"run {run}: {sent} request(s), {answered}: {result.state['headlines']}")
        print(f"  circuit is now {registry.state('flaky')}")
flaky_server.stop()

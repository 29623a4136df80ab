"""Watching an agent: logging and metrics hooks, the event bus, and OpenTelemetry traces.

Runs offline by default, against llmkit's fake provider server on 127.0.0.1.
Set LLMKIT_MODEL (e.g. "openai/gpt-4.1-mini") or OPENAI_API_KEY to use a real model.

Traces go to OpenTelemetry's console exporter, which is in the SDK
(pip install 'llmkit[otel]'); without it the example runs and says so.

    python examples/observability.py
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import llmkit
from llmkit import Agent, Model, Request, tool
from llmkit.hooks import LoggingHook, MetricsHook, TracingHook


@tool(run_in_thread=False)
def get_weather(city: str) -> dict[str, Any]:
    """Current weather in a city."""
    return {"city": city, "temperature_c": 18, "sky": "sunny"}


def offline_reply(request: Request) -> object:
    """How the fake server answers: a tool call, then an answer from its result."""
    from llmkit.testing import tool_call

    if request.messages[-1].role == "user":
        return tool_call("get_weather", city="Paris")
    return "It is 18 °C and sunny in Paris."


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


def console_tracing() -> TracingHook | None:
    """A tracing hook whose spans print to the console, or None without the OpenTelemetry SDK."""
    try:
        from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
    except ImportError:
        print(
            "[tracing] opentelemetry-sdk is not installed: no traces (pip install 'llmkit[otel]')."
        )
        return None

    def one_line(span: ReadableSpan) -> str:
        attributes = span.attributes or {}
        keys = ("gen_ai.operation.name", "gen_ai.request.model", "gen_ai.tool.name",
                "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens")  # fmt: skip
        shown = ", ".join(
            f"{k.removeprefix('gen_ai.')}={attributes[k]}" for k in keys if k in attributes
        )
        return f"[span] {span.name} ({shown})\n"

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(formatter=one_line)))
    return TracingHook(provider.get_tracer("observability-example"))


def main() -> None:
    model, server = pick_model()
    # LoggingHook writes stdlib logging records: one INFO line per model and tool call.
    logging.basicConfig(stream=sys.stdout, level=logging.WARNING, format="[log] %(message)s")
    logging.getLogger("llmkit").setLevel(logging.INFO)

    metrics = MetricsHook()
    hooks: list[object] = [LoggingHook(), metrics]
    tracing = console_tracing()
    if tracing is not None:
        hooks.append(tracing)

    # The bus: every agent publishes its events there; subscribe with glob patterns.
    bus = llmkit.bus()
    bus.on("tool.call", lambda e: print(f"[bus] tool.call {e.call.name}({e.call.arguments})"))
    bus.on("tool.result", lambda e: print(f"[bus] tool.result {e.result.text}"))

    agent = Agent(model, name="weather", instructions="Be brief.", tools=[get_weather], hooks=hooks)
    result = agent.run_sync("What's the weather in Paris?")
    bus.drain_sync(timeout=5)  # sync handlers run in their own thread: let them finish
    print(f"\nAnswer: {result.output}")

    stats = metrics.snapshot()["models"][model.name]
    print(f"[metrics] {model.name}: {stats['requests']} requests, "
          f"{stats['input_tokens']}+{stats['output_tokens']} tokens")  # fmt: skip
    requests_line = next(
        line for line in metrics.prometheus().splitlines()
        if line.startswith("llmkit_model_requests_total{")
    )  # fmt: skip
    print(f"[prometheus] {requests_line}")
    if server is not None:
        server.stop()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()

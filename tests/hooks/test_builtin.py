"""Each built-in hook through an agent run against the fake provider server."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from llmkit import Agent, Message, Request
from llmkit.errors import GuardrailTripped, ServerError
from llmkit.events import TextDelta
from llmkit.hooks import CacheHook, Guardrail, LoggingHook, MetricsHook, RateLimit, TracingHook
from llmkit.testing import FakeProviderServer, Fault

from .conftest import KEY

pytestmark = pytest.mark.anyio

MakeAgent = Callable[..., Agent[Any]]


# ------------------------------------------------------------------- logging


async def test_logging_hook_logs_each_call_at_info_with_fields(
    make_agent: MakeAgent, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="llmkit")
    result = await make_agent(hooks=[LoggingHook()]).run("Weather in Paris?")
    records = [r for r in caplog.records if r.name == "llmkit"]
    assert [r.llmkit_event for r in records] == [  # type: ignore[attr-defined]
        "model.response",
        "tool.result",
        "model.response",
        "run.end",
    ]
    assert {r.levelno for r in records} == {logging.INFO}
    model_call = records[0]
    assert model_call.model == "openai/gpt-4.1-mini"  # type: ignore[attr-defined]
    assert model_call.run_id == result.run_id  # type: ignore[attr-defined]
    assert model_call.step == 1  # type: ignore[attr-defined]
    assert model_call.finish_reason == "tool_calls"  # type: ignore[attr-defined]
    assert model_call.input_tokens > 0  # type: ignore[attr-defined]
    assert records[1].tool == "get_weather" and records[1].is_error is False  # type: ignore[attr-defined]
    assert "tool get_weather: ok" in records[1].getMessage()


async def test_logging_hook_logs_bodies_at_debug_with_secrets_redacted(
    make_agent: MakeAgent, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="llmkit")
    secret = "sk-" + "live-not-a-real-key-" + "z" * 12
    await make_agent(hooks=[LoggingHook()]).run(f"My key is {secret}; weather in Paris?")
    bodies = [r for r in caplog.records if getattr(r, "llmkit_body", False)]
    assert {r.levelno for r in bodies} == {logging.DEBUG}
    text = caplog.text
    assert "model request" in text and "tool get_weather arguments" in text
    assert secret not in text and KEY not in text
    assert "[redacted]" in text


async def test_logging_hook_warns_on_a_failed_call(
    make_agent: MakeAgent, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="llmkit")
    with pytest.raises(ServerError):
        await make_agent(script=[Fault.status(500)], hooks=[LoggingHook()]).run("hi")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and r.name == "llmkit"]
    assert [r.llmkit_event for r in warnings] == ["model.error", "run.error"]  # type: ignore[attr-defined]
    assert warnings[0].error_type == "ServerError"  # type: ignore[attr-defined]


# ------------------------------------------------------------------- metrics


async def test_metrics_hook_counts_requests_tokens_tools_and_latency(make_agent: MakeAgent) -> None:
    metrics = MetricsHook()
    agent = make_agent(hooks=[metrics])
    result = await agent.run("Weather in Paris?")
    data = metrics.snapshot()
    model = data["models"]["openai/gpt-4.1-mini"]
    assert model["requests"] == 2
    assert model["input_tokens"] == result.usage.input_tokens
    assert model["output_tokens"] == result.usage.output_tokens
    assert model["cost"] == pytest.approx(result.usage.cost)
    assert model["latency"]["count"] == 2 and model["latency"]["buckets"]["+Inf"] == 2
    assert data["tools"]["get_weather"]["calls"] == 1
    assert data["tools"]["get_weather"]["errors"] == 0


async def test_metrics_hook_counts_errors_and_speaks_prometheus(make_agent: MakeAgent) -> None:
    metrics = MetricsHook()
    with pytest.raises(ServerError):
        await make_agent(script=[Fault.status(500)], hooks=[metrics]).run("hi")
    assert metrics.snapshot()["models"]["openai/gpt-4.1-mini"]["errors"] == {"ServerError": 1}
    text = metrics.prometheus()
    lines = text.splitlines()
    assert "# TYPE llmkit_model_requests_total counter" in lines
    assert 'llmkit_model_requests_total{model="openai/gpt-4.1-mini"} 1' in lines
    assert 'llmkit_model_errors_total{model="openai/gpt-4.1-mini",error="ServerError"} 1' in lines
    assert 'llmkit_model_latency_seconds_count{model="openai/gpt-4.1-mini"} 1' in lines
    assert any(line.startswith("llmkit_model_latency_seconds_bucket{") for line in lines)
    metrics.reset()
    assert metrics.snapshot() == {"models": {}, "tools": {}}


# ------------------------------------------------------------------- tracing


def _exporter() -> tuple[Any, Any]:
    sdk = pytest.importorskip("opentelemetry.sdk.trace")
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = sdk.TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("test"), exporter


async def test_tracing_hook_makes_genai_spans_for_run_model_and_tool(make_agent: MakeAgent) -> None:
    tracer, exporter = _exporter()
    result = await make_agent(name="weather", hooks=[TracingHook(tracer)]).run("Weather in Paris?")
    spans = {s.name: s for s in exporter.get_finished_spans()}
    names = [s.name for s in exporter.get_finished_spans()]
    assert sorted(names) == sorted(
        [
            "chat gpt-4.1-mini",
            "execute_tool get_weather",
            "chat gpt-4.1-mini",
            "invoke_agent weather",
        ]
    )
    run = spans["invoke_agent weather"]
    assert run.attributes["gen_ai.operation.name"] == "invoke_agent"
    assert run.attributes["gen_ai.agent.name"] == "weather"
    assert run.attributes["gen_ai.conversation.id"] == result.run_id
    chats = [s for s in exporter.get_finished_spans() if s.name.startswith("chat")]
    first = chats[0]
    assert first.attributes["gen_ai.operation.name"] == "chat"
    assert first.attributes["gen_ai.provider.name"] == "openai"
    assert first.attributes["gen_ai.request.model"] == "gpt-4.1-mini"
    assert first.attributes["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert first.attributes["gen_ai.usage.input_tokens"] == result.steps[0].usage.input_tokens
    assert first.attributes["gen_ai.usage.output_tokens"] == result.steps[0].usage.output_tokens
    tool_span = spans["execute_tool get_weather"]
    assert tool_span.attributes["gen_ai.tool.name"] == "get_weather"
    assert tool_span.attributes["gen_ai.tool.call.id"] == result.steps[0].tool_calls[0].id
    # Model and tool spans are children of the run's span, in one trace.
    for span in (first, tool_span):
        assert span.parent is not None and span.parent.span_id == run.context.span_id
        assert span.context.trace_id == run.context.trace_id
    assert "gen_ai.input.messages" not in first.attributes  # content is opt-in


async def test_tracing_hook_marks_a_failed_call(make_agent: MakeAgent) -> None:
    from opentelemetry.trace import StatusCode

    tracer, exporter = _exporter()
    with pytest.raises(ServerError):
        await make_agent(script=[Fault.status(500)], hooks=[TracingHook(tracer)]).run("hi")
    for span in exporter.get_finished_spans():
        assert span.status.status_code == StatusCode.ERROR
        assert span.attributes["error.type"] == "ServerError"


async def test_tracing_hook_records_content_only_when_asked(make_agent: MakeAgent) -> None:
    tracer, exporter = _exporter()
    await make_agent(hooks=[TracingHook(tracer, capture_content=True)]).run("Weather in Paris?")
    chat = next(s for s in exporter.get_finished_spans() if s.name.startswith("chat"))
    assert "Weather in Paris?" in chat.attributes["gen_ai.input.messages"]


def test_tracing_hook_does_nothing_without_opentelemetry(tmp_path: Any) -> None:
    script = (
        "import sys; sys.modules['opentelemetry'] = None\n"
        "from llmkit import Agent\n"
        "from llmkit.hooks import TracingHook\n"
        "from llmkit.testing import ScriptedModel\n"
        "hook = TracingHook()\n"
        "print(hook.enabled, Agent(ScriptedModel(['ok']), hooks=[hook]).run_sync('hi').output)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["False", "ok"]


# ---------------------------------------------------------------- guardrails


def no_secrets(text: str) -> str | None:
    return "it mentions a password" if "password" in text.lower() else None


async def test_an_input_guardrail_stops_the_run_before_any_model_call(
    make_agent: MakeAgent, llmkit_fake_server: FakeProviderServer
) -> None:
    history = [Message.user("Hello"), Message.assistant("Hi!")]
    agent = make_agent(hooks=[Guardrail(input=no_secrets)])
    with pytest.raises(GuardrailTripped) as caught:
        await agent.run("My password is hunter2", message_history=history)
    err = caught.value
    assert type(err) is GuardrailTripped
    assert (err.stage, err.reason, err.hook) == ("input", "it mentions a password", "no_secrets")
    assert [m.text for m in err.messages] == ["Hello", "Hi!", "My password is hunter2"]
    assert llmkit_fake_server.requests == []


async def test_an_output_guardrail_checks_the_final_answer(make_agent: MakeAgent) -> None:
    async def no_celsius(text: str) -> bool:
        return "°C" not in text

    agent = make_agent(hooks=[Guardrail(output=no_celsius)])
    with pytest.raises(GuardrailTripped) as caught:
        await agent.run("Weather in Paris?")
    err = caught.value
    assert err.stage == "output" and err.reason == "the check failed"
    # The whole run is kept: input, tool call, tool result, the answer that tripped.
    assert len(err.messages) == 4 and err.messages[-1].text == "It is 18 °C in Paris."
    assert err.usage.requests == 2


async def test_a_guardrail_that_passes_changes_nothing(make_agent: MakeAgent) -> None:
    agent = make_agent(hooks=[Guardrail(input=no_secrets, output=lambda text: True)])
    assert (await agent.run("Weather in Paris?")).output == "It is 18 °C in Paris."


# --------------------------------------------------------------------- cache


async def test_the_cache_answers_a_repeated_run_without_the_server(
    make_agent: MakeAgent, llmkit_fake_server: FakeProviderServer
) -> None:
    cache = CacheHook()
    agent = make_agent(hooks=[cache])
    first = await agent.run("Weather in Paris?")
    second = await agent.run("Weather in Paris?")
    assert len(llmkit_fake_server.requests) == 2
    assert second.output == first.output
    assert (cache.hits, cache.misses) == (2, 2)
    assert second.usage.requests == 0 and second.usage.input_tokens == 0


async def test_the_sqlite_cache_lasts_across_hooks_and_serves_streams(
    make_agent: MakeAgent, llmkit_fake_server: FakeProviderServer, tmp_path: Any
) -> None:
    path = tmp_path / "cache.db"
    await make_agent(hooks=[CacheHook(path)]).run("Weather in Paris?")
    cache = CacheHook(str(path))
    assert len(cache) == 2
    agent = make_agent(hooks=[cache])
    events = [e async for e in agent.stream("Weather in Paris?")]
    assert len(llmkit_fake_server.requests) == 2  # only the first, uncached run
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text == "It is 18 °C in Paris."
    assert cache.hits == 2
    cache.close()


async def test_the_cache_skips_sampled_requests_unless_asked(
    make_agent: MakeAgent, llmkit_fake_server: FakeProviderServer
) -> None:
    script = ["one", "two", "three"]
    sampled = {"temperature": 0.7}
    agent = make_agent(script=script, tools=[], hooks=[CacheHook()], model_settings=sampled)
    await agent.run("hi")
    await agent.run("hi")
    assert len(llmkit_fake_server.requests) == 2
    agent = make_agent(
        script=script, tools=[], hooks=[CacheHook(cache_sampled=True)], model_settings=sampled
    )
    assert (await agent.run("hi")).output == (await agent.run("hi")).output


# ----------------------------------------------------------------- rate limit


class FakeClock:
    """A clock that stands still until a call sleeps: waits are exact, whatever the machine."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def test_rate_limit_makes_calls_wait_instead_of_failing(make_agent: MakeAgent) -> None:
    clock = FakeClock()
    limit = RateLimit(rpm=600, burst=1, clock=clock, sleep=clock.sleep)  # then one every 0.1 s
    agent = make_agent(hooks=[limit])
    result = await agent.run("Weather in Paris?")
    assert result.output == "It is 18 °C in Paris."
    # Two model calls: the first goes at once, the second waits for the next request slot.
    assert clock.sleeps == [pytest.approx(0.1)]
    assert limit.waited == pytest.approx(0.1)


async def test_rate_limit_corrects_its_token_estimate_with_the_reported_usage(
    make_agent: MakeAgent,
) -> None:
    clock = FakeClock()
    limit = RateLimit(tpm=60_000, clock=clock, sleep=clock.sleep)
    agent = make_agent(hooks=[limit])
    result = await agent.run("Weather in Paris?")
    bucket = limit._limits["openai/gpt-4.1-mini"].tokens
    assert bucket is not None
    # What is missing from the bucket is what the calls reported, not the estimates
    # (the clock stood still: nothing refilled).
    spent = bucket.capacity - bucket.level
    assert spent == result.usage.total_tokens
    assert limit.waited == 0 and clock.sleeps == []


async def test_rate_limit_waits_for_the_token_bucket_and_lets_a_large_call_through() -> None:
    from llmkit.testing import ScriptedModel

    clock = FakeClock()
    waits = clock.sleeps
    limit = RateLimit(tpm=600, clock=clock, sleep=clock.sleep)  # 10 tokens a second
    agent = Agent(ScriptedModel(["a", "b"]), hooks=[limit])
    # Larger than the whole bucket: it goes at once (the bucket is full) and overdraws it.
    await agent.run("x" * 4000)
    assert waits == []
    bucket = limit._limits["test/scripted"].tokens
    assert bucket is not None and bucket.level < 0
    # The next call waits until the overdraft and its own share have refilled.
    await agent.run("short")
    assert len(waits) == 1 and waits[0] > 20
    assert limit.waited == pytest.approx(waits[0])


def test_a_plain_request_with_hooks_through_with_hooks() -> None:
    from llmkit.hooks import with_hooks
    from llmkit.testing import ScriptedModel

    cache = CacheHook()
    model = with_hooks(ScriptedModel(["cached answer", "fresh answer"]), [cache])
    request = Request([Message.user("hi")], temperature=0)
    assert model.generate_sync(request).text == "cached answer"
    assert model.generate_sync(request).text == "cached answer"
    assert cache.hits == 1


def test_hooks_bus_and_recording_load_no_optional_dependency() -> None:
    script = (
        "import sys, json\n"
        "import llmkit\n"
        "from llmkit.hooks import LoggingHook, MetricsHook, CacheHook, RateLimit, Guardrail\n"
        "from llmkit.recording import Recording\n"
        "llmkit.Agent('openai/gpt-4.1-mini', hooks=[LoggingHook(), MetricsHook(), CacheHook()])\n"
        "llmkit.bus()\n"
        "print(json.dumps([m for m in ('opentelemetry', 'starlette', 'uvicorn') if m in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"

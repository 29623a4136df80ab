"""``TracingHook``: OpenTelemetry spans for runs, model calls and tool calls (GenAI conventions).

Spans follow the OpenTelemetry semantic conventions for generative AI
(development status; checked against semantic-conventions v1.41):

- a run: ``invoke_agent {agent}`` (kind INTERNAL), ``gen_ai.operation.name = invoke_agent``,
  ``gen_ai.agent.name``, ``gen_ai.conversation.id`` (the run id), ``gen_ai.provider.name``,
  ``gen_ai.request.model``, and the run's usage;
- a model call: ``chat {model}`` (kind CLIENT), ``gen_ai.operation.name = chat``,
  ``gen_ai.provider.name``, ``gen_ai.request.model`` and the request settings
  (``temperature``, ``top_p``, ``max_tokens``, ``seed``, ``stop_sequences``),
  ``gen_ai.response.model``, ``gen_ai.response.id``, ``gen_ai.response.finish_reasons``,
  ``gen_ai.usage.input_tokens`` / ``output_tokens`` / ``cache_read.input_tokens`` /
  ``cache_creation.input_tokens``;
- a tool call: ``execute_tool {tool}`` (kind INTERNAL), ``gen_ai.tool.name``,
  ``gen_ai.tool.call.id``, ``gen_ai.tool.type = function``.

A failure sets the span status to ERROR and ``error.type`` to the exception's
class name. Message contents are not recorded unless ``capture_content=True``
(``gen_ai.input.messages`` / ``gen_ai.output.messages``, secrets redacted).

``opentelemetry-api`` is the optional ``otel`` extra
(``pip install 'llmkit[otel]'``). Without it this hook does nothing. With it,
spans go to the tracer provider the program configured; nothing is exported
unless the program sets up an exporter (the API alone records nothing).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from llmkit._hooks.base import Hook, HookContext
from llmkit._redact import redact
from llmkit.types import Request, Response, ToolCall, ToolResult

if TYPE_CHECKING:
    from llmkit.providers.base import Model
    from llmkit.run import RunResult

__all__ = ["TracingHook", "provider_name"]

_log = logging.getLogger("llmkit.hooks")

# llmkit provider names that the conventions spell differently.
_PROVIDERS = {"gemini": "gcp.gemini", "mistral": "mistral_ai", "azure": "azure.ai.openai"}


def provider_name(model: Model | None) -> str:
    """The ``gen_ai.provider.name`` of a model."""
    if model is None:
        return "_OTHER"
    return _PROVIDERS.get(model.provider, model.provider)


class TracingHook(Hook):
    """Trace runs, model calls and tool calls with OpenTelemetry, as GenAI spans.

    Args:
        tracer: An OpenTelemetry ``Tracer`` (default: ``trace.get_tracer("llmkit")``
            from the global tracer provider).
        capture_content: Record the messages sent and received on the spans.
    """

    priority = 100

    def __init__(self, tracer: Any = None, *, capture_content: bool = False) -> None:
        self.capture_content = capture_content
        self._trace: Any = None
        self.tracer: Any = None
        try:
            from opentelemetry import trace
        except ImportError:
            _log.info(
                "TracingHook does nothing: opentelemetry-api is not installed "
                "(pip install 'llmkit[otel]')."
            )
            return
        from llmkit._version import __version__

        self._trace = trace
        self.tracer = tracer if tracer is not None else trace.get_tracer("llmkit", __version__)

    @property
    def enabled(self) -> bool:
        """Whether OpenTelemetry is installed, so spans are made."""
        return self.tracer is not None

    def _start(self, ctx: HookContext, name: str, kind: str, attributes: dict[str, Any]) -> None:
        trace = self._trace
        parent = ctx.parent.state.get(self) if ctx.parent is not None else None
        context = trace.set_span_in_context(parent) if parent is not None else None
        span = self.tracer.start_span(
            name,
            context=context,
            kind=getattr(trace.SpanKind, kind),
            attributes={k: v for k, v in attributes.items() if v is not None},
        )
        ctx.state[self] = span

    def _end(self, ctx: HookContext, attributes: dict[str, Any]) -> None:
        span = ctx.state.pop(self, None)
        if span is None:
            return
        for key, value in attributes.items():
            if value is not None:
                span.set_attribute(key, value)
        span.end()

    # -------------------------------------------------------------------- runs

    def before_run(self, ctx: HookContext) -> None:
        """Start the ``invoke_agent`` span."""
        if self.tracer is None:
            return
        model = ctx.model
        attributes = {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": ctx.run.agent or None,
            "gen_ai.conversation.id": ctx.run_id or None,
            "gen_ai.provider.name": provider_name(model),
            "gen_ai.request.model": model.model_id if model is not None else None,
        }
        if self.capture_content:
            attributes["gen_ai.input.messages"] = _messages(ctx.input)
        self._start(ctx, f"invoke_agent {ctx.run.agent}".rstrip(), "INTERNAL", attributes)

    def after_run(self, ctx: HookContext, result: RunResult[Any]) -> None:
        """End the run's span with its usage."""
        if self.tracer is None:
            return
        usage = result.usage
        attributes: dict[str, Any] = {
            "gen_ai.usage.input_tokens": usage.input_tokens,
            "gen_ai.usage.output_tokens": usage.output_tokens,
        }
        if self.capture_content and isinstance(result.output, str):
            attributes["gen_ai.output.messages"] = redact(
                json.dumps(
                    [{"role": "assistant", "parts": [{"type": "text", "content": result.output}]}]
                )
            )
        self._end(ctx, attributes)

    # ------------------------------------------------------------- model calls

    def before_model(self, ctx: HookContext, request: Request) -> None:
        """Start the ``chat`` span with the request settings."""
        if self.tracer is None:
            return
        model = ctx.model
        model_id = model.model_id if model is not None else None
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": provider_name(model),
            "gen_ai.request.model": model_id,
            "gen_ai.request.temperature": request.temperature,
            "gen_ai.request.top_p": request.top_p,
            "gen_ai.request.max_tokens": request.max_tokens,
            "gen_ai.request.seed": request.seed,
            "gen_ai.request.stop_sequences": request.stop,
            "gen_ai.conversation.id": ctx.run_id or None,
        }
        if self.capture_content:
            attributes["gen_ai.input.messages"] = _messages(request.messages)
        self._start(ctx, f"chat {model_id}" if model_id else "chat", "CLIENT", attributes)

    def after_model(self, ctx: HookContext, request: Request, response: Response) -> None:
        """End the ``chat`` span with the response model, finish reason and usage."""
        if self.tracer is None:
            return
        usage = response.usage
        attributes: dict[str, Any] = {
            "gen_ai.response.model": response.model,
            "gen_ai.response.id": response.request_id,
            "gen_ai.response.finish_reasons": [response.finish_reason],
            "gen_ai.usage.input_tokens": usage.input_tokens,
            "gen_ai.usage.output_tokens": usage.output_tokens,
            "gen_ai.usage.cache_read.input_tokens": usage.cache_read_tokens or None,
            "gen_ai.usage.cache_creation.input_tokens": usage.cache_write_tokens or None,
            "llmkit.served_by": ctx.served_by,
        }
        if self.capture_content:
            attributes["gen_ai.output.messages"] = _messages([response.message])
        self._end(ctx, attributes)

    # -------------------------------------------------------------- tool calls

    def before_tool(self, ctx: HookContext, call: ToolCall) -> None:
        """Start the ``execute_tool`` span."""
        if self.tracer is None:
            return
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": call.name,
            "gen_ai.tool.call.id": call.id,
            "gen_ai.tool.type": "function",
        }
        if self.capture_content:
            attributes["gen_ai.tool.call.arguments"] = redact(
                json.dumps(call.arguments, default=str)
            )
        self._start(ctx, f"execute_tool {call.name}", "INTERNAL", attributes)

    def after_tool(self, ctx: HookContext, call: ToolCall, result: ToolResult) -> None:
        """End the ``execute_tool`` span (an error result sets ``error.type``)."""
        if self.tracer is None:
            return
        span = ctx.state.get(self)
        if span is not None and result.is_error:
            span.set_status(self._trace.Status(self._trace.StatusCode.ERROR, result.text[:200]))
            span.set_attribute("error.type", "tool_error")
        attributes: dict[str, Any] = {}
        if self.capture_content:
            attributes["gen_ai.tool.call.result"] = redact(result.text)
        self._end(ctx, attributes)

    # ------------------------------------------------------------------ errors

    def on_error(self, ctx: HookContext, error: BaseException) -> None:
        """End the failed call's span with status ERROR and ``error.type``."""
        if self.tracer is None:
            return
        span = ctx.state.get(self)
        if span is None:
            return
        span.set_status(self._trace.Status(self._trace.StatusCode.ERROR, redact(str(error))[:200]))
        span.set_attribute("error.type", type(error).__name__)
        if isinstance(error, Exception):
            span.record_exception(error)
        self._end(ctx, {})


def _messages(messages: Any) -> str:
    """Messages in the conventions' JSON shape: ``[{"role", "parts": [{"type", "content"}]}]``."""
    out = []
    for message in messages:
        parts = []
        for part in message.parts:
            data = part.to_dict()
            kind = data.pop("type", "")
            if kind == "text":
                parts.append({"type": "text", "content": data.get("text", "")})
            elif kind == "tool_call":
                parts.append(
                    {"type": "tool_call", "id": data["id"], "name": data["name"],
                     "arguments": data.get("arguments")}
                )  # fmt: skip
            elif kind == "tool_result":
                parts.append(
                    {
                        "type": "tool_call_response",
                        "id": data["call_id"],
                        "response": data.get("content"),
                    }
                )
            else:
                parts.append({"type": kind})
        out.append({"role": message.role, "parts": parts})
    return redact(json.dumps(out, ensure_ascii=False, default=str))

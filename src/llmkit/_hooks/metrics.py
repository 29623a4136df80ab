"""``MetricsHook``: counters and latency histograms per model and per tool.

Read them as a dict (:meth:`MetricsHook.snapshot`) or as Prometheus text
(:meth:`MetricsHook.prometheus`, to serve on a ``/metrics`` endpoint).
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass, field
from typing import Any

from llmkit._hooks.base import Hook, HookContext
from llmkit.types import Request, Response, ToolCall, ToolResult

__all__ = ["DEFAULT_BUCKETS", "Histogram", "MetricsHook"]

DEFAULT_BUCKETS: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
)  # fmt: skip
"""Latency bucket bounds in seconds (Prometheus' defaults, plus 30 s and 60 s for slow models)."""


@dataclass(slots=True)
class Histogram:
    """Observations counted into buckets (cumulative on output, as Prometheus wants)."""

    bounds: tuple[float, ...]
    counts: list[int] = field(default_factory=list)
    total: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        self.counts = [0] * (len(self.bounds) + 1)

    def observe(self, value: float) -> None:
        """Count one observation."""
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.total += value
        self.count += 1

    def to_dict(self) -> dict[str, Any]:
        """Cumulative counts per upper bound (``"+Inf"`` last), the sum and the count."""
        buckets: dict[str, int] = {}
        running = 0
        for bound, n in zip((*self.bounds, float("inf")), self.counts, strict=True):
            running += n
            buckets["+Inf" if bound == float("inf") else repr(bound)] = running
        return {"buckets": buckets, "sum": self.total, "count": self.count}


@dataclass(slots=True)
class _ModelStats:
    requests: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    served_by_hooks: int = 0
    latency: Histogram = field(default_factory=lambda: Histogram(DEFAULT_BUCKETS))


@dataclass(slots=True)
class _ToolStats:
    calls: int = 0
    errors: int = 0
    latency: Histogram = field(default_factory=lambda: Histogram(DEFAULT_BUCKETS))


class MetricsHook(Hook):
    """Count requests, tokens, cost, latency and errors per model, and calls per tool.

    One instance may serve many agents and runs at once (updates take a lock).
    Model names are the model strings (``"openai/gpt-4.1-mini"``).
    """

    priority = 100

    def __init__(self, *, buckets: tuple[float, ...] = DEFAULT_BUCKETS) -> None:
        self.buckets = tuple(sorted(buckets))
        self._models: dict[str, _ModelStats] = {}
        self._tools: dict[str, _ToolStats] = {}
        self._lock = threading.Lock()

    def _model(self, ctx: HookContext) -> _ModelStats:
        name = ctx.model.name if ctx.model is not None else "unknown"
        stats = self._models.get(name)
        if stats is None:
            stats = self._models[name] = _ModelStats(latency=Histogram(self.buckets))
        return stats

    def _tool(self, name: str) -> _ToolStats:
        stats = self._tools.get(name)
        if stats is None:
            stats = self._tools[name] = _ToolStats(latency=Histogram(self.buckets))
        return stats

    def after_model(self, ctx: HookContext, request: Request, response: Response) -> None:
        """Count the call, its tokens, cost and latency."""
        usage = response.usage
        elapsed = ctx.elapsed
        with self._lock:
            stats = self._model(ctx)
            stats.requests += 1
            stats.input_tokens += usage.input_tokens
            stats.output_tokens += usage.output_tokens
            if usage.cost is not None:
                stats.cost += usage.cost
            if ctx.served_by is not None:
                stats.served_by_hooks += 1
            stats.latency.observe(elapsed)

    def after_tool(self, ctx: HookContext, call: ToolCall, result: ToolResult) -> None:
        """Count the call, whether it failed, and its latency."""
        elapsed = ctx.elapsed
        with self._lock:
            stats = self._tool(call.name)
            stats.calls += 1
            if result.is_error:
                stats.errors += 1
            stats.latency.observe(elapsed)

    def on_error(self, ctx: HookContext, error: BaseException) -> None:
        """Count a failed model or tool call by error type (runs, workflows and steps are not calls)."""
        if ctx.kind != "model" and ctx.kind != "tool":
            return
        kind = type(error).__name__
        elapsed = ctx.elapsed
        with self._lock:
            if ctx.kind == "tool" and ctx.tool_call is not None:
                tool = self._tool(ctx.tool_call.name)
                tool.calls += 1
                tool.errors += 1
                tool.latency.observe(elapsed)
            else:
                stats = self._model(ctx)
                stats.requests += 1
                stats.errors[kind] = stats.errors.get(kind, 0) + 1
                stats.latency.observe(elapsed)

    def reset(self) -> None:
        """Forget everything counted so far."""
        with self._lock:
            self._models.clear()
            self._tools.clear()

    def snapshot(self) -> dict[str, Any]:
        """Everything counted so far, as plain data::

        {"models": {"openai/gpt-4.1-mini": {"requests": 2, "errors": {}, "input_tokens": ...,
                    "output_tokens": ..., "cost": ..., "served_by_hooks": 0, "latency": {...}}},
         "tools": {"get_weather": {"calls": 1, "errors": 0, "latency": {...}}}}
        """
        with self._lock:
            models = {
                name: {
                    "requests": s.requests,
                    "errors": dict(s.errors),
                    "input_tokens": s.input_tokens,
                    "output_tokens": s.output_tokens,
                    "cost": s.cost,
                    "served_by_hooks": s.served_by_hooks,
                    "latency": s.latency.to_dict(),
                }
                for name, s in sorted(self._models.items())
            }
            tools = {
                name: {"calls": s.calls, "errors": s.errors, "latency": s.latency.to_dict()}
                for name, s in sorted(self._tools.items())
            }
        return {"models": models, "tools": tools}

    def prometheus(self, *, prefix: str = "llmkit") -> str:
        """The metrics in Prometheus' text exposition format (version 0.0.4)."""
        data = self.snapshot()
        out: list[str] = []

        def family(name: str, kind: str, help_text: str) -> str:
            full = f"{prefix}_{name}"
            out.append(f"# HELP {full} {help_text}")
            out.append(f"# TYPE {full} {kind}")
            return full

        models, tools = data["models"], data["tools"]
        name = family("model_requests_total", "counter", "Model calls, failed ones included.")
        out.extend(f'{name}{{model="{_esc(m)}"}} {s["requests"]}' for m, s in models.items())
        name = family("model_errors_total", "counter", "Failed model calls by error type.")
        for m, s in models.items():
            out.extend(
                f'{name}{{model="{_esc(m)}",error="{_esc(e)}"}} {n}' for e, n in s["errors"].items()
            )
        name = family("model_tokens_total", "counter", "Tokens by direction.")
        for m, s in models.items():
            out.append(f'{name}{{model="{_esc(m)}",direction="input"}} {s["input_tokens"]}')
            out.append(f'{name}{{model="{_esc(m)}",direction="output"}} {s["output_tokens"]}')
        name = family("model_cost_usd_total", "counter", "Cost in US dollars (known prices only).")
        out.extend(f'{name}{{model="{_esc(m)}"}} {s["cost"]!r}' for m, s in models.items())
        name = family(
            "model_served_by_hooks_total", "counter", "Model calls answered by a hook (cache hits)."
        )
        out.extend(f'{name}{{model="{_esc(m)}"}} {s["served_by_hooks"]}' for m, s in models.items())
        name = family("model_latency_seconds", "histogram", "Model call latency.")
        for m, s in models.items():
            _histogram(out, name, f'model="{_esc(m)}"', s["latency"])
        name = family("tool_calls_total", "counter", "Tool calls.")
        out.extend(f'{name}{{tool="{_esc(t)}"}} {s["calls"]}' for t, s in tools.items())
        name = family("tool_errors_total", "counter", "Tool calls that failed.")
        out.extend(f'{name}{{tool="{_esc(t)}"}} {s["errors"]}' for t, s in tools.items())
        name = family("tool_latency_seconds", "histogram", "Tool call latency.")
        for t, s in tools.items():
            _histogram(out, name, f'tool="{_esc(t)}"', s["latency"])
        return "\n".join(out) + "\n"


def _histogram(out: list[str], name: str, labels: str, data: dict[str, Any]) -> None:
    for bound, count in data["buckets"].items():
        out.append(f'{name}_bucket{{{labels},le="{bound}"}} {count}')
    out.append(f"{name}_sum{{{labels}}} {data['sum']!r}")
    out.append(f"{name}_count{{{labels}}} {data['count']}")


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

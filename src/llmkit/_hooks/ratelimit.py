"""``RateLimit``: token buckets on requests and tokens per minute, per model; calls wait their turn.

Before a call, its tokens are estimated (about four characters per token of
the request's JSON, plus ``max_tokens`` or ``output_estimate`` for the
answer) and taken from the bucket; after it, the estimate is corrected with
the usage the provider reported. A call that would overdraw a bucket waits
(``asyncio.sleep``) until it has refilled; waiters are served in order. A
single call larger than a whole bucket waits for a full bucket, then goes.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from llmkit._hooks.base import Hook, HookContext
from llmkit.errors import UsageError
from llmkit.types import Request, Response

__all__ = ["RateLimit", "estimate_tokens"]


def estimate_tokens(request: Request, *, output_estimate: int = 256) -> int:
    """A rough token count for ``request`` and its answer (no tokenizer: about 4 characters a token)."""
    size = len(json.dumps([m.to_dict() for m in request.messages], ensure_ascii=False))
    size += sum(len(json.dumps(t.parameters)) + len(t.description) for t in request.tools)
    answer = request.max_tokens if request.max_tokens is not None else output_estimate
    return size // 4 + 1 + answer


@dataclass(slots=True)
class _Bucket:
    capacity: float
    rate: float
    """Refill per second."""
    level: float
    updated: float

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
        self.updated = now

    def wait_for(self, amount: float) -> float:
        """Seconds until ``amount`` (capped at the capacity) is available."""
        # A call larger than the bucket waits for what a full bucket lacks, then goes.
        missing = min(amount, self.capacity) - self.level
        return 0.0 if missing <= 0 else missing / self.rate


@dataclass(slots=True)
class _Limits:
    requests: _Bucket | None
    tokens: _Bucket | None


class RateLimit(Hook):
    """Keep model calls under ``rpm`` requests and ``tpm`` tokens per minute, per model.

    Args:
        rpm: Requests per minute (None: no limit on requests).
        tpm: Tokens per minute, input plus output (None: no limit on tokens).
        burst: How many requests may go at once from a full bucket (default:
            ``rpm``, a minute's worth); the token bucket holds ``tpm`` likewise.
        per_model: One pair of buckets per model (default), or one for all.
        output_estimate: Tokens counted for the answer when a request sets no ``max_tokens``.
        clock, sleep: The time source and the way to wait (for tests; default
            ``time.monotonic`` and ``asyncio.sleep``).
    """

    priority = -50

    def __init__(
        self,
        *,
        rpm: float | None = None,
        tpm: float | None = None,
        burst: float | None = None,
        per_model: bool = True,
        output_estimate: int = 256,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        if rpm is None and tpm is None:
            raise UsageError("RateLimit needs rpm=..., tpm=..., or both.")
        for option, value in (("rpm", rpm), ("tpm", tpm), ("burst", burst)):
            if value is not None and value <= 0:
                raise UsageError(f"RateLimit({option}=...) must be positive, got {value!r}.")
        self.rpm = rpm
        self.tpm = tpm
        self.burst = burst
        self.per_model = per_model
        self.output_estimate = output_estimate
        self.waited = 0.0
        """Total seconds calls spent waiting for the limit."""
        self._clock = clock
        self._sleep = sleep
        self._limits: dict[str, _Limits] = {}

    def _for(self, ctx: HookContext) -> _Limits:
        key = ctx.model.name if self.per_model and ctx.model is not None else ""
        limits = self._limits.get(key)
        if limits is None:
            now = self._clock()
            requests = tokens = None
            if self.rpm is not None:
                size = self.burst if self.burst is not None else self.rpm
                requests = _Bucket(size, self.rpm / 60, size, now)
            if self.tpm is not None:
                tokens = _Bucket(self.tpm, self.tpm / 60, self.tpm, now)
            limits = self._limits[key] = _Limits(requests, tokens)
        return limits

    async def before_model(self, ctx: HookContext, request: Request) -> None:
        """Take the call's share of the limits now, then wait until it was available."""
        limits = self._for(ctx)
        estimate = estimate_tokens(request, output_estimate=self.output_estimate)
        now = self._clock()
        delay = 0.0
        # Reserving before waiting keeps callers in order without a lock (a lock is tied
        # to one event loop, and one hook may serve several).
        for bucket, amount in ((limits.requests, 1.0), (limits.tokens, float(estimate))):
            if bucket is not None:
                bucket.refill(now)
                delay = max(delay, bucket.wait_for(amount))
                bucket.level -= amount
        ctx.state[self] = estimate
        if delay > 0:
            self.waited += delay
            await self._sleep(delay)

    def after_model(self, ctx: HookContext, request: Request, response: Response) -> None:
        """Correct the token estimate with the usage the provider reported."""
        estimate = ctx.state.get(self)
        limits = self._for(ctx)
        if estimate is not None and limits.tokens is not None and response.usage.requests:
            limits.tokens.level += estimate - response.usage.total_tokens

    def on_error(self, ctx: HookContext, error: BaseException) -> None:
        """Give back the tokens of a call that failed (its request still counts)."""
        estimate = ctx.state.get(self)
        if estimate is not None and ctx.kind == "model":
            limits = self._for(ctx)
            if limits.tokens is not None:
                limits.tokens.level = min(limits.tokens.capacity, limits.tokens.level + estimate)

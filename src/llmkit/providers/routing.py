"""Models made of models: fallback, race and consensus.

Each returns a :class:`~llmkit.providers.base.Model`, so anything that takes
a model (an agent, a workflow step, a hook wrapper) takes these too::

    model = llmkit.fallback("anthropic/claude-sonnet-4-5", "openai/gpt-4.1")
    model = llmkit.race("openai/gpt-4.1-mini", "gemini/gemini-2.5-flash")
    model = llmkit.consensus("m1", "m2", "m3", strategy="majority")
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any, Literal, TypeVar

from llmkit.errors import AllModelsFailedError, ProviderError, ProviderTimeoutError, UsageError
from llmkit.events import StreamEvent
from llmkit.providers._registry import model as resolve
from llmkit.providers.base import Capabilities, Model, check_request
from llmkit.types import Embeddings, Request, Response, Usage

__all__ = ["ConsensusModel", "FallbackModel", "RaceModel", "consensus", "fallback", "race"]

FallbackPredicate = Callable[[BaseException], bool]
T = TypeVar("T")


def default_should_fallback(error: BaseException) -> bool:
    """Move on after failures that another model may not have: retryable ones and timeouts."""
    return isinstance(error, ProviderError) and (
        error.retryable or isinstance(error, ProviderTimeoutError)
    )


def _combined(models: Sequence[Model]) -> Capabilities:
    """What every one of ``models`` accepts (a feature counts only if all have it)."""
    first = models[0].capabilities
    contexts = [m.capabilities.max_context for m in models]
    shared: dict[str, Any] = {
        name: all(getattr(m.capabilities, name) for m in models)
        for name in (
            "tools",
            "parallel_tool_calls",
            "images",
            "documents",
            "audio",
            "structured_output",
            "reasoning",
            "sampling",
            "embeddings",
        )
    }
    shared["max_context"] = None if None in contexts else min(c for c in contexts if c is not None)
    # One way of asking for structured output must suit every member: the prompt always does.
    modes = {m.capabilities.output_mode for m in models}
    shared["output_mode"] = modes.pop() if len(modes) == 1 else "prompted"
    return replace(first, **shared)


class _Composite(Model):
    """Shared set-up: resolve the member models and name the composite after them."""

    kind = "composite"

    def __init__(self, *models: str | Model) -> None:
        if len(models) < 2:
            raise UsageError(f"{self.kind}() needs at least two models, got {len(models)}.")
        self.models = [resolve(m) for m in models]
        self.provider = self.kind
        self.model_id = ",".join(m.name for m in self.models)
        self.capabilities = _combined(self.models)

    @property
    def name(self) -> str:
        """``kind(member, member, …)``."""
        return f"{self.kind}({', '.join(m.name for m in self.models)})"


class FallbackModel(_Composite):
    """Tries its models in order; moves to the next when a call fails in a way another may not.

    By default that is a retryable failure (rate limit, overload, server error,
    dropped connection) or a timeout, after the model's own retries. Other
    failures (a bad request, a wrong key) are raised at once. When every model
    fails, :class:`~llmkit.errors.AllModelsFailedError` carries each failure.
    A stream commits to a model once its first event arrived.
    """

    kind = "fallback"

    def __init__(
        self, *models: str | Model, should_fallback: FallbackPredicate = default_should_fallback
    ) -> None:
        super().__init__(*models)
        self.should_fallback = should_fallback

    def _failed(self, errors: list[tuple[str, BaseException]]) -> AllModelsFailedError:
        tried = "; ".join(f"{name}: {type(e).__name__}: {e}" for name, e in errors)
        return AllModelsFailedError(
            f"All {len(errors)} models of the fallback failed ({tried}).", errors
        )

    async def generate(self, request: Request) -> Response:
        """The first model's answer that does not fail."""
        check_request(request, "generate")
        errors: list[tuple[str, BaseException]] = []
        for model in self.models:
            try:
                return await model.generate(request)
            except Exception as exc:
                if not self.should_fallback(exc):
                    raise
                errors.append((model.name, exc))
        raise self._failed(errors)

    async def stream(self, request: Request) -> AsyncGenerator[StreamEvent, None]:
        """The first model's stream that produces an event; later failures are raised as they are."""
        check_request(request, "stream")
        errors: list[tuple[str, BaseException]] = []
        for model in self.models:
            events = model.stream(request)
            try:
                first = await anext(events)
            except StopAsyncIteration:
                return
            except Exception as exc:
                await _close(events)
                if not self.should_fallback(exc):
                    raise
                errors.append((model.name, exc))
                continue
            yield first
            async for event in events:
                yield event
            return
        raise self._failed(errors)

    async def embed(self, inputs: Sequence[str], *, dimensions: int | None = None) -> Embeddings:
        """The first model's embeddings that do not fail."""
        errors: list[tuple[str, BaseException]] = []
        for model in self.models:
            try:
                return await model.embed(inputs, dimensions=dimensions)
            except Exception as exc:
                if not self.should_fallback(exc):
                    raise
                errors.append((model.name, exc))
        raise self._failed(errors)


class RaceModel(_Composite):
    """Asks all its models at once; the first good answer wins and the other calls are cancelled.

    Usage is the winner's (cancelled calls report none). A stream commits to
    the model whose first event arrives first.
    """

    kind = "race"

    async def _first_success(self, call: Callable[[Model], Awaitable[T]]) -> T:
        tasks = {asyncio.ensure_future(call(m)): m for m in self.models}
        errors: list[tuple[str, BaseException]] = []
        try:
            pending = set(tasks)
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    exc = task.exception()
                    if exc is None:
                        return task.result()
                    errors.append((tasks[task].name, exc))
        finally:
            await _cancel(tasks)
        raise AllModelsFailedError(f"All {len(errors)} models of the race failed.", errors)

    async def generate(self, request: Request) -> Response:
        """The first successful answer among the models."""
        check_request(request, "generate")
        return await self._first_success(lambda m: m.generate(request))

    async def stream(self, request: Request) -> AsyncGenerator[StreamEvent, None]:
        """The stream of the model whose first event arrives first."""
        check_request(request, "stream")
        streams = {m.name: m.stream(request) for m in self.models}
        tasks = {asyncio.ensure_future(anext(s)): name for name, s in streams.items()}
        errors: list[tuple[str, BaseException]] = []
        winner: str | None = None
        first: StreamEvent | None = None
        try:
            pending = set(tasks)
            while pending and winner is None:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    exc = task.exception()
                    if exc is None and winner is None:
                        winner, first = tasks[task], task.result()
                    elif exc is not None and not isinstance(exc, StopAsyncIteration):
                        errors.append((tasks[task], exc))
        finally:
            await _cancel(tasks)
            for name, events in streams.items():
                if name != winner:
                    await _close(events)
        if winner is None or first is None:
            raise AllModelsFailedError(f"All {len(errors)} models of the race failed.", errors)
        yield first
        async for event in streams[winner]:
            yield event

    async def embed(self, inputs: Sequence[str], *, dimensions: int | None = None) -> Embeddings:
        """Embeddings from the first model that answers."""
        return await self._first_success(lambda m: m.embed(inputs, dimensions=dimensions))


Strategy = Literal["majority", "weighted"]


class ConsensusModel(_Composite):
    """Asks all its models and answers with what most of them said.

    Votes are on the tool calls when answers call tools (the set of calls:
    names and arguments), on the parsed JSON when answers are JSON (structured
    output), else on the text with case and surrounding space ignored.
    ``strategy="weighted"`` counts each model's vote with its weight. Ties go
    to the earliest model in the list. Usage sums every call; the chosen
    answer's ``provider_data["consensus"]`` says how the vote went. Failed
    calls do not vote; when all fail, :class:`~llmkit.errors.AllModelsFailedError`.
    It does not stream: ``stream`` delivers the decided answer in one burst.
    """

    kind = "consensus"

    def __init__(
        self,
        *models: str | Model,
        strategy: Strategy = "majority",
        weights: Sequence[float] | None = None,
    ) -> None:
        super().__init__(*models)
        if strategy not in ("majority", "weighted"):
            raise UsageError(
                f"Unknown consensus strategy {strategy!r}; use 'majority' or 'weighted'."
            )
        if strategy == "weighted":
            if weights is None or len(weights) != len(self.models):
                raise UsageError("strategy='weighted' needs weights=[...], one number per model.")
        elif weights is not None:
            raise UsageError("weights= is used only with strategy='weighted'.")
        self.strategy = strategy
        self.weights = list(weights) if weights is not None else [1.0] * len(self.models)

    async def generate(self, request: Request) -> Response:
        """The answer most models agree on."""
        check_request(request, "generate")
        results = await asyncio.gather(
            *(m.generate(request) for m in self.models), return_exceptions=True
        )
        errors = [
            (m.name, r)
            for m, r in zip(self.models, results, strict=True)
            if isinstance(r, BaseException)
        ]
        answers = [(i, r) for i, r in enumerate(results) if isinstance(r, Response)]
        if not answers:
            raise AllModelsFailedError(f"All {len(errors)} models of the consensus failed.", errors)
        tally: dict[str, float] = {}
        first_index: dict[str, int] = {}
        for index, response in answers:
            key = vote_key(response)
            tally[key] = tally.get(key, 0.0) + self.weights[index]
            first_index.setdefault(key, index)
        winner_key = max(tally, key=lambda k: (tally[k], -first_index[k]))
        chosen = next(r for i, r in answers if i == first_index[winner_key])
        total = Usage.sum(r.usage for _, r in answers)
        return replace(
            chosen,
            usage=total,
            provider_data={
                **(chosen.provider_data or {}),
                "consensus": {
                    "votes": tally[winner_key],
                    "total": sum(self.weights[i] for i, _ in answers),
                    "answers": len(answers),
                    "failed": [name for name, _ in errors],
                    "model": self.models[first_index[winner_key]].name,
                },
            },
        )


def vote_key(response: Response) -> str:
    """What a consensus vote compares: the set of tool calls, the JSON value, or the text."""
    calls = response.tool_calls
    if calls:
        keys = sorted(json.dumps([c.name, c.arguments], sort_keys=True) for c in calls)
        return "calls:" + "|".join(keys)
    text = response.text.strip()
    try:
        value: Any = json.loads(text)
    except ValueError:
        return "text:" + " ".join(text.split()).casefold()
    return "json:" + json.dumps(value, sort_keys=True)


async def _cancel(tasks: Iterable[asyncio.Future[Any]]) -> None:
    tasks = list(tasks)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _close(events: AsyncIterator[Any]) -> None:
    aclose = getattr(events, "aclose", None)
    if aclose is not None:
        # Closing a failed stream must not hide the error that made us close it.
        with contextlib.suppress(Exception):
            await aclose()


def fallback(
    *models: str | Model, should_fallback: FallbackPredicate = default_should_fallback
) -> FallbackModel:
    """A model that tries ``models`` in order (see :class:`FallbackModel`)."""
    return FallbackModel(*models, should_fallback=should_fallback)


def race(*models: str | Model) -> RaceModel:
    """A model that asks all ``models`` at once and takes the first good answer (see :class:`RaceModel`)."""
    return RaceModel(*models)


def consensus(
    *models: str | Model, strategy: Strategy = "majority", weights: Sequence[float] | None = None
) -> ConsensusModel:
    """A model that answers with what most ``models`` say (see :class:`ConsensusModel`)."""
    return ConsensusModel(*models, strategy=strategy, weights=weights)

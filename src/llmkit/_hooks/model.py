"""``with_hooks(model, hooks)``: a :class:`HookedModel`, a model whose calls go through hooks."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Sequence
from typing import Any

from llmkit._hooks.base import HookContext
from llmkit._hooks.chain import HookChain
from llmkit.context import RunContext
from llmkit.errors import HookError
from llmkit.events import StreamEvent
from llmkit.providers.base import Model, check_request
from llmkit.types import Embeddings, Request, Response, Usage

__all__ = ["HookedModel", "with_hooks"]


class HookedModel(Model):
    """A model with hooks around ``generate`` and ``stream`` (and so their sync twins).

    Its ``name``, ``provider``, ``model_id`` and ``capabilities`` are the
    wrapped model's, so an agent treats it like the model itself. ``embed``
    is passed through.
    """

    def __init__(self, model: Model, hooks: Sequence[object]) -> None:
        self.model = model
        """The wrapped model."""
        self.hooks: tuple[object, ...] = tuple(hooks)
        self.provider = model.provider
        self.model_id = model.model_id
        self.capabilities = model.capabilities
        self._chain = HookChain(self.hooks)

    @classmethod
    def wrap(cls, model: Model | str, hooks: Sequence[object]) -> HookedModel:
        """``model`` with ``hooks``; a model already wrapped keeps its hooks and gains these."""
        if isinstance(model, str):
            from llmkit.providers import model as make_model

            model = make_model(model)
        if isinstance(model, HookedModel):
            return cls(model.model, (*model.hooks, *hooks))
        return cls(model, hooks)

    def _context(self, request: Request) -> HookContext:
        run: RunContext[Any] = RunContext(None, "", "", self.model, request.messages)
        return HookContext("model", run, self.model, started=time.perf_counter())

    async def generate(self, request: Request) -> Response:
        """The wrapped model's ``generate``, with the hooks around it."""
        check_request(request, "generate")
        try:
            return await self._chain.generate(self._context(request), self.model, request)
        except HookError as exc:
            _keep_request(exc, request)
            raise

    async def stream(self, request: Request) -> AsyncGenerator[StreamEvent, None]:
        """The wrapped model's ``stream``, with the hooks around it."""
        check_request(request, "stream")
        events = self._chain.stream(self._context(request), self.model, request)
        try:
            async for event in events:
                yield event
        except HookError as exc:
            _keep_request(exc, request)
            raise
        finally:
            await events.aclose()

    async def embed(self, inputs: Sequence[str], *, dimensions: int | None = None) -> Embeddings:
        """The wrapped model's ``embed`` (hooks do not apply)."""
        return await self.model.embed(inputs, dimensions=dimensions)

    def __repr__(self) -> str:
        names = ", ".join(type(h).__name__ for h in self._chain.hooks)
        return f"<HookedModel {self.name} hooks=[{names}]>"


def with_hooks(model: Model | str, hooks: Sequence[object]) -> HookedModel:
    """``model`` with ``hooks`` around its ``generate`` and ``stream`` calls (a :class:`~llmkit.Model`).

    ``embed`` goes to the model unchanged. Hooks of a model already wrapped
    are kept, and the new ones added::

        fast = with_hooks(llmkit.model("openai/gpt-4.1-mini"), [CacheHook("cache.db")])
        fast.generate_sync(request)     # the second identical request is served from the cache
    """
    return HookedModel.wrap(model, hooks)


def _keep_request(exc: HookError, request: Request) -> None:
    if not exc.messages:
        exc.messages = list(request.messages)
    if exc.usage is None:
        exc.usage = Usage()

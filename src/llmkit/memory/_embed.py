"""Embedders: what turns texts into vectors for a vector store.

- :class:`Embedder`: the base class (``name``, ``dimension``, ``batch_size``, ``embed``);
- :class:`ModelEmbedder`: any llmkit model's ``embed`` (``"openai/text-embedding-3-small"``,
  a Gemini or Ollama embedding model, a :class:`~llmkit.Model`);
- ``_embed_resolve``: what a store's ``embedder=`` takes made an :class:`Embedder`.

What always holds: ``embed`` returns one vector per text, in order, all of one size; the
provider splits a call into requests within its own limits (OpenAI 2048 inputs, Gemini 100),
so ``batch_size`` only sets how often a store reports progress. A model string is resolved at
the first call, not when the embedder is made.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING

from llmkit.errors import UsageError

if TYPE_CHECKING:
    from llmkit.providers.base import Model

__all__ = ["LOCAL_EMBEDDER_NAME", "Embedder", "ModelEmbedder"]

LOCAL_EMBEDDER_NAME = "local/all-MiniLM-L6-v2"
"""The name :func:`~llmkit.memory.local_embedder` records in a store."""


class Embedder(ABC):
    """Turns texts into vectors; subclass it to bring your own (implement :meth:`embed`).

    ``name`` is recorded in a store, which then refuses another embedder: vectors
    of two embedders are not comparable.
    """

    name: str = "custom"
    """Names the embedder (and so its vector space) in a store."""
    dimension: int | None = None
    """The size of its vectors, when known before the first call."""
    batch_size: int = 256
    """How many texts a store hands over per call (and reports progress after)."""

    @abstractmethod
    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class ModelEmbedder(Embedder):
    """The ``embed`` of an llmkit model: ``ModelEmbedder("openai/text-embedding-3-small")``.

    ``dimensions`` asks the provider for shorter vectors where it can (OpenAI's
    ``text-embedding-3-*``, Gemini); the name recorded in a store then carries it
    (``"openai/text-embedding-3-small@256"``).
    """

    def __init__(
        self,
        model: str | Model,
        *,
        dimensions: int | None = None,
        batch_size: int = 256,
    ) -> None:
        if dimensions is not None and (not isinstance(dimensions, int) or dimensions < 1):
            raise UsageError(f"dimensions= takes a positive int or None, got {dimensions!r}.")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise UsageError(f"batch_size= takes a positive int, got {batch_size!r}.")
        if not isinstance(model, str) and not hasattr(model, "embed"):
            raise UsageError(
                "ModelEmbedder takes a model string ('openai/text-embedding-3-small') or an "
                f"llmkit Model, got {type(model).__name__}."
            )
        self._spec = model
        self._model: Model | None = None if isinstance(model, str) else model
        base = model if isinstance(model, str) else model.name
        self.name = base if dimensions is None else f"{base}@{dimensions}"
        self.dimension = dimensions
        self.dimensions = dimensions
        self.batch_size = batch_size

    @property
    def model(self) -> Model:
        """The model (resolved from its string at first use)."""
        if self._model is None:
            from llmkit.providers import model as resolve

            assert isinstance(self._spec, str)
            self._model = resolve(self._spec)
        return self._model

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """The model's vectors for ``texts`` (the provider batches within its limits)."""
        if not texts:
            return []
        return list(await self.model.embed(list(texts), dimensions=self.dimensions))

"""What a store's ``embedder=`` takes, made an :class:`~llmkit.memory.Embedder`.

``as_embedder`` accepts a model string, an llmkit model or an embedder; ``embedder_named``
rebuilds the embedder a store recorded by name (``"local/all-MiniLM-L6-v2"``,
``"openai/text-embedding-3-small@256"``). Nothing is loaded or resolved here: a model string
is resolved at the first call, the local model's weights at its first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmkit.errors import UsageError
from llmkit.memory._embed import LOCAL_EMBEDDER_NAME, Embedder, ModelEmbedder
from llmkit.memory._local import local_embedder

if TYPE_CHECKING:
    from llmkit.providers.base import Model

__all__ = ["as_embedder", "embedder_named"]


def as_embedder(value: str | Model | Embedder) -> Embedder:
    """``value`` as an :class:`Embedder`: a model string or a model becomes a :class:`ModelEmbedder`."""
    if isinstance(value, Embedder):
        return value
    if isinstance(value, str):
        if value == LOCAL_EMBEDDER_NAME:
            return local_embedder()
        if "/" not in value:
            raise UsageError(
                f"embedder={value!r} is not a model string; pass 'provider/model' "
                "('openai/text-embedding-3-small'), llmkit.memory.local_embedder(), or an Embedder."
            )
        return ModelEmbedder(value)
    if hasattr(value, "embed") and hasattr(value, "name"):
        return ModelEmbedder(value)
    raise UsageError(
        "embedder= takes a model string ('openai/text-embedding-3-small'), an llmkit Model, "
        f"llmkit.memory.local_embedder() or an Embedder; got {type(value).__name__}."
    )


def embedder_named(name: str) -> Embedder:
    """The embedder a store recorded as ``name`` (``"model@256"`` asks for 256 dimensions)."""
    base, at, size = name.rpartition("@")
    if at and size.isdigit() and "/" in base:
        return ModelEmbedder(base, dimensions=int(size))
    return as_embedder(name)

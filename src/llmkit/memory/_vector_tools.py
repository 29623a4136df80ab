"""``remember`` and ``recall``: tools that let a model store texts in a vector store and search it.

``store.tools()`` returns them. ``remember(text, source?)`` adds one text (its ``source``
as metadata) and answers with its id; ``recall(query, k?)`` answers with the best passages,
each with its id, source and score, so the model can cite them. ``k`` is capped at 50.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from llmkit.memory._vector_hit import Hit

if TYPE_CHECKING:
    from llmkit.tools import Tool

__all__ = ["Memory", "memory_tools"]


class Memory(Protocol):
    """What the tools need of a store: ``add`` and ``search``."""

    async def add(
        self, texts: Sequence[str], *, metadata: Sequence[Mapping[str, Any]] | None = None
    ) -> list[str]:
        """Store texts; their ids."""

    async def search(self, query: str, *, k: int = 4) -> list[Hit]:
        """The best ``k`` hits."""


def memory_tools(store: Memory, *, k: int = 4) -> list[Tool[..., Any]]:
    """``remember`` and ``recall``: tools that let a model store texts in ``store`` and search it."""
    from llmkit.tools import tool

    async def remember(text: str, source: str | None = None) -> str:
        """Store a fact or note in long-term memory so it can be recalled later.

        Args:
            text: What to remember, as a self-contained sentence or paragraph.
            source: Where it comes from (a document, a URL, "user"), if known.
        """
        metadata = [{"source": source}] if source else None
        ids = await store.add([text], metadata=metadata)
        return f"Remembered as [{ids[0]}]."

    async def recall(query: str, k: int = k) -> str:
        """Search long-term memory for passages related to the query, best first.

        Args:
            query: What to look for, in plain words.
            k: How many passages to return at most.
        """
        hits = await store.search(query, k=max(1, min(int(k), 50)))
        if not hits:
            return "Nothing in memory matches."
        return "\n\n".join(
            f"[{h.id}]"
            + (f" (source: {h.source})" if h.source else "")
            + f" score {h.score:.2f}\n{h.text}"
            for h in hits
        )

    return [tool(remember), tool(recall)]

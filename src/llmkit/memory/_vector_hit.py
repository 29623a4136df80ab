"""``Hit``: one search result of a vector store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Hit"]


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result: the stored item and how close it is to the query."""

    id: str
    text: str
    score: float
    """Cosine similarity to the query, from -1 to 1 (higher is closer)."""
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def source(self) -> str | None:
        """The ``source`` field of the metadata, when it has one."""
        value = self.metadata.get("source")
        return None if value is None else str(value)

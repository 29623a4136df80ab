"""``Knowledge``: passages from a vector store join an agent's context before each model call.

::

    agent = Agent(model, knowledge=store, retrieve_k=4)   # or hooks=[Knowledge(store, k=4)]

What always holds:

- the query is the text of the latest user message of the request; the search runs once
  per run (its hits are kept in the run's hook state and reused by the run's later model
  calls, after tool calls); a plain model call (``with_hooks``) searches every time;
- the passages go in one system message placed right before that user message, each with
  its id and source, so the model can cite them; a search that finds nothing adds nothing;
- only the request sent to the model changes: the run's ``result.messages`` (and so a
  session's history) never hold the passages;
- priority 20: inside the observers (100) and guardrails (50), so they see the passages;
  outside the cache (0), so a cached answer is keyed on the passages it was given.

``store.tools()`` (``_vector_tools``) gives the model the choice instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Protocol

from llmkit._hooks.base import Hook, HookContext
from llmkit.errors import UsageError
from llmkit.memory._vector_hit import Hit
from llmkit.types import Message, Request

__all__ = ["Knowledge", "Searchable", "format_passages"]


class Searchable(Protocol):
    """What :class:`Knowledge` needs of a store: a search (every :class:`VectorStore` has it)."""

    async def search(
        self, query: str, *, k: int = 4, where: Mapping[str, Any] | None = None
    ) -> list[Hit]:
        """The ``k`` passages closest to ``query``, best first."""
        ...


_HEADER = (
    "Passages retrieved from the knowledge base for the user's next message. Use them when "
    "they help, and cite a passage by its id in square brackets, e.g. [{first}]."
)


def format_passages(hits: list[Hit]) -> str:
    """The text of the system message that carries ``hits``: a header, then one block each."""
    lines = [_HEADER.format(first=hits[0].id)]
    for hit in hits:
        source = f" (source: {hit.source})" if hit.source is not None else ""
        lines.append(f"\n[{hit.id}]{source}\n{hit.text}")
    return "\n".join(lines)


class Knowledge(Hook):
    """A hook that retrieves ``k`` passages for the latest user message (see the module doc).

    ``store`` is a :class:`VectorStore`, or any object whose
    ``async search(query, *, k, where)`` returns :class:`Hit` objects, best first.

    ``where`` filters the store's metadata as in :meth:`VectorStore.search`;
    ``min_score`` drops passages less similar than that (cosine, -1 to 1).
    """

    priority = 20

    def __init__(
        self,
        store: Searchable,
        *,
        k: int = 4,
        where: Mapping[str, Any] | None = None,
        min_score: float | None = None,
    ) -> None:
        if not callable(getattr(store, "search", None)):
            raise UsageError(
                f"Knowledge() takes a vector store (SQLiteVectorStore, VectorMemory, or any object "
                f"with an async search(query, k=, where=)), got {type(store).__name__}."
            )
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise UsageError(f"Knowledge(k=...) takes a positive int, got {k!r}.")
        self.store = store
        self.k = k
        self.where = dict(where) if where is not None else None
        self.min_score = min_score

    def __repr__(self) -> str:
        return f"Knowledge({self.store!r}, k={self.k})"

    async def retrieve(self, query: str) -> list[Hit]:
        """The passages for ``query`` (the search this hook makes, without the run cache)."""
        hits = await self.store.search(query, k=self.k, where=self.where)
        if self.min_score is not None:
            hits = [h for h in hits if h.score >= self.min_score]
        return hits

    async def before_model(self, ctx: HookContext, request: Request) -> Request | None:
        """Insert the passages for the latest user message before it (search once per run)."""
        at = _last_user(request.messages)
        if at is None:
            return None
        query = request.messages[at].text
        if not query.strip():
            return None
        cache = ctx.parent.state if ctx.parent is not None else {}
        cached = cache.get(self)
        if cached is not None and cached[0] == query:
            hits: list[Hit] = cached[1]
        else:
            hits = await self.retrieve(query)
            cache[self] = (query, hits)
        if not hits:
            return None
        passages = Message.system(format_passages(hits))
        messages = [*request.messages[:at], passages, *request.messages[at:]]
        return dataclasses.replace(request, messages=messages)


def _last_user(messages: list[Message]) -> int | None:
    for at in range(len(messages) - 1, -1, -1):
        if messages[at].role == "user":
            return at
    return None

"""The ``memory`` module: token counts and vector stores (search by meaning) from scripts.

Guarantees: a store's file is where the sandbox allows it (``standard``: under the script's
folder; ``strict``: no file, only a store in memory; ``permissive``: anywhere); a store a
run opened is closed when the run ends; hits are plain tables.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llmkit.errors import UsageError
from llmkit.scripting._bridge import Bridge, HostObject, method
from llmkit.scripting._host import Host
from llmkit.scripting.bridges._common import MODEL_OPTIONS, options, script_file

if TYPE_CHECKING:
    from llmkit.memory import VectorStore

__all__ = ["VectorsHandle", "bridge", "conversation"]

bridge = Bridge(
    "memory",
    "Memory as in Python's `llmkit.memory`: token counts, and vector stores that find texts by "
    'meaning. `memory.vectors{ embedder = "local" }` keeps its items in memory; with `path` '
    "they are kept in a SQLite file (relative to the script's folder; the `standard` sandbox "
    'allows only files under it, `strict` none). `embedder` is `"local"` (all-MiniLM-L6-v2 '
    'on this machine, needs `llmkit[local-embed]`) or an embedding model (`"openai/text-'
    'embedding-3-small"`, with the model options `base_url`, `api_key` …). A hit is '
    "`{id, text, score, metadata}`. An agent takes a store as `knowledge` (with "
    "`retrieve_k`) and conversation memory as `memory = { max_tokens = ..., keep_last = ... }`.",
)

_VECTORS = ("path", "embedder", *MODEL_OPTIONS)
_MEMORY = ("max_tokens", "keep_last")


class VectorsHandle(HostObject):
    """A vector store a script holds: add texts, search them by meaning, count, delete."""

    script_type = "Vectors"

    def __init__(self, store: VectorStore) -> None:
        self.store = store

    @method
    async def add(self, host: Host, texts: Any, spec: Any = None) -> list[str]:
        """Store a text or an array of texts, with `{ ids = {...}, metadata = {...} }` (one entry per text); their ids."""
        items = [texts] if isinstance(texts, str) else texts
        if not isinstance(items, list) or not all(isinstance(t, str) for t in items):
            raise UsageError("vectors:add takes a text or an array of texts.")
        opts = options(spec, "vectors:add", ("ids", "metadata"))
        ids, metadata = opts.get("ids"), opts.get("metadata")
        if isinstance(texts, str):
            ids = [ids] if isinstance(ids, str) else ids
            metadata = [metadata] if isinstance(metadata, dict) else metadata
        return await self.store.add(items, ids=ids, metadata=metadata)

    @method
    async def search(self, host: Host, query: Any, spec: Any = None) -> list[dict[str, Any]]:
        """The texts closest in meaning to `query`, best first: `{ k = 4, where = { source = "faq" } }`."""
        opts = options(spec, "vectors:search", ("k", "where"))
        hits = await self.store.search(query, k=opts.get("k", 4), where=opts.get("where"))
        return [
            {"id": h.id, "text": h.text, "score": h.score, "metadata": h.metadata} for h in hits
        ]

    @method
    async def count(self, host: Host) -> int:
        """How many texts the store holds."""
        return await self.store.count()

    @method
    async def delete(self, host: Host, ids: Any) -> int:
        """Remove the texts with these ids (one id or an array); how many there were."""
        wanted = [ids] if isinstance(ids, str) else ids
        if not isinstance(wanted, list) or not all(isinstance(i, str) for i in wanted):
            raise UsageError("vectors:delete takes an id or an array of ids.")
        return await self.store.delete(wanted)


@bridge.function
def count_tokens(host: Host, model: Any, text: Any) -> int:
    """The tokens `text` costs `model` (`"provider/model"`): exact for OpenAI models, an estimate for others."""
    from llmkit.memory import count_tokens as count

    if not isinstance(model, str) or "/" not in model:
        raise UsageError(f"memory.count_tokens takes a 'provider/model' string, not {model!r}.")
    if not isinstance(text, str):
        raise UsageError(f"memory.count_tokens counts a text, not {type(text).__name__}.")
    return count(model, text)


def _embedder(host: Host, opts: dict[str, Any]) -> Any:
    from llmkit.memory import local_embedder

    name = opts.get("embedder")
    if name == "local":
        return local_embedder()
    if not isinstance(name, str) or "/" not in name:
        raise UsageError(
            'memory.vectors needs embedder = "local" or an embedding model such as '
            f'"openai/text-embedding-3-small", not {name!r}.'
        )
    return host.model(name, {k: opts[k] for k in MODEL_OPTIONS if k in opts})


@bridge.function
def vectors(host: Host, spec: Any) -> VectorsHandle:
    """A vector store: `{ embedder = "local" }` in memory, or with `path = "notes.db"` in a SQLite file."""
    from llmkit.memory import SQLiteVectorStore, VectorMemory

    opts = options(spec, "memory.vectors", _VECTORS)
    embedder = _embedder(host, opts)
    if opts.get("path") is None:
        return VectorsHandle(VectorMemory(embedder=embedder))
    strict = "leave path out for a store in memory"
    file = script_file(host, opts["path"], "memory.vectors", strict=strict)
    store = SQLiteVectorStore(file, embedder=embedder)
    host.on_close(store.close)
    return VectorsHandle(store)


def conversation(spec: Any) -> Any:
    """A ``ConversationMemory`` from an agent's ``memory = { max_tokens = ..., keep_last = ... }``."""
    from llmkit.memory import ConversationMemory

    return ConversationMemory(**options(spec, "memory=", _MEMORY))


bridge.type(VectorsHandle)

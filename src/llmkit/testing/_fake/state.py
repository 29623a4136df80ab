"""What the fake provider server remembers: its options, the script, and every request."""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llmkit.testing._script import Script, ScriptLike

if TYPE_CHECKING:
    from starlette.requests import Request as HTTPRequest

__all__ = [
    "NOT_JSON",
    "RecordedHeaders",
    "RecordedRequest",
    "ServerState",
    "parse_body",
    "record_request",
]

_SECRET_HEADERS = frozenset(("authorization", "x-api-key", "api-key", "x-goog-api-key"))


class RecordedHeaders(Mapping[str, str]):
    """Request headers, looked up case-insensitively; secrets are redacted in the repr."""

    __slots__ = ("_items",)

    def __init__(self, raw: Iterable[tuple[bytes, bytes]]) -> None:
        items: dict[str, str] = {}
        for key, value in raw:
            name = key.decode("latin-1").lower()
            text = value.decode("latin-1")
            items[name] = f"{items[name]}, {text}" if name in items else text
        self._items = items

    def __getitem__(self, key: str) -> str:
        return self._items[key.lower()]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        shown = {k: "[redacted]" if k in _SECRET_HEADERS else v for k, v in self._items.items()}
        return f"RecordedHeaders({shown!r})"


@dataclass(slots=True, repr=False)
class RecordedRequest:
    """One request the fake server received, for tests to inspect."""

    method: str
    path: str
    """The URL path, without the query string."""
    headers: RecordedHeaders
    """The request headers (case-insensitive keys)."""
    json: Any
    """The body parsed as JSON, or None when it was empty or not JSON."""
    body: bytes
    """The body exactly as received."""
    query: str = ""
    status: int | None = None
    """The status the server answered, or None when it dropped the connection first."""

    def __repr__(self) -> str:
        return (
            f"RecordedRequest({self.method} {self.path}, status={self.status!r}, "
            f"headers={self.headers!r}, body={len(self.body)} bytes)"
        )


class ServerState:
    """The options, script, recorded requests and noticed problems of one fake server.

    The server's event loop reads it; tests change it through
    :class:`~llmkit.testing.FakeProviderServer`. Each field is replaced or
    appended to in one step, which the GIL makes safe across the two threads.
    """

    def __init__(
        self,
        *,
        api_key: str | None,
        models: Iterable[str] | None,
        embedding_dimensions: int,
        chunk_size: int,
        record: bool,
    ) -> None:
        self.api_key = api_key
        self.models = frozenset(models) if models is not None else None
        self.embedding_dimensions = embedding_dimensions
        self.chunk_size = chunk_size
        self.record = record
        self.script = Script(None)
        self.requests: list[RecordedRequest] = []
        self.errors: list[BaseException] = []
        # Unique ids without a random draw per request: a per-server prefix and a counter.
        self._id_prefix = os.urandom(4).hex()
        self._id_counter = itertools.count(1)

    def next_id(self) -> str:
        """A fresh id for a request or a completion, unique within this server."""
        return f"{self._id_prefix}{next(self._id_counter):08x}"

    def load(self, script: ScriptLike | None) -> None:
        """Replace the script (tool-call ids start again at ``call_1``)."""
        self.script = Script(script)

    def reset(self) -> None:
        """Forget the script, the recorded requests and the noticed problems."""
        self.script = Script(None)
        self.requests = []
        self.errors = []


NOT_JSON: Any = object()
"""What :func:`parse_body` returns for a body that is not JSON."""


def parse_body(raw: bytes) -> Any:
    """The request body decoded as JSON, or :data:`NOT_JSON`."""
    try:
        return json.loads(raw)
    except ValueError:
        return NOT_JSON


def record_request(
    state: ServerState, request: HTTPRequest, raw: bytes, body: Any
) -> RecordedRequest | None:
    """Keep ``request`` in ``state.requests`` (when recording is on) and return its entry."""
    if not state.record:
        return None
    scope = request.scope
    entry = RecordedRequest(
        scope["method"],
        scope["path"],
        RecordedHeaders(scope["headers"]),
        None if body is NOT_JSON else body,
        raw,
        scope.get("query_string", b"").decode("latin-1"),
    )
    state.requests.append(entry)
    return entry

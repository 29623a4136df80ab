"""Prompt caching, imitated: how much of a request's prompt was read from or written to a cache.

Each ``cache_control`` marker asks the API to cache the prompt up to and
including its block, in the order tools, system, messages (a top-level
``cache_control`` marks the last block). The fake remembers every marked
prefix it has seen since the script was loaded: the longest one seen before
is a cache read, the rest up to the last marker is a cache write. Token
counts are estimates (about four characters of the JSON form per token);
the real API's minimum cacheable length is not imitated.
"""

from __future__ import annotations

import hashlib
from typing import Any

from llmkit._json import dumps_sorted
from llmkit.testing._script import estimate_tokens

__all__ = ["PromptCache"]


def _segments(body: dict[str, Any]) -> list[tuple[str, bool]]:
    """The prompt as (JSON text, marked) pieces in cache order."""
    pieces: list[tuple[str, bool]] = []

    def add(block: Any) -> None:
        if isinstance(block, dict):
            marked = block.get("cache_control") is not None
            rest = {k: v for k, v in block.items() if k != "cache_control"}
            pieces.append((dumps_sorted(rest), marked))
        else:
            pieces.append((dumps_sorted(block), False))

    for tool in body.get("tools") or ():
        add(tool)
    system = body.get("system")
    for block in system if isinstance(system, list) else ([system] if system else []):
        add(block)
    for message in body.get("messages") or ():
        content = message.get("content") if isinstance(message, dict) else None
        for block in content if isinstance(content, list) else [content]:
            add(block)
    if body.get("cache_control") is not None and pieces:
        pieces[-1] = (pieces[-1][0], True)
    return pieces


class PromptCache:
    """The marked prefixes seen since a script was loaded (a new script starts empty)."""

    __slots__ = ("_owner", "_seen")

    def __init__(self) -> None:
        self._owner: object = None
        self._seen: set[str] = set()

    def usage(self, body: dict[str, Any], owner: object) -> tuple[int, int, int] | None:
        """``(prompt tokens, read, written)`` for ``body``, or None when nothing is marked.

        ``owner`` is the script that answers; when it changes, the cache is emptied.
        """
        pieces = _segments(body)
        if not any(marked for _, marked in pieces):
            return None
        if owner is not self._owner:
            self._owner, self._seen = owner, set()
        digest = hashlib.sha256(str(body.get("model")).encode())
        chars = 0
        read = last_tokens = 0
        for text, marked in pieces:
            digest.update(text.encode())
            chars += len(text)
            if not marked:
                continue
            key = digest.copy().hexdigest()
            last_tokens = estimate_tokens(chars)
            if key in self._seen:
                read = last_tokens
            self._seen.add(key)
        total = estimate_tokens(chars)
        return total, read, last_tokens - read

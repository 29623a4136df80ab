"""The ``state`` module: a JSON-only key-value table of the engine, kept across runs until it closes."""

from __future__ import annotations

from typing import Any

from llmkit.scripting._bridge import Bridge
from llmkit.scripting._host import Host

__all__ = ["bridge"]

bridge = Bridge(
    "state",
    "A key-value table that belongs to one engine: runs on the same engine see it, closing "
    "the engine clears it. Values are JSON data; each get returns a fresh copy.",
)


@bridge.function
def get(host: Host, key: str, default: Any = None) -> Any:
    """The value under `key`, or `default`."""
    return host.state.get(key, default)


@bridge.function
def set(host: Host, key: str, value: Any) -> None:
    """Store `value` (JSON data) under `key`; nil removes the key."""
    host.state.set(key, value)


@bridge.function
def keys(host: Host) -> list[str]:
    """Every key, sorted."""
    return host.state.keys()


@bridge.function
def clear(host: Host) -> None:
    """Remove every key."""
    host.state.clear()

"""The network guard: while it is on, model requests may go only to loopback addresses.

Tests switch it on (``llmkit.testing.block_network()``, the pytest plugin's
marker or ini option) so that code under test cannot reach a real provider:
:class:`~llmkit.http.Endpoint` asks :func:`check_request` before every request
and raises :class:`NetworkBlockedError` for any other host. Nothing is
patched; the guard is a flag the transport reads.

The flag is process-wide rather than a context variable: sync twins
(``generate_sync``) run their coroutines on llmkit's background event loop in
another thread, where a caller's context variables do not reach.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from llmkit.errors import NetworkBlockedError

__all__ = [
    "LOOPBACK_HOSTS",
    "BlockedRequest",
    "NetworkBlockedError",
    "NetworkGuard",
    "active_guard",
    "check_request",
    "set_guard",
]

LOOPBACK_HOSTS: frozenset[str] = frozenset({"127.0.0.1", "localhost", "::1"})
"""Hosts a guard always allows: the fake provider server and other local test servers."""


@dataclass(frozen=True, slots=True)
class BlockedRequest:
    """A request the guard refused: which provider, and where it was going."""

    provider: str
    url: str


@dataclass(slots=True)
class NetworkGuard:
    """An active guard: the hosts it allows, and the requests it refused so far."""

    allowed_hosts: frozenset[str] = LOOPBACK_HOSTS
    blocked: list[BlockedRequest] = field(default_factory=list)
    """Every refused request, so a test can fail even if the code swallowed the error."""

    def allows(self, host: str) -> bool:
        """Whether requests to ``host`` may go out."""
        return host.lower().strip("[]") in self.allowed_hosts


_lock = threading.Lock()
_guard: NetworkGuard | None = None


def active_guard() -> NetworkGuard | None:
    """The guard in force, or None when the network is open."""
    return _guard


def set_guard(guard: NetworkGuard | None) -> NetworkGuard | None:
    """Put ``guard`` in force (None opens the network); returns the one it replaces."""
    global _guard
    with _lock:
        previous, _guard = _guard, guard
    return previous


def check_request(url: str, provider: str) -> None:
    """Raise :class:`NetworkBlockedError` if the guard is on and ``url`` is not an allowed host."""
    guard = _guard
    if guard is None:
        return
    host = urlsplit(url).hostname or ""
    if guard.allows(host):
        return
    parts = urlsplit(url)
    where = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"
    with _lock:
        guard.blocked.append(BlockedRequest(provider, where))
    raise NetworkBlockedError(
        f"{provider}: a model request to {where} was blocked: the network guard is on, "
        "so tests may only reach 127.0.0.1/localhost. Point the model at the fake provider "
        "server (llmkit.testing), use a ScriptedModel, replay a cassette, or allow the host "
        "with block_network(allow=[...])."
    )

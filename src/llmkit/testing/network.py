"""Keep tests off the network: any real model request fails.

::

    import llmkit.testing

    llmkit.testing.block_network()          # from here on, for the whole process
    with llmkit.testing.block_network():    # or only inside the block
        ...

While blocked, llmkit's transport sends model requests only to loopback
hosts (127.0.0.1, localhost, ::1: the fake provider server); any other
request raises :class:`NetworkBlockedError` before it leaves the process. In
pytest, the ``llmkit_block_network`` marker or the ``llmkit_block_network``
ini option does the same for a test or a whole suite, and also fails a test
whose code caught the error and carried on.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType

from llmkit.http._guard import (
    LOOPBACK_HOSTS,
    BlockedRequest,
    NetworkBlockedError,
    NetworkGuard,
    active_guard,
    set_guard,
)

__all__ = [
    "BlockedRequest",
    "NetworkBlock",
    "NetworkBlockedError",
    "allow_network",
    "block_network",
    "network_blocked",
]


class NetworkBlock:
    """A network block in force; a context manager that lifts it on exit.

    :attr:`blocked` lists the requests refused while it was in force.
    """

    __slots__ = ("_guard", "_previous", "_released")

    def __init__(self, guard: NetworkGuard | None, previous: NetworkGuard | None) -> None:
        self._guard = guard
        self._previous = previous
        self._released = False

    @property
    def blocked(self) -> list[BlockedRequest]:
        """The requests refused while this block was in force (empty for an allowance)."""
        return list(self._guard.blocked) if self._guard is not None else []

    def release(self) -> None:
        """Restore what was in force before (idempotent)."""
        if not self._released:
            self._released = True
            set_guard(self._previous)

    def __enter__(self) -> NetworkBlock:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def __repr__(self) -> str:
        state = "released" if self._released else "in force"
        kind = "allow_network" if self._guard is None else "block_network"
        return f"<{kind} {state}, {len(self.blocked)} blocked>"


def block_network(*, allow: Iterable[str] = ()) -> NetworkBlock:
    """Make every model request to a non-loopback host raise :class:`NetworkBlockedError`.

    Takes effect at once, process-wide. Used as a context manager
    (``with block_network(): ...``) it is lifted at the end of the block;
    called plainly it stays until :func:`allow_network` or ``.release()``.
    ``allow`` names more hosts that may be reached (a local proxy, say).
    """
    hosts = frozenset(h.lower().strip("[]") for h in allow)
    guard = NetworkGuard(LOOPBACK_HOSTS | hosts)
    return NetworkBlock(guard, set_guard(guard))


def allow_network() -> NetworkBlock:
    """Lift any network block; as a context manager, only inside the block."""
    return NetworkBlock(None, set_guard(None))


def network_blocked() -> bool:
    """Whether model requests to non-loopback hosts are blocked right now."""
    return active_guard() is not None

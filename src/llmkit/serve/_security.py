"""Who may call the server, and how often: bearer tokens and a per-token rate limit.

Guarantees:

- a token is compared in constant time with every configured one
  (:func:`hmac.compare_digest`), and only its digest (the tenant,
  :func:`~llmkit.serve.tenant_for`) is kept after the check: no token
  reaches a log, an error, a repr or a run;
- tokens come from an environment variable (comma-separated) or a file (one a
  line, ``#`` comments); an empty list is refused, so a server never runs open
  by mistake;
- the rate limit is a token bucket per tenant: ``requests`` per ``per``
  seconds, bursts up to ``requests``; a refusal says how many seconds until the
  next request is allowed (``Retry-After``). The clock is injected, so tests
  need no waiting.
"""

from __future__ import annotations

import hmac
import math
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from llmkit.errors import ConfigurationError, UsageError
from llmkit.serve._service import tenant_for

__all__ = ["RateLimit", "Tokens", "tokens_from_env", "tokens_from_file"]


def tokens_from_env(name: str = "LLMKIT_SERVE_TOKENS") -> list[str]:
    """The tokens in environment variable ``name``, comma-separated."""
    value = os.environ.get(name, "")
    tokens = [token.strip() for token in value.split(",") if token.strip()]
    if not tokens:
        raise ConfigurationError(
            f"No bearer tokens: set {name} to one or more tokens, comma-separated "
            f"(export {name}=token-1,token-2), or pass a token file."
        )
    return tokens


def tokens_from_file(path: str | Path) -> list[str]:
    """The tokens in the file at ``path``: one a line; blank lines and ``#`` comments skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(
            f"Cannot read the token file {str(path)!r} ({exc.strerror}); give a readable file "
            "with one token a line."
        ) from None
    tokens = [line.strip() for line in text.splitlines()]
    tokens = [token for token in tokens if token and not token.startswith("#")]
    if not tokens:
        raise ConfigurationError(f"The token file {str(path)!r} holds no token; put one a line.")
    return tokens


class Tokens:
    """The accepted bearer tokens; :meth:`tenant` turns an ``Authorization`` header into a tenant."""

    __slots__ = ("_digests",)

    def __init__(self, tokens: Iterable[str]) -> None:
        if isinstance(tokens, str):
            raise UsageError("tokens= takes a list of tokens, not one string; wrap it in a list.")
        digests = []
        for token in tokens:
            if not isinstance(token, str) or not token.strip() or token != token.strip():
                raise UsageError(
                    "Each bearer token is a non-empty string without spaces around it."
                )
            digests.append(tenant_for(token).encode("ascii"))
        if not digests:
            raise UsageError(
                "Give at least one bearer token (tokens=[...], or --token-env NAME): the server "
                "does not run without authentication."
            )
        self._digests = tuple(digests)

    def tenant(self, authorization: str | None) -> str | None:
        """The tenant of the ``Authorization: Bearer <token>`` header, or None when it is not accepted."""
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        digest = tenant_for(token)
        given = digest.encode("ascii")
        found = False
        for known in self._digests:
            found |= hmac.compare_digest(given, known)
        return digest if found else None

    def __repr__(self) -> str:
        return f"<Tokens: {len(self._digests)} accepted>"


class RateLimit:
    """At most ``requests`` requests per ``per`` seconds for each tenant (a token bucket)."""

    __slots__ = ("_buckets", "_clock", "per", "requests")

    def __init__(
        self, requests: int, per: float = 60.0, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if isinstance(requests, bool) or not isinstance(requests, int) or requests < 1:
            raise UsageError(f"A rate limit allows 1 request or more, not {requests!r}.")
        if isinstance(per, bool) or not isinstance(per, int | float) or per <= 0:
            raise UsageError(f"A rate limit's period is a positive number of seconds, not {per!r}.")
        self.requests = requests
        self.per = float(per)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def check(self, tenant: str) -> float:
        """Take one request for ``tenant``: 0 when allowed, else the seconds to wait."""
        now = self._clock()
        rate = self.requests / self.per
        level, last = self._buckets.get(tenant, (float(self.requests), now))
        level = min(float(self.requests), level + (now - last) * rate)
        if level >= 1:
            self._buckets[tenant] = (level - 1, now)
            return 0.0
        self._buckets[tenant] = (level, now)
        return (1 - level) / rate

    @staticmethod
    def retry_after(wait: float) -> str:
        """``wait`` seconds as a ``Retry-After`` value (whole seconds, at least 1)."""
        return str(max(1, math.ceil(wait)))

    def __repr__(self) -> str:
        return f"<RateLimit {self.requests} per {self.per:g} s>"

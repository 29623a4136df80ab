"""Usage: tokens, requests and cost of model calls, and how they add up.

Re-exported by :mod:`llmkit.types`; import it from there.
"""

from __future__ import annotations

from dataclasses import dataclass

from llmkit._parts import JSONDict

__all__ = ["Usage"]


@dataclass(slots=True)
class Usage:
    """Tokens, requests and cost. Add two with ``+``; ``sum()`` works too.

    ``input_tokens`` counts every prompt token, cached ones included
    (``cache_read_tokens`` and ``cache_write_tokens`` say how many of them hit
    or filled a cache); ``output_tokens`` includes ``reasoning_tokens``.
    ``cost`` is in US dollars, from llmkit's dated price table; it is None
    when the price of a model that contributed is not known.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    requests: int = 0
    """Number of model calls these tokens came from."""
    cost: float | None = None
    """Price in USD, or None when unknown."""

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
            self.requests + other.requests,
            _add_cost(self, other),
        )

    def __radd__(self, other: object) -> Usage:
        # Lets ``sum(usages)`` start from 0.
        if other == 0:
            return self
        if isinstance(other, Usage):
            return other.__add__(self)
        return NotImplemented

    def to_dict(self) -> JSONDict:
        """Return the JSON form of this usage."""
        d: JSONDict = {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "requests": self.requests,
        }
        if self.cost is not None:
            d["cost"] = self.cost
        return d

    @classmethod
    def from_dict(cls, d: JSONDict) -> Usage:
        """Build a usage record from its JSON form."""
        return cls(
            d.get("input_tokens", 0),
            d.get("output_tokens", 0),
            d.get("cache_read_tokens", 0),
            d.get("cache_write_tokens", 0),
            d.get("reasoning_tokens", 0),
            d.get("requests", 0),
            d.get("cost"),
        )


def _add_cost(a: Usage, b: Usage) -> float | None:
    """The cost of two usages together: unknown if a non-empty part is unknown."""
    if a.cost is not None and b.cost is not None:
        return a.cost + b.cost
    # An empty usage (no tokens, no requests) adds nothing, known or not.
    if a.cost is None and _is_empty(a):
        return b.cost
    if b.cost is None and _is_empty(b):
        return a.cost
    return None


def _is_empty(u: Usage) -> bool:
    return not (u.requests or u.input_tokens or u.output_tokens)

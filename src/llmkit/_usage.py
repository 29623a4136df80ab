"""Usage: tokens, requests and cost of model calls, how they add up, and estimates.

Re-exported by :mod:`llmkit.types`; import it from there. When a provider does
not report what a call used (a stream without a usage chunk, a stream cut
short), :func:`estimate_usage` counts what was sent and what arrived instead
and the usage says so (``estimated=True``); this is the one place that turns
text into a token count, so an exact tokenizer can replace it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from llmkit._json import dumps_any
from llmkit._parts import JSONDict, ReasoningPart, TextPart, ToolCall, ToolResult

if TYPE_CHECKING:
    from llmkit._message import Message
    from llmkit._request import Request

__all__ = ["CHARS_PER_TOKEN", "Usage", "estimate_tokens", "estimate_usage"]

CHARS_PER_TOKEN = 4
"""Characters per token assumed by estimates (about right for English text and code)."""


@dataclass(slots=True)
class Usage:
    """Tokens, requests and cost. Add two with ``+``; ``sum()`` works too.

    ``input_tokens`` counts every prompt token, cached ones included
    (``cache_read_tokens`` and ``cache_write_tokens`` say how many of them hit
    or filled a cache); ``output_tokens`` includes ``reasoning_tokens``.
    ``cost`` is in US dollars, from llmkit's dated price table; it is None
    when the price of a model that contributed is not known.

    ``estimated`` is True when some of the counts are estimates rather than
    what the provider reported: a server that sends no usage in streams (or a
    stream cut short) is counted from the text sent and received, about four
    characters a token. A sum is estimated when any part of it is, so run
    totals and limits keep working and still say they are approximate; a cost
    computed from estimated tokens is an estimate too.
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
    estimated: bool = False
    """Whether some counts are estimates (the provider did not report them)."""

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
            self.estimated or other.estimated,
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
        if self.estimated:
            d["estimated"] = True
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
            bool(d.get("estimated", False)),
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


def estimate_tokens(chars: int) -> int:
    """Tokens in ``chars`` characters of text: :data:`CHARS_PER_TOKEN` each, rounded up."""
    return -(-chars // CHARS_PER_TOKEN)


def _chars(parts: Iterable[object]) -> int:
    total = 0
    for part in parts:
        if isinstance(part, TextPart | ReasoningPart):
            total += len(part.text)
        elif isinstance(part, ToolCall):
            raw = part.raw_arguments
            total += len(part.name) + len(raw if raw is not None else dumps_any(part.arguments))
        elif isinstance(part, ToolResult):
            total += len(part.text)
    return total


def estimate_usage(request: Request | None, message: Message) -> Usage:
    """The estimated usage of one call that sent ``request`` and got ``message`` back.

    Input counts the text of the request's messages and tool definitions;
    output counts the answer's text, reasoning and tool calls (media is not
    counted). The result has ``requests=1`` and ``estimated=True``.
    """
    chars_in = 0
    if request is not None:
        for m in request.messages:
            chars_in += _chars(m.parts)
        for tool in request.tools:
            chars_in += len(tool.name) + len(tool.description) + len(dumps_any(tool.parameters))
    chars_out = _chars(message.parts)
    return Usage(estimate_tokens(chars_in), estimate_tokens(chars_out), requests=1, estimated=True)

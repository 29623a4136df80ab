"""Usage: tokens, requests and cost of model calls, how they add up, and estimates.

Re-exported by :mod:`llmkit.types`; import it from there. When a provider does
not report what a call used (a stream without a usage chunk, a stream cut
short), :func:`estimate_usage` counts what was sent and what arrived instead
and the usage says so (``estimated=True``); this is the one place that turns
text into a token count, so an exact tokenizer can replace it.

A cost can be left to work out later (:meth:`Usage.defer_cost`): a model
call's price is looked up, and the price dataset loaded, only when a cost is
first read, so a program that never asks what a run cost never pays for
prices. What always holds: ``usage.cost`` reads the same value whether it was
worked out at once or later; a sum of usages whose costs are deferred is
itself deferred (no price is looked up by ``+``) and, when read, is what
adding the worked-out costs one by one gives; once read, a cost is kept.

:meth:`Usage.sum` adds many usages in one pass, in time linear in their number
(``sum()`` or a loop of ``+`` copies a deferred sum's terms at every step), and
gives what adding them one by one with ``+`` gives: the same counts, the same
cost (to the last bit: the costs are added in the same order), looked up no
sooner.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llmkit._json import dumps_any
from llmkit._parts import JSONDict, ReasoningPart, TextPart, ToolCall, ToolResult
from llmkit.errors import UsageError

if TYPE_CHECKING:
    from llmkit._message import Message
    from llmkit._request import Request

__all__ = ["CHARS_PER_TOKEN", "Pricer", "Usage", "estimate_tokens", "estimate_usage"]

CHARS_PER_TOKEN = 4
"""Characters per token assumed by estimates (about right for English text and code)."""

Pricer = Callable[["Usage"], "float | None"]
"""What :meth:`Usage.defer_cost` takes: the USD cost of a usage (None when unknown)."""


@dataclass(slots=True)
class _Counts:
    """The stored fields of :class:`Usage` (see there); ``cost`` may hold a deferred cost."""

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


# The slot that holds ``cost`` (a number, None, or a cost worked out at the first read).
_COST_SLOT: Any = _Counts.__dict__["cost"]


class Usage(_Counts):
    """Tokens, requests and cost. Add two with ``+``; many with :meth:`Usage.sum`.

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

    A model's response may leave its cost to be worked out when ``cost`` is
    first read (:meth:`defer_cost`): the price is looked up then, not during
    the run. Reading ``cost``, comparing, printing or serialising a usage
    works it out; adding usages does not.
    """

    __slots__ = ()

    @property
    def cost(self) -> float | None:
        """Price in USD, or None when unknown (worked out here if it was deferred)."""
        stored = _COST_SLOT.__get__(self)
        if type(stored) is _Deferred:
            stored = stored.work_out(self)
            _COST_SLOT.__set__(self, stored)
        cost: float | None = stored
        return cost

    @cost.setter
    def cost(self, value: float | None) -> None:
        _COST_SLOT.__set__(self, value)

    def defer_cost(self, pricer: Pricer) -> None:
        """Leave ``cost`` to ``pricer(self)``, called when the cost is first read, then kept.

        The pricer sees the counts as they are when the cost is read.
        """
        _COST_SLOT.__set__(self, _Deferred(pricer, ()))

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        mine = _COST_SLOT.__get__(self)
        theirs = _COST_SLOT.__get__(other)
        cost: Any
        if type(mine) is _Deferred or type(theirs) is _Deferred:
            # Worked out when read: adding looks up no price.
            cost = _Deferred(None, _terms(self, mine) + _terms(other, theirs))
        else:
            cost = _combine(mine, _is_empty(self), theirs, _is_empty(other))
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
            self.requests + other.requests,
            cost,
            self.estimated or other.estimated,
        )

    @classmethod
    def sum(cls, usages: Iterable[Usage], /) -> Usage:
        """All of ``usages`` added up, in one pass: what adding them one by one with ``+`` gives.

        The counts are summed and ``estimated`` is set when any part is estimated. The cost
        follows the rules of ``+``: unknown (None) when a part that used something (requests,
        input or output tokens) has an unknown cost, while an empty part adds nothing; costs
        left to work out later stay deferred (no price is looked up here) and are added in
        order when the total's cost is first read. Nothing at all sums to ``Usage()``. The
        result is always a new usage. Prefer it to ``sum()`` or a loop of ``+`` over many
        usages: those copy a deferred sum's terms at every step, so they take quadratic time.
        """
        inp = out = cache_read = cache_write = reasoning = requests = 0
        estimated = False
        cost: float | None = None
        empty = True
        seen = False
        terms: list[Usage] | None = None  # set at the first deferred cost
        for usage in usages:
            if not isinstance(usage, Usage):
                raise UsageError(
                    f"Usage.sum() adds Usage objects (e.g. [result.usage for result in results]); "
                    f"got a {type(usage).__name__}."
                )
            stored = _COST_SLOT.__get__(usage)
            if terms is not None:
                terms.extend(_terms(usage, stored))
            elif type(stored) is _Deferred:
                # ``+`` would fold what came before into one usage, then keep terms from here.
                terms = (
                    [
                        Usage(
                            inp,
                            out,
                            cache_read,
                            cache_write,
                            reasoning,
                            requests,
                            cost,
                            estimated,
                        )
                    ]
                    if seen
                    else []
                )
                terms.extend(_terms(usage, stored))
            else:
                part_empty = _is_empty(usage)
                cost = _combine(cost, empty, stored, part_empty) if seen else stored
                empty = empty and part_empty
            seen = True
            inp += usage.input_tokens
            out += usage.output_tokens
            cache_read += usage.cache_read_tokens
            cache_write += usage.cache_write_tokens
            reasoning += usage.reasoning_tokens
            requests += usage.requests
            estimated = estimated or usage.estimated
        total_cost: Any = cost if terms is None else _Deferred(None, tuple(terms))
        return cls(inp, out, cache_read, cache_write, reasoning, requests, total_cost, estimated)

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


def _combine(a: float | None, a_empty: bool, b: float | None, b_empty: bool) -> float | None:
    """The cost of two usages together: unknown if a non-empty part is unknown."""
    if a is not None and b is not None:
        return a + b
    # An empty usage (no tokens, no requests) adds nothing, known or not.
    if a is None and a_empty:
        return b
    if b is None and b_empty:
        return a
    return None


def _is_empty(u: Usage) -> bool:
    return not (u.requests or u.input_tokens or u.output_tokens)


class _Deferred:
    """A cost worked out at its first read: ``pricer``'s, or the sum of the ``terms``' costs.

    A sum keeps its terms flat (a deferred sum added to more usages passes on its
    terms, not itself), so working it out never recurses deeper than one term.
    Adding the terms' costs left to right gives what adding the usages did:
    whether a part is empty does not depend on how the parts were grouped.
    """

    __slots__ = ("pricer", "terms")

    def __init__(self, pricer: Pricer | None, terms: tuple[Usage, ...]) -> None:
        self.pricer = pricer
        self.terms = terms

    def work_out(self, usage: Usage) -> float | None:
        """The cost of ``usage``, whose cost this is."""
        if self.pricer is not None:
            return self.pricer(usage)
        first, *rest = self.terms
        total, empty = first.cost, _is_empty(first)
        for term in rest:
            term_empty = _is_empty(term)
            total = _combine(total, empty, term.cost, term_empty)
            empty = empty and term_empty
        return total


def _terms(usage: Usage, stored: object) -> tuple[Usage, ...]:
    """What ``usage`` (whose cost slot holds ``stored``) adds to a deferred sum."""
    if type(stored) is _Deferred and stored.pricer is None:
        return stored.terms
    return (usage,)


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

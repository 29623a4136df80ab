"""Model prices, as data with a date, and the cost of a :class:`~llmkit.types.Usage`.

Prices are US dollars per million tokens as the providers published them on
:data:`PRICES_DATE` (standard tier, no batch discount, prompts under any long-
context threshold). Providers change prices; a model missing from the table
gets ``cost = None``, never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from llmkit.types import Usage

__all__ = ["PRICES", "PRICES_DATE", "Price", "cost_of", "price_of"]

PRICES_DATE = "2026-11-23"
"""When the table was last checked against the providers' price lists."""


@dataclass(frozen=True, slots=True)
class Price:
    """USD per million tokens for one model."""

    input: float
    output: float
    cache_read: float | None = None
    """Price of cached prompt tokens; None: charged like other input tokens."""
    cache_write: float | None = None
    """Price of prompt tokens written to a cache; None: charged like other input tokens."""

    def cost(self, usage: Usage) -> float:
        """USD cost of ``usage`` at this price."""
        cached = usage.cache_read_tokens
        written = usage.cache_write_tokens
        plain = max(0, usage.input_tokens - cached - written)
        total = plain * self.input + usage.output_tokens * self.output
        total += cached * (self.cache_read if self.cache_read is not None else self.input)
        total += written * (self.cache_write if self.cache_write is not None else self.input)
        return total / 1_000_000


# Protocol family -> model id -> price. Ids match exactly or with a date/version suffix
# ("gpt-4.1-mini-2025-04-14", "claude-sonnet-4-5-20250929").
PRICES: dict[str, dict[str, Price]] = {
    "openai": {
        "gpt-5": Price(1.25, 10.0, 0.125),
        "gpt-5.1": Price(1.25, 10.0, 0.125),
        "gpt-5-mini": Price(0.25, 2.0, 0.025),
        "gpt-5-nano": Price(0.05, 0.40, 0.005),
        "gpt-4.1": Price(2.0, 8.0, 0.50),
        "gpt-4.1-mini": Price(0.40, 1.60, 0.10),
        "gpt-4.1-nano": Price(0.10, 0.40, 0.025),
        "gpt-4o": Price(2.50, 10.0, 1.25),
        "gpt-4o-mini": Price(0.15, 0.60, 0.075),
        "o3": Price(2.0, 8.0, 0.50),
        "o3-mini": Price(1.10, 4.40, 0.55),
        "o4-mini": Price(1.10, 4.40, 0.275),
        "text-embedding-3-small": Price(0.02, 0.0),
        "text-embedding-3-large": Price(0.13, 0.0),
    },
    "anthropic": {
        "claude-opus-4-5": Price(5.0, 25.0, 0.50, 6.25),
        "claude-opus-4-1": Price(15.0, 75.0, 1.50, 18.75),
        "claude-sonnet-4-5": Price(3.0, 15.0, 0.30, 3.75),
        "claude-sonnet-4": Price(3.0, 15.0, 0.30, 3.75),
        "claude-haiku-4-5": Price(1.0, 5.0, 0.10, 1.25),
        "claude-3-5-haiku": Price(0.80, 4.0, 0.08, 1.0),
    },
    "gemini": {
        "gemini-2.5-pro": Price(1.25, 10.0),
        "gemini-2.5-flash": Price(0.30, 2.50),
        "gemini-2.5-flash-lite": Price(0.10, 0.40),
        "gemini-2.0-flash": Price(0.10, 0.40),
    },
}

# Providers that serve a family's models at the family's prices.
_FAMILY = {"openai": "openai", "anthropic": "anthropic", "gemini": "gemini"}
# A dated snapshot of a listed model costs what the model costs.
_DATE_SUFFIX = re.compile(r"[-@](?:\d{8}|\d{4}-\d{2}-\d{2}|latest)$")


def price_of(provider: str, model_id: str) -> Price | None:
    """The price of ``provider``'s ``model_id``, or None when the table does not have it."""
    family = _FAMILY.get(provider)
    if family is None:
        return None
    table = PRICES[family]
    model_id = model_id.removeprefix("models/")
    price = table.get(model_id)
    if price is None:
        price = table.get(_DATE_SUFFIX.sub("", model_id))
    return price


def cost_of(provider: str, model_id: str, usage: Usage) -> float | None:
    """USD cost of ``usage`` on ``provider``'s ``model_id``, or None when the price is unknown."""
    price = price_of(provider, model_id)
    return None if price is None else price.cost(usage)

"""Model prices, where each came from, and the cost of a :class:`~llmkit.types.Usage`.

Prices are US dollars per million tokens, from two sources:

1. The ``genai-prices`` package's dataset, maintained by its authors and
   bundled in the package (read from disk; llmkit never asks it to fetch
   newer prices). It is imported at the first price lookup, not with llmkit.
2. llmkit's own table (:data:`PRICES`), checked by hand on :data:`PRICES_DATE`
   (standard tier, no batch discount). Where it differs from the dataset it
   wins (an override); it is also what llmkit falls back on without the dataset.

A model neither knows gets ``cost = None``, never a guess. Every
:class:`Price` says where it came from (``source``).

A model prices its responses through a :class:`ModelPricing`: the cost of
each response is left to be worked out when it is first read
(:meth:`~llmkit.types.Usage.defer_cost`), so the dataset is not loaded by a
program that never reads a cost. The price is looked up at that first read,
for the time the call was made, and kept unless it varies with that time.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from llmkit.errors import UsageError
from llmkit.providers._presets import known_providers
from llmkit.types import Usage

if TYPE_CHECKING:
    from llmkit.providers.base import Model

__all__ = [
    "PRICES",
    "PRICES_DATE",
    "ModelPricing",
    "Price",
    "choose",
    "cost_of",
    "dataset_price",
    "model_price",
    "price_of",
    "table_price",
]

PRICES_DATE = "2026-11-23"
"""When the table was last checked against the providers' price lists."""

TABLE_SOURCE = f"llmkit table {PRICES_DATE}"


@dataclass(frozen=True, slots=True)
class Price:
    """USD per million tokens for one model, and where the numbers come from."""

    input: float
    output: float
    cache_read: float | None = None
    """Price of cached prompt tokens; None: charged like other input tokens."""
    cache_write: float | None = None
    """Price of prompt tokens written to a cache; None: charged like other input tokens."""
    source: str = field(default="", compare=False)
    """``"llmkit table 2026-11-23"`` or ``"genai-prices 0.2.3"`` (with its version)."""
    tiers: tuple[tuple[int, Price], ...] = field(default=(), compare=False, repr=False)
    """Long-context prices: from ``(n, price)`` on, a call whose prompt has n input
    tokens or more is charged ``price`` for all its tokens (the providers' rule)."""
    varies: bool = field(default=False, compare=False, repr=False)
    """The price depends on when the call is made (off-peak hours, a scheduled change):
    look it up again for each call."""

    def cost(self, usage: Usage) -> float | None:
        """USD cost of ``usage`` at this price (None when a token count is unknown)."""
        try:
            price = self
            for start, tier in self.tiers:
                if usage.input_tokens >= start:
                    price = tier
            cached = usage.cache_read_tokens
            written = usage.cache_write_tokens
            plain = max(0, usage.input_tokens - cached - written)
            total = plain * price.input + usage.output_tokens * price.output
            total += cached * (price.cache_read if price.cache_read is not None else price.input)
            total += written * (price.cache_write if price.cache_write is not None else price.input)
        except TypeError:  # a count the provider did not report: the cost is unknown too
            return None
        return total / 1_000_000


# Protocol family -> model id -> price. Ids match exactly or with a date/version suffix
# ("gpt-4.1-mini-2025-04-14", "claude-sonnet-4-5-20250929"). Where a newer dataset differs
# from an entry, the entry wins until the table is checked again (tests/providers/test_prices.py).
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
        "gemini-2.5-pro": Price(1.25, 10.0, 0.125),
        "gemini-2.5-flash": Price(0.30, 2.50, 0.03),
        "gemini-2.5-flash-lite": Price(0.10, 0.40, 0.01),
        "gemini-2.0-flash": Price(0.10, 0.40, 0.025),
    },
}

# Providers that serve a family's models at the family's prices.
_FAMILY = {"openai": "openai", "anthropic": "anthropic", "gemini": "gemini"}
# llmkit provider -> the dataset's provider id. Local servers (ollama, llamacpp, vllm,
# lmstudio) are not there: what they cost is the user's own business.
DATASET_PROVIDERS = {
    "openai": "openai",
    "anthropic": "anthropic",
    "gemini": "google",
    "groq": "groq",
    "deepseek": "deepseek",
    "mistral": "mistral",
    "openrouter": "openrouter",
    "together": "together",
    "fireworks": "fireworks",
    "xai": "x-ai",
    "cerebras": "cerebras",
    "azure": "azure",
}
# A dated snapshot of a listed model costs what the model costs.
_DATE_SUFFIX = re.compile(r"[-@](?:\d{8}|\d{4}-\d{2}-\d{2}|latest)$")


def price_of(provider: str, model_id: str, *, at: datetime | None = None) -> Price | None:
    """The price of ``provider``'s ``model_id`` at time ``at`` (default: now), or None.

    Where the table and the dataset agree, the dataset's price is returned: it
    also knows long-context tiers. Where they differ, the table wins.
    """
    model_id = model_id.removeprefix("models/")
    dataset_id = DATASET_PROVIDERS.get(provider)
    found = None if dataset_id is None else dataset_price(dataset_id, model_id, at=at)
    return choose(table_price(provider, model_id), found)


def choose(listed: Price | None, found: Price | None) -> Price | None:
    """The table's price ``listed`` where it differs from the dataset's ``found``, else ``found``."""
    if listed is None or listed == found:
        return found
    return replace(listed, source=TABLE_SOURCE)


def table_price(provider: str, model_id: str) -> Price | None:
    """The price llmkit's own table gives ``provider``'s ``model_id``, if it lists it."""
    family = _FAMILY.get(provider)
    if family is None:
        return None
    table = PRICES[family]
    model_id = model_id.removeprefix("models/")
    return table.get(model_id) or table.get(_DATE_SUFFIX.sub("", model_id))


def model_price(model: str | Model) -> Price | None:
    """What ``model`` costs (USD per million tokens) and where that price comes from.

    ``model`` is a ``"provider/model"`` string or a :class:`~llmkit.providers.Model`.
    The price comes from llmkit's own table, else from the ``genai-prices``
    dataset (``Price.source`` says which, with the table's date or the
    dataset's version); None when neither has the model (local servers,
    fine-tunes). A response's ``usage.cost`` is computed from this price.
    Public as :func:`llmkit.providers.price_of`.
    """
    from llmkit.providers.base import Model

    if isinstance(model, Model):
        return price_of(model.provider, model.model_id)
    if not isinstance(model, str) or "/" not in model:
        raise UsageError(
            "price_of() takes a 'provider/model' string such as 'openai/gpt-4.1-mini' "
            f"or a Model, not {model!r}."
        )
    provider, _, model_id = model.partition("/")
    if provider not in known_providers():
        raise UsageError(
            f"Unknown provider {provider!r}. Known providers: {', '.join(known_providers())}."
        )
    return price_of(provider, model_id)


def cost_of(provider: str, model_id: str, usage: Usage) -> float | None:
    """USD cost of ``usage`` on ``provider``'s ``model_id``, or None when the price is unknown."""
    price = price_of(provider, model_id)
    return None if price is None else price.cost(usage)


class ModelPricing:
    """How one model's responses are priced: looked up at the first cost read, then kept.

    ``provider`` is the price family (a provider serving another family's
    models at its prices names that family) and ``model_id`` the model.
    """

    __slots__ = ("_fixed", "_model_id", "_price", "_provider")

    def __init__(self, provider: str, model_id: str) -> None:
        self._provider = provider
        self._model_id = model_id
        self._price: Price | None = None
        self._fixed = False
        """The price is known and does not depend on when a call is made."""

    def price(self, usage: Usage) -> None:
        """Leave ``usage.cost`` to this model's price for a call made now, read when first needed."""
        usage.defer_cost(partial(self.cost_at, at=time.time()))

    def cost_at(self, usage: Usage, *, at: float) -> float | None:
        """USD cost of ``usage`` for a call made at ``at`` (a POSIX timestamp), None if unknown."""
        if self._fixed:
            price = self._price
        else:
            when = datetime.fromtimestamp(at, UTC)
            price = price_of(self._provider, self._model_id, at=when)
            if price is None or not price.varies:
                self._price, self._fixed = price, True
        return None if price is None else price.cost(usage)


def dataset_price(provider_id: str, model_id: str, *, at: datetime | None = None) -> Price | None:
    """The ``genai-prices`` price of a model at ``at`` (None if it lacks it or is not installed)."""
    try:
        import genai_prices
    except ImportError:
        return None
    try:
        found = genai_prices.calc_price(
            genai_prices.Usage(input_tokens=0, output_tokens=0),
            model_id,
            provider_id=provider_id,
            genai_request_timestamp=at,
        )
    except LookupError:
        return None
    source = f"genai-prices {genai_prices.__version__}"
    if found.auto_update_timestamp is not None:  # the program started its UpdatePrices
        source += f", updated {found.auto_update_timestamp:%Y-%m-%d %H:%M}"
    varies = isinstance(found.model.prices, list) and len(found.model.prices) > 1
    return _from_dataset(found.model_price, source, varies)


_KEYS = ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok")


def _from_dataset(model_price: Any, source: str, varies: bool) -> Price | None:
    from decimal import Decimal  # the dataset's numbers; only a dataset lookup needs the module

    values = {key: getattr(model_price, key, None) for key in _KEYS}
    if values["input_mtok"] is None:
        return None  # priced by something else (images, seconds of audio, requests)

    def at(tier_start: int | None) -> list[float | None]:
        picked: list[float | None] = []
        for value in values.values():
            if value is None or isinstance(value, Decimal | int | float):
                picked.append(None if value is None else float(value))
                continue
            amount = value.base  # TieredPrices: the last tier that starts at or below
            for tier in value.tiers:
                if tier_start is not None and tier.start <= tier_start:
                    amount = tier.price
            picked.append(float(amount))
        return picked

    def make(numbers: list[float | None], tiers: tuple[tuple[int, Price], ...] = ()) -> Price:
        inp, out, read, write = numbers
        return Price(inp or 0.0, out or 0.0, read, write, source=source, tiers=tiers, varies=varies)

    starts = sorted(
        {tier.start for value in values.values() for tier in getattr(value, "tiers", ())}
    )
    return make(at(None), tuple((start, make(at(start))) for start in starts))

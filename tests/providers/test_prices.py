"""Model prices and Usage.cost."""

from __future__ import annotations

import pytest

import llmkit
from llmkit import Message, Request
from llmkit.providers._prices import PRICES, PRICES_DATE, Price, cost_of, price_of
from llmkit.testing import FakeProviderServer
from llmkit.types import Usage


def test_exact_and_dated_ids_match_but_unknown_ones_do_not() -> None:
    assert price_of("openai", "gpt-4.1-mini") == PRICES["openai"]["gpt-4.1-mini"]
    assert price_of("openai", "gpt-4.1-mini-2025-04-14") == PRICES["openai"]["gpt-4.1-mini"]
    assert (
        price_of("anthropic", "claude-sonnet-4-5-20250929")
        == PRICES["anthropic"]["claude-sonnet-4-5"]
    )
    assert price_of("gemini", "models/gemini-2.5-flash") == PRICES["gemini"]["gemini-2.5-flash"]
    assert price_of("openai", "gpt-4o-audio-preview") is None
    assert price_of("openai", "my-finetune") is None
    assert price_of("groq", "gpt-4.1-mini") is None  # another provider's prices are not guessed
    assert PRICES_DATE.count("-") == 2


def test_cost_counts_cached_and_written_tokens_at_their_own_prices() -> None:
    price = Price(input=2.0, output=8.0, cache_read=0.5, cache_write=2.5)
    usage = Usage(
        input_tokens=1_000_000,
        output_tokens=500_000,
        cache_read_tokens=200_000,
        cache_write_tokens=100_000,
    )
    # 700k plain input * 2 + 200k cached * 0.5 + 100k written * 2.5 + 500k output * 8, per million
    assert price.cost(usage) == pytest.approx(1.4 + 0.1 + 0.25 + 4.0)
    assert Price(1.0, 1.0).cost(Usage(cache_read_tokens=10, input_tokens=10)) == pytest.approx(
        10 / 1e6
    )
    assert cost_of("openai", "nope", usage) is None


def test_usage_cost_adds_up_and_stays_unknown_when_part_is_unknown() -> None:
    a = Usage(1, 1, requests=1, cost=0.25)
    b = Usage(1, 1, requests=1, cost=0.5)
    assert (a + b).cost == 0.75
    assert (a + Usage(1, 1, requests=1)).cost is None
    assert (Usage() + a).cost == 0.25  # an empty usage adds nothing
    assert sum([a, b]).cost == 0.75  # type: ignore[union-attr]
    assert Usage.from_dict(a.to_dict()) == a
    assert "cost" not in Usage(1, 1).to_dict()


def test_openai_responses_carry_their_cost(llmkit_fake_server: FakeProviderServer) -> None:
    llmkit_fake_server.script(["priced answer", "unpriced answer"])
    options = {"base_url": llmkit_fake_server.openai_base_url, "api_key": "sk-x"}
    priced = llmkit.model("openai/gpt-4.1-mini", **options).generate_sync(
        Request([Message.user("hi")])
    )
    expected = PRICES["openai"]["gpt-4.1-mini"].cost(priced.usage)
    assert priced.usage.cost == pytest.approx(expected)
    assert priced.usage.cost > 0
    unpriced = llmkit.model("openai/local-model", **options).generate_sync(
        Request([Message.user("hi")])
    )
    assert unpriced.usage.cost is None

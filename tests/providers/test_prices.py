"""Model prices and Usage.cost."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest

import llmkit
from llmkit import Message, Request
from llmkit.errors import UsageError
from llmkit.providers import price_of as public_price_of
from llmkit.providers._prices import (
    PRICES,
    PRICES_DATE,
    Price,
    choose,
    cost_of,
    dataset_price,
    price_of,
    table_price,
)
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


# Known prices (USD per million tokens) of genai-prices 0.2.3, the version pyproject.toml
# requires at least; a newer dataset that changes them fails here, on purpose.
KNOWN = {
    "openai/gpt-4.1-mini": (0.40, 1.60, 0.10, None),
    "anthropic/claude-sonnet-4-5": (3.0, 15.0, 0.30, 3.75),
    "gemini/gemini-2.5-flash": (0.30, 2.50, 0.03, None),
    "groq/llama-3.3-70b-versatile": (0.59, 0.79, None, None),
    "openrouter/anthropic/claude-sonnet-4.5": (3.0, 15.0, 0.30, 3.75),
}


@pytest.mark.parametrize("model", KNOWN)
def test_known_prices_come_from_the_dataset_and_say_so(model: str) -> None:
    price = public_price_of(model)
    assert price is not None
    assert (price.input, price.output, price.cache_read, price.cache_write) == KNOWN[model]
    assert price.source.startswith("genai-prices 0.")


def test_presets_get_prices_where_the_dataset_has_them_and_local_servers_none() -> None:
    groq = llmkit.model("groq/llama-3.3-70b-versatile", api_key="gsk-x")
    assert public_price_of(groq) == Price(0.59, 0.79)
    assert public_price_of("xai/grok-4") is not None
    assert public_price_of("ollama/llama3.2") is None
    assert public_price_of("llamacpp/any") is None
    assert public_price_of("groq/no-such-model") is None


def test_a_price_that_depends_on_the_hour_is_looked_up_for_that_hour() -> None:
    # deepseek-chat costs half in DeepSeek's off-peak hours (16:30-00:30 UTC).
    peak = dataset_price("deepseek", "deepseek-chat", at=datetime(2026, 12, 1, 12, tzinfo=UTC))
    off_peak = dataset_price("deepseek", "deepseek-chat", at=datetime(2026, 12, 1, 20, tzinfo=UTC))
    assert peak is not None and off_peak is not None and peak.varies
    assert (peak.input, peak.output) == (0.27, 1.1)
    assert (off_peak.input, off_peak.output) == (0.135, 0.55)


def test_the_table_overrides_the_dataset_only_where_they_differ() -> None:
    # Where the table agrees, the dataset's price is used: it knows the long-context tier.
    sonnet = price_of("anthropic", "claude-sonnet-4-5")
    assert sonnet == table_price("anthropic", "claude-sonnet-4-5")
    assert sonnet is not None and sonnet.source.startswith("genai-prices")
    assert sonnet.cost(Usage(300_000, 0)) == pytest.approx(300_000 * 6.0 / 1e6)
    assert sonnet.cost(Usage(100_000, 0)) == pytest.approx(100_000 * 3.0 / 1e6)
    # Every table entry agrees with the dataset, or is a deliberate override listed here.
    overrides: set[tuple[str, str]] = set()
    families = {"openai": "openai", "anthropic": "anthropic", "gemini": "google"}
    differ = {
        (family, model_id)
        for family, table in PRICES.items()
        for model_id, listed in table.items()
        if dataset_price(families[family], model_id) != listed
    }
    assert differ == overrides


def test_the_table_is_the_source_when_it_differs_or_the_dataset_lacks_the_model() -> None:
    listed = Price(1.0, 2.0)
    dataset = Price(1.0, 3.0, source="genai-prices 0.2.3")
    for found in (None, dataset):
        price = choose(listed, found)
        assert price == listed and price is not None
        assert price.source == f"llmkit table {PRICES_DATE}"
    assert choose(Price(1.0, 3.0), dataset) is dataset
    assert choose(None, dataset) is dataset


def test_presets_responses_carry_their_cost(llmkit_fake_server: FakeProviderServer) -> None:
    llmkit_fake_server.script(["priced by the dataset"])
    groq = llmkit.model(
        "groq/llama-3.3-70b-versatile", base_url=llmkit_fake_server.openai_base_url, api_key="g"
    )
    response = groq.generate_sync(Request([Message.user("hi")]))
    assert response.usage.cost == pytest.approx(Price(0.59, 0.79).cost(response.usage))
    assert response.usage.cost is not None and response.usage.cost > 0


def test_an_unknown_token_count_gives_an_unknown_cost() -> None:
    unknown: Any = None
    usage = Usage(10, 10)
    usage.output_tokens = unknown
    assert Price(1.0, 1.0).cost(usage) is None


def test_price_of_names_what_to_pass() -> None:
    with pytest.raises(UsageError, match="'provider/model' string"):
        public_price_of("gpt-4.1-mini")
    with pytest.raises(UsageError, match="Unknown provider 'nosuch'"):
        public_price_of("nosuch/model")


def test_the_price_dataset_loads_at_the_first_price_not_with_a_model() -> None:
    code = (
        "import sys, llmkit\n"
        "m = llmkit.model('openai/gpt-4.1-mini', api_key='sk-x')\n"
        "print('genai_prices' in sys.modules)\n"
        "from llmkit.providers import price_of\n"
        "price_of(m)\n"
        "print('genai_prices' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]

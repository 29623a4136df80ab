"""Model prices and Usage.cost."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import genai_prices
import pytest

import llmkit
from llmkit import Message, Request
from llmkit.errors import UsageError
from llmkit.providers import price_of as public_price_of
from llmkit.providers._prices import (
    DATASET_PROVIDERS,
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


def deferred(cost: float | None, calls: list[int], *counts: int) -> Usage:
    """A usage of ``counts`` whose cost ``cost`` is worked out at its first read (counted)."""

    def pricer(usage: Usage) -> float | None:
        calls.append(usage.input_tokens)
        return cost

    usage = Usage(*counts)
    usage.defer_cost(pricer)
    return usage


def test_a_deferred_cost_is_worked_out_once_at_the_first_read() -> None:
    calls: list[int] = []
    usage = deferred(0.25, calls, 5, 1, 0, 0, 0, 1)
    assert calls == []
    assert usage.cost == 0.25 and usage.cost == 0.25
    assert calls == [5]
    for read in (repr, Usage.to_dict, lambda u: u == Usage(5, 1, requests=1, cost=0.25)):
        calls.clear()
        fresh = deferred(0.5, calls, 5, 1, 0, 0, 0, 1)
        read(fresh)
        assert calls == [5], read  # printing, serialising and comparing read the cost
    usage.cost = 1.0  # a cost set later replaces the worked-out one
    assert usage.cost == 1.0


def test_adding_deferred_costs_looks_up_nothing_and_adds_up_as_if_known() -> None:
    calls: list[int] = []
    a = deferred(0.25, calls, 1, 1, 0, 0, 0, 1)
    b = deferred(0.5, calls, 2, 1, 0, 0, 0, 1)
    known = Usage(3, 1, requests=1, cost=1.0)
    total = sum([Usage(), a, known, b], Usage())
    deeper = total + (a + b)  # a sum inside a sum
    assert calls == []
    assert total.cost == pytest.approx(1.75)
    assert deeper.cost == pytest.approx(2.5)
    assert sorted(calls) == [1, 2]  # each term priced once, however often it was added
    unknown = deferred(None, calls, 4, 1, 0, 0, 0, 1)
    assert (a + unknown).cost is None  # a non-empty part with no price: unknown
    empty_unpriced = deferred(None, calls, 0, 0, 0, 0, 0, 0)
    assert (empty_unpriced + known).cost == 1.0  # an empty part adds nothing
    assert (known + empty_unpriced).cost == 1.0
    assert (empty_unpriced + deferred(None, calls)).cost is None


def test_a_run_that_never_reads_a_cost_never_loads_the_price_dataset(
    llmkit_fake_server: FakeProviderServer,
) -> None:
    llmkit_fake_server.script(["first", "second"])
    code = (
        "import sys\n"
        "import llmkit\n"
        f"model = llmkit.model('openai/gpt-4.1-mini', base_url={llmkit_fake_server.openai_base_url!r},"
        " api_key='sk-x')\n"
        "agent = llmkit.Agent(model)\n"
        "result = agent.run_sync('hi')\n"
        "again = agent.run_sync('hi')\n"
        "print(result.output, 'genai_prices' in sys.modules)\n"
        "from llmkit.providers import price_of\n"
        "usage = (result.usage + again.usage)\n"
        "expected = price_of('openai/gpt-4.1-mini').cost(usage)\n"
        "print(usage.cost == expected and usage.cost > 0, 'genai_prices' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["first", "False", "True", "True"]


def test_openai_responses_carry_their_cost(llmkit_fake_server: FakeProviderServer) -> None:
    llmkit_fake_server.script(["priced answer", "unpriced answer"])
    options = {"base_url": llmkit_fake_server.openai_base_url, "api_key": "sk-x"}
    priced = llmkit.model("openai/gpt-4.1-mini", **options).generate_sync(
        Request([Message.user("hi")])
    )
    price = public_price_of("openai/gpt-4.1-mini")
    assert price is not None
    assert priced.usage.cost == pytest.approx(price.cost(priced.usage))
    assert priced.usage.cost > 0
    unpriced = llmkit.model("openai/local-model", **options).generate_sync(
        Request([Message.user("hi")])
    )
    assert unpriced.usage.cost is None


# The dataset moves with each genai-prices release (pyproject allows any newer one), so the
# tests below compare with what the installed dataset itself computes, never with numbers
# written here. What they pin is llmkit's part: the conversion, the tiers, the override.
DATASET_SOURCE = f"genai-prices {genai_prices.__version__}"
USAGES = [
    Usage(1_000_000, 500_000),
    Usage(1_000_000, 500_000, cache_read_tokens=200_000),
    Usage(1_000_000, 500_000, cache_read_tokens=200_000, cache_write_tokens=100_000),
    Usage(300_000, 10),  # past the long-context threshold of the models that have one
]


def dataset_cost(
    provider_id: str, model_id: str, usage: Usage, at: datetime | None = None
) -> float:
    """What genai-prices itself charges for ``usage``."""
    found = genai_prices.calc_price(
        genai_prices.Usage(
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cache_read_tokens=usage.cache_read_tokens,
            cache_write_tokens=usage.cache_write_tokens,
        ),
        model_id,
        provider_id=provider_id,
        genai_request_timestamp=at,
    )
    return float(found.total_price)


DATASET_MODELS = [
    "openai/gpt-4.1-mini",
    "anthropic/claude-sonnet-4-5",
    "gemini/gemini-2.5-flash",
    "groq/llama-3.3-70b-versatile",
    "openrouter/anthropic/claude-sonnet-4.5",
    "deepseek/deepseek-chat",
]


@pytest.mark.parametrize("model", DATASET_MODELS)
def test_a_price_from_the_dataset_costs_what_the_dataset_computes_and_says_so(model: str) -> None:
    provider, _, model_id = model.partition("/")
    price = public_price_of(model)
    assert price is not None
    if price.source.startswith("llmkit table"):  # the table overrides this release's price
        assert price == table_price(provider, model_id)
        return
    assert price.source == DATASET_SOURCE
    for usage in USAGES:
        expected = dataset_cost(DATASET_PROVIDERS[provider], model_id, usage)
        assert price.cost(usage) == pytest.approx(expected), usage


def test_presets_get_prices_where_the_dataset_has_them_and_local_servers_none() -> None:
    groq = llmkit.model("groq/llama-3.3-70b-versatile", api_key="gsk-x")
    assert public_price_of(groq) == public_price_of("groq/llama-3.3-70b-versatile")
    # What holds for any dataset: local servers and unknown ids get no price, never a guess.
    assert public_price_of("ollama/llama3.2") is None
    assert public_price_of("llamacpp/any") is None
    assert public_price_of("groq/no-such-model") is None
    assert not {"ollama", "llamacpp", "vllm", "lmstudio"} & set(DATASET_PROVIDERS)


def time_of_day_priced_model() -> tuple[str, str, datetime, datetime] | None:
    """A model of a provider llmkit maps whose dataset price depends on the hour, with an hour
    inside its interval and one outside; None when the installed dataset has none."""
    from genai_prices import data_snapshot
    from genai_prices.types import TimeOfDateConstraint

    ours = {dataset_id: name for name, dataset_id in DATASET_PROVIDERS.items()}
    for provider in data_snapshot.get_snapshot().providers:
        if provider.id not in ours:
            continue
        for info in provider.models:
            prices = info.prices if isinstance(info.prices, list) else []
            for conditional in prices:
                window = conditional.constraint
                if isinstance(window, TimeOfDateConstraint):
                    day = datetime(2026, 12, 1, tzinfo=UTC)
                    start = datetime.combine(day, window.start_time).replace(tzinfo=UTC)
                    end = datetime.combine(day, window.end_time).replace(tzinfo=UTC)
                    inside = start + (end - start) / 2 if end > start else start
                    outside = end + timedelta(minutes=1)
                    return ours[provider.id], info.id, inside, outside
    return None


def test_a_price_that_depends_on_the_hour_is_looked_up_for_that_hour() -> None:
    found = time_of_day_priced_model()
    if found is None:
        pytest.skip("the installed genai-prices dataset prices no model by the hour")
    provider, model_id, inside, outside = found
    dataset_id = DATASET_PROVIDERS[provider]
    usage = Usage(1_000_000, 1_000_000)
    costs = []
    for at in (inside, outside):
        price = dataset_price(dataset_id, model_id, at=at)
        assert price is not None and price.varies  # looked up again for each call
        assert price.cost(usage) == pytest.approx(dataset_cost(dataset_id, model_id, usage, at))
        costs.append(price.cost(usage))
    assert costs[0] != costs[1]


@pytest.mark.parametrize(
    ("family", "model_id"),
    [(family, model_id) for family, table in PRICES.items() for model_id in table],
)
def test_the_table_wins_where_it_differs_from_the_dataset_and_the_dataset_where_they_agree(
    family: str, model_id: str
) -> None:
    listed = PRICES[family][model_id]
    found = dataset_price(DATASET_PROVIDERS[family], model_id)
    price = price_of(family, model_id)
    assert price == listed  # the same numbers either way
    assert price is not None
    if found == listed:
        # The dataset's own price: it also knows the long-context tier, if there is one.
        assert price.source == DATASET_SOURCE
        for usage in USAGES:
            expected = dataset_cost(DATASET_PROVIDERS[family], model_id, usage)
            assert price.cost(usage) == pytest.approx(expected), usage
    else:
        assert price.source == f"llmkit table {PRICES_DATE}"
        assert price.cost(USAGES[0]) == pytest.approx(listed.cost(USAGES[0]))


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
    usage = response.usage
    assert usage.cost is not None and usage.cost > 0
    assert usage.cost == pytest.approx(dataset_cost("groq", "llama-3.3-70b-versatile", usage))


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

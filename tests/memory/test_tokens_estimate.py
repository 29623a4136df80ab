"""The calibrated estimate: its measured error on a fixed multilingual corpus stays within 15%."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmkit.memory._tokens_estimate import estimate_text_tokens
from llmkit.memory._tokens_load import load_encoding

CORPUS = Path(__file__).with_name("corpus.txt").read_text(encoding="utf-8")
SECTIONS = {
    name: body for name, _, body in (block.partition("\n") for block in CORPUS.split("## ")[1:])
}


def test_the_corpus_covers_scripts_code_and_emoji() -> None:
    assert set(SECTIONS) >= {"english", "chinese", "arabic", "emoji", "code", "hindi"}


@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_estimate_is_within_15_percent_of_o200k(name: str) -> None:
    text = SECTIONS[name]
    exact = len(load_encoding("o200k_base").encode_ordinary(text))
    estimate = estimate_text_tokens(text)
    assert abs(estimate - exact) <= 0.15 * exact, (name, estimate, exact)


def test_estimate_of_the_whole_corpus_is_within_5_percent() -> None:
    exact = len(load_encoding("o200k_base").encode_ordinary(CORPUS))
    assert abs(estimate_text_tokens(CORPUS) - exact) <= 0.05 * exact


def test_estimate_is_zero_only_for_empty_text() -> None:
    assert estimate_text_tokens("") == 0
    assert estimate_text_tokens(" ") == 1
    assert estimate_text_tokens("a") == 1


def test_four_chars_per_token_would_miss_chinese_by_far() -> None:
    # Why the estimate weighs scripts: a flat characters/4 rule is off by a factor of three here.
    text = SECTIONS["chinese"]
    exact = len(load_encoding("o200k_base").encode_ordinary(text))
    assert len(text) / 4 < 0.5 * exact
    assert abs(estimate_text_tokens(text) - exact) <= 0.05 * exact

"""Metrics without a model: token F1, ROUGE-1, trajectory scores, JSON-schema validity."""

from __future__ import annotations

import pytest

from llmkit.errors import UsageError
from llmkit.eval import rouge1, schema_errors, token_f1, trajectory_score
from llmkit.testing import approx, calls_tool
from llmkit.types import ToolCall


@pytest.mark.parametrize(
    ("candidate", "reference", "expected"),
    [
        ("The cat sat.", "the cat sat", 1.0),  # case, punctuation and articles do not count
        ("a cat", "the cat", 1.0),
        ("cat sat on mat", "cat sat", 2 * (2 / 4) * 1.0 / (2 / 4 + 1.0)),
        ("dog", "cat", 0.0),
        ("", "", 1.0),
        ("", "cat", 0.0),
        ("the", "cat", 0.0),  # only an article: nothing left
        ("cat cat cat", "cat", 2 * (1 / 3) * 1 / (1 / 3 + 1)),  # counts are clipped
    ],
)
def test_token_f1(candidate: str, reference: str, expected: float) -> None:
    assert token_f1(candidate, reference) == pytest.approx(expected)


def test_rouge1_keeps_articles_and_reads_words_of_letters_and_digits() -> None:
    assert rouge1("the cat", "a cat") == pytest.approx(0.5)
    assert token_f1("the cat", "a cat") == 1.0
    assert rouge1("Order #42 -- delivered!", "order 42 delivered") == 1.0
    assert rouge1("Café au lait", "café AU lait") == 1.0
    assert rouge1("", "") == 1.0 and rouge1("x", "") == 0.0


def test_trajectory_score_says_what_is_missing() -> None:
    calls = [ToolCall("1", "lookup", {"id": 42}), ToolCall("2", "refund", {"amount": 9.99})]
    expected = [calls_tool("lookup", id=42), calls_tool("refund", amount=approx(9.99))]
    assert trajectory_score(expected, calls, "exact") == (1.0, "")
    score, why = trajectory_score(
        [calls_tool("lookup", id=41), calls_tool("refund")], calls, "in_order"
    )
    assert score == 0.5 and why == "missing (in_order): calls_tool('lookup', id=41)"
    assert trajectory_score([calls_tool("lookup")], calls, "exact") == (
        0.0,
        "2 calls where exactly 1 were expected",
    )
    assert trajectory_score([], [], "exact") == (1.0, "")


SCHEMA = {
    "type": "object",
    "properties": {"total": {"type": "number"}, "currency": {"enum": ["EUR", "USD"]}},
    "required": ["total", "currency"],
    "additionalProperties": False,
}


def test_schema_errors() -> None:
    assert schema_errors({"total": 3, "currency": "EUR"}, SCHEMA) == []
    assert schema_errors({"total": "x", "currency": "GBP", "extra": 1}, SCHEMA) == [
        "(root): Additional properties are not allowed ('extra' was unexpected)",
        "currency: 'GBP' is not one of ['EUR', 'USD']",
        "total: 'x' is not of type 'number'",
    ]
    with pytest.raises(UsageError, match="not a valid JSON schema"):
        schema_errors({}, {"type": "wobbly"})

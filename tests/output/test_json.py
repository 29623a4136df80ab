"""JSON recovery from untidy model text."""

from __future__ import annotations

import pytest

from llmkit.output import NoJSONError, parse_json


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('{"a": 1}', {"a": 1}),
        ("  [1, 2]\n", [1, 2]),
        ('```json\n{"a": 1}\n```', {"a": 1}),
        ('Here you go:\n```\n{"a": 1}\n```\nAnything else?', {"a": 1}),
        (
            'The answer is {"total": 12.5, "currency": "EUR"} as asked.',
            {"total": 12.5, "currency": "EUR"},
        ),
        ('{"a": 1, "b": [1, 2,],}', {"a": 1, "b": [1, 2]}),
        ("{'a': 'x', 'b': true}", {"a": "x", "b": True}),
        ('{"total": 12.5, "items": ["a", "b', {"total": 12.5, "items": ["a", "b"]}),
        ('```json\n{"a": 1,\n', {"a": 1}),
        ('"just a string"', "just a string"),
        ("42", 42),
    ],
)
def test_recovers(text: str, value: object) -> None:
    assert parse_json(text) == value


@pytest.mark.parametrize("text", ["", "   ", "I cannot help with that."])
def test_no_json(text: str) -> None:
    with pytest.raises(NoJSONError):
        parse_json(text)

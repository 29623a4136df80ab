"""Detecting the format of the data in a model's text: fences with a language, then shape."""

from __future__ import annotations

import pytest

from llmkit.output import detect_format
from llmkit.output._detect import candidates


@pytest.mark.parametrize(
    ("text", "format"),
    [
        # a fence's language wins over the shape of its content and of the text
        ('```yaml\n{"a": 1}\n```', "yaml"),
        ("<a>1</a>\n```json\n[1]\n```", "json"),
        ("```yml\na: 1\n```", "yaml"),
        ("```XML\n<a/>\n```", "xml"),
        ("```js\n{a: 1}\n```", "json"),
        # a fence without a language: the shape of its content
        ("Here:\n```\n<a>1</a>\n```", "xml"),
        ("```\n- a\n- b\n```", "yaml"),
        # no fence: the shape of the text
        ('{"a": 1}', "json"),
        ("[1, 2]", "json"),
        ("<invoice><n>1</n></invoice>", "xml"),
        ('<?xml version="1.0"?><a/>', "xml"),
        ("number: 7\ntotal: 2", "yaml"),
        ("---\na: 1", "yaml"),
        ("- a\n- b", "yaml"),
        # prose first: JSON and XML by where they start, YAML last
        ('The answer is {"a": 1}, see <b>', "json"),
        ("Here is it: <a>[1]</a>", "xml"),
        ("Sure, here it is!\nnumber: 7", "yaml"),
        ("Nothing structured here.", None),
        ("", None),
    ],
)
def test_detects(text: str, format: str | None) -> None:
    assert detect_format(text) == format


def test_candidates_list_every_likely_reading_best_first() -> None:
    text = "Here it is:\n```json\n{}\n```\nor as XML: <a>1</a>"
    found = [(c.format, c.text) for c in candidates(text)]
    assert found[0] == ("json", "{}")
    assert ("xml", text.strip()) in found
    assert [fmt for fmt, _ in found].count("yaml") == 0

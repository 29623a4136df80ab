"""YAML from model text: fences, tabs and prose recovered; bombs and Python tags refused."""

from __future__ import annotations

import pytest

from llmkit.errors import ExtractionError, UnsafeDocumentError
from llmkit.output import parse_yaml

DOC = {"number": "INV-7", "lines": [{"item": "a", "amount": 2}], "paid": True}


@pytest.mark.parametrize(
    "text",
    [
        "number: INV-7\nlines:\n  - item: a\n    amount: 2\npaid: yes",
        "```yaml\nnumber: INV-7\nlines:\n  - item: a\n    amount: 2\npaid: yes\n```",
        "Here it is:\n```yml\nnumber: INV-7\nlines:\n  - item: a\n    amount: 2\npaid: yes\n```\nBye.",
        "```\nnumber: INV-7\nlines:\n  - item: a\n    amount: 2\npaid: yes\n```",
        # tabs in the indentation, and after a key
        "number:\tINV-7\nlines:\n\t- item: a\n\t  amount: 2\npaid: yes",
        # stray prose before and after, no fence
        "Sure, here it is!\nnumber: INV-7\nlines:\n  - item: a\n    amount: 2\npaid: yes\n"
        "Let me know if you need more.",
        # a fence left open by a truncated answer
        "```yaml\nnumber: INV-7\nlines:\n  - item: a\n    amount: 2\npaid: yes\n",
    ],
)
def test_recovers(text: str) -> None:
    assert parse_yaml(text) == DOC


def test_tabs_would_fail_without_the_repair() -> None:
    import yaml

    with pytest.raises(yaml.YAMLError):
        yaml.safe_load("lines:\n\t- item: a\n")
    assert parse_yaml("lines:\n\t- item: a\n") == {"lines": [{"item": "a"}]}


@pytest.mark.parametrize(
    "text",
    [
        'a: !!python/object/apply:os.system ["echo hi"]',
        "a: !!python/name:os.system\n",
        "Here:\n```yaml\nb: 1\nc: !!python/object:collections.OrderedDict {}\n```",
    ],
)
def test_python_object_tags_are_refused(text: str) -> None:
    with pytest.raises(UnsafeDocumentError, match="python"):
        parse_yaml(text)


def test_an_alias_bomb_is_refused_and_nothing_else_is_tried(yaml_bomb: str) -> None:
    with pytest.raises(UnsafeDocumentError, match="alias bomb"):
        parse_yaml(f"Here you go:\nbomb: {yaml_bomb}\nname: x\n")


def test_syntax_errors_that_no_repair_fixes() -> None:
    with pytest.raises(ExtractionError, match="not valid YAML") as caught:
        parse_yaml("a: [1, 2\nb: {")
    assert not isinstance(caught.value, UnsafeDocumentError)
    assert caught.value.format == "yaml"
    with pytest.raises(ExtractionError, match="empty"):
        parse_yaml("   ")


def test_a_plain_scalar_is_what_it_is() -> None:
    assert parse_yaml("42") == 42
    assert parse_yaml("just words") == "just words"

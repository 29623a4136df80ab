"""JSON read in pieces, and partial values of an output type built from it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from llmkit.errors import UsageError
from llmkit.output import OutputSpec
from llmkit.output._lenient import UNCHANGED
from llmkit.output._partial import JSONStream

DOC = {
    "text": 'h\u00e9llo "quoted" \\ back\nslash \U0001f600 end',
    "numbers": [0, -12, 2.5e3, 1.25],
    "flags": [True, False, None],
    "nested": {"empty": {}, "list": [], "deep": [{"x": "y"}]},
}
TEXT = json.dumps(DOC)
ASCII = json.dumps(DOC, ensure_ascii=True)


class Item(BaseModel):
    name: str
    qty: int = 1


class Invoice(BaseModel):
    number: str
    items: list[Item]
    total: float | None


def pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 1000])
@pytest.mark.parametrize("text", [TEXT, ASCII], ids=["utf8", "escaped"])
def test_any_split_reads_the_same_value(text: str, size: int) -> None:
    stream = JSONStream()
    for piece in pieces(text, size):
        stream.feed(piece)
    assert stream.done and not stream.failed
    assert stream.value == DOC


def test_each_character_is_looked_at_once_and_no_text_is_kept() -> None:
    items = [{"name": f"item {i}", "qty": i} for i in range(300)]
    text = json.dumps({"items": items})
    stream = JSONStream()
    longest = 0
    for piece in pieces(text, 7):
        stream.feed(piece)
        longest = max(longest, len(stream._token), sum(map(len, stream._chunks)))
    assert stream.value == {"items": items}
    assert stream.scanned == len(text)  # the buffer is never read again from its start
    assert longest <= 10  # what the stream keeps of the text is one unfinished token


def test_only_complete_scalars_and_the_string_in_progress_show() -> None:
    stream = JSONStream()
    assert stream.feed('{"a": 12')
    assert stream.value == {}  # the number may go on
    assert not stream.feed("3")
    assert stream.feed(', "b": "he')
    assert stream.value == {"a": 123, "b": "he"}
    assert stream.feed('llo", "c": tr')
    assert stream.value == {"a": 123, "b": "hello"}
    assert not stream.feed("u")
    assert stream.feed("e}")
    assert stream.value == {"a": 123, "b": "hello", "c": True}


def test_pieces_that_change_nothing_say_so() -> None:
    stream = JSONStream()
    assert stream.feed('{"name": "x"')
    assert not stream.feed("   ")
    assert not stream.feed(', "ke')  # half a key: no value yet
    assert not stream.feed('y":')
    assert not stream.feed("}")  # closing changes no value


def test_prose_and_fences_around_the_value_are_skipped() -> None:
    stream = JSONStream()
    for piece in ["Here you are:\n```js", 'on\n{"a": [1, ', '2]}\n```\nAnything else {"b": 1}']:
        stream.feed(piece)
    assert stream.done and stream.value == {"a": [1, 2]}


@pytest.mark.parametrize("text", ['{"a": tx', '{"a" 1}', '{"a": 1 2}', '{"a": "\\q"}', "[1,]x"])
def test_text_that_cannot_be_json_stops_the_stream_keeping_the_value(text: str) -> None:
    stream = JSONStream()
    stream.feed(text)
    assert stream.failed
    assert not stream.feed('"more"')
    assert isinstance(stream.value, dict | list)


def test_partial_model_fills_fields_as_they_arrive() -> None:
    reader = OutputSpec(Invoice).partial_reader()
    text = json.dumps({"number": "A-17", "items": [{"name": "bolts", "qty": 3}], "total": 9.5})
    seen: list[Any] = [v for v in map(reader.feed, pieces(text, 4)) if v is not UNCHANGED]
    assert all(isinstance(v, Invoice) for v in seen)
    assert seen[0].number is None and seen[0].items is None  # required, not yet here
    assert any(v.items == [Item.model_construct(name="b")] for v in seen)  # qty: its default
    assert seen[-1] == Invoice(number="A-17", items=[Item(name="bolts", qty=3)], total=9.5)
    assert len(seen) < len(pieces(text, 4))  # not one per piece: only on a change


def test_complete_items_are_validated_once_and_kept() -> None:
    reader = OutputSpec(list[Item]).partial_reader()  # wrapped: {"result": [...]}
    first = reader.feed('{"result": [{"name": "a", "qty": "2"}, {"name": "b')
    assert first == [Item(name="a", qty=2), Item.model_construct(name="b")]  # "2" validated
    second = reader.feed('b"}, {"name"')
    assert second[0] is first[0]  # built once
    assert second == [Item(name="a", qty=2), Item(name="bb"), Item.model_construct(name=None)]
    assert reader.feed(': "c"}]}') == [Item(name="a", qty=2), Item(name="bb"), Item(name="c")]


def test_a_value_not_valid_yet_is_shown_as_it_stands() -> None:
    class Order(BaseModel):
        day: Any
        count: int

    reader = OutputSpec(Order).partial_reader()
    value = reader.feed('{"count": "many", "day"')
    assert value.count == "many"  # does not validate: the JSON value as it stands


def test_text_output_has_no_partial_reader() -> None:
    with pytest.raises(UsageError, match="output_type"):
        OutputSpec(str).partial_reader()
